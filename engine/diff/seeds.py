"""Seed reconciliation: declared keyed rows against the live rows, row by row.

Each seed spec reads the rows of its declared keys (and, when it prunes, every
row of its table), compares the rows it finds with the rows it declares, and yields
one ``RowChange`` per row to insert, correct (``on_conflict: update``) or
delete (``prune: true``, destructive RC106). Reads are set-based: one SELECT
per seed (chunked for very long key lists), never one per row.

Statements are sqlglot trees with bound values. A row statement carries no
guard of its own: the SELECTs it was planned from are kept in the plan
(``SeedRead``) and apply runs them again under its lock; different rows make
the plan stale and nothing runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlglot import exp

from .. import sqlexec
from ..errors import Diagnostic, SpecError
from ..inspect.state import SchemaState
from ..model import ObjectRef, Seed, Source
from ..target import driver_message
from . import values

PRUNE_CODE = "RC106"
CHUNK = 500  # parameters per SELECT: under every engine's limit (SQLite's was 999)


@dataclass(frozen=True)
class RowChange:
    """One row to insert, correct or delete: the row-level member of the change vocabulary."""

    op: str  # insert_row | update_row | delete_row; rbac also grant | revoke
    action: str  # create | update | delete
    object: str  # settings[key=theme]
    reason: str
    source: Source
    statements: tuple[tuple[Any, tuple], ...]  # (sqlglot tree, bound values)

    @property
    def destructive(self) -> bool:
        return self.action == "delete"


@dataclass(frozen=True)
class SeedRead:
    """A SELECT a seed plan was made from; apply runs it again and compares the digest of its rows."""

    sql: str
    params: tuple
    digest: str


@dataclass(frozen=True)
class SeedPlan:
    """The row changes of one seed or rbac spec; an empty ``changes`` means its rows already match."""

    id: str
    checksum: str
    source: Source
    description: str | None
    changes: tuple[RowChange, ...]
    reads: tuple[SeedRead, ...] = ()  # what the changes were planned from
    tables: tuple[tuple[str, str], ...] = ()  # (schema, table) it writes, for ordering by foreign keys
    deferred: str | None = None  # why its rows cannot be planned before the pending units run


def unit_id(seed: Seed) -> str:
    """The ledger key of a seed spec's runs."""
    return f"seed:{seed.name}"


def checksum(seed: Seed) -> str:
    """sha256 of what the seed declares (not its description)."""
    body = {"table": str(seed.table), "key": seed.key, "rows": seed.rows, "on_conflict": seed.on_conflict, "prune": seed.prune}
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def recorded_read(conn, tree, bound, dialect: str) -> tuple[list, SeedRead]:
    """Run a planning SELECT and keep it, with the digest of its rows, for apply to run again."""
    sql = sqlexec.render(tree, dialect)
    rows = sqlexec.read_rows(conn, sql, bound)
    return rows, SeedRead(sql, tuple(bound), rows_digest(rows))


def rows_digest(rows) -> str:
    """Digest of rows as read, in a fixed order and independent of the session (time zone)."""
    body = sorted(json.dumps([values.digest_form(v) for v in row], default=str) for row in rows)
    return "sha256:" + hashlib.sha256("\n".join(body).encode()).hexdigest()


class _Table:
    """A seeded table as planning needs it: each column's comparison rules, and which exist now."""

    def __init__(self, seed: Seed, live: SchemaState, sim: SchemaState):
        after = sim.table(seed.table.schema, seed.table.table)
        now = live.table(seed.table.schema, seed.table.table)
        self.columns = {c: values.Column(after.column(c).type, sim.dialect) for c in _columns(seed)}
        self.exists = now is not None
        # a key column a pending unit adds or renames: the rows cannot be matched before it runs
        self.unkeyed = [k for k in seed.key if now is not None and now.column(k) is None]
        # what to read: the keys, and with on_conflict: update the declared columns that exist now
        # (a column a pending unit adds reads as NULL)
        wanted = _columns(seed) if seed.on_conflict == "update" else list(seed.key)
        self.read = [c for c in wanted if now is not None and now.column(c) is not None]

    def key(self, seed: Seed, key_values) -> tuple:
        return tuple(values.canonical(v, self.columns[k]) for k, v in zip(seed.key, key_values))

    def bind(self, column: str, value):
        return values.to_bind(value, self.columns[column])


def plan_seeds(seeds, conn, live: SchemaState, sim: SchemaState) -> list[SeedPlan]:
    """Plan every seed against the live rows; ``sim`` is the schema after the pending units.

    A seeded table or column that exists neither now nor after the pending units, a value
    its column cannot hold, or keys the database refuses are problems of the spec: all of
    them are raised together, with the seed's file and line.
    """
    problems, plans = [], []
    for seed in seeds:
        problem = _missing(seed, sim)
        if problem:
            problems.append(Diagnostic(seed.source.file, seed.source.line, f"seed {seed.name}: table", problem))
            continue
        table = _Table(seed, live, sim)
        bad = _bad_values(seed, table)
        if bad:
            problems += bad
            continue
        if table.unkeyed:
            plans.append(SeedPlan(unit_id(seed), checksum(seed), seed.source, seed.description, (), deferred=(
                f"seed {seed.name}: key column {', '.join(table.unkeyed)} of {seed.table.table_text} comes with a pending unit;"
                " its rows are planned once that unit is applied (run plan again)")))
            continue
        found: list = []
        reads = []
        everything: list = []
        if table.exists:  # else a pending unit creates the table: nothing to read
            # the declared keys' rows, as the database compares keys; with prune also every row
            selects = [(tree, bound, found) for tree, bound in _selects(seed, table)]
            if seed.prune:
                selects.append((_base(seed, table), [], everything))
            for tree, bound, into in selects:
                try:
                    rows, read = recorded_read(conn, tree, bound, live.dialect)
                except DBAPIError as exc:
                    problems.append(Diagnostic(seed.source.file, seed.source.line, f"seed {seed.name}: key",
                                               f"the database refused the declared keys: {driver_message(exc)}"))
                    break
                reads.append(read)
                into += [dict(zip(table.read, row)) for row in rows]
        declared = [tuple(row[k] for k in seed.key) for row in seed.rows]
        existing = as_declared([(table.key(seed, [r[k] for k in seed.key]), r) for r in found],
                               [table.key(seed, k) for k in declared], by_database=True)
        matched = {tuple(r[k] for k in seed.key) for r in found}
        undeclared = [r for r in everything if tuple(r[k] for k in seed.key) not in matched]
        ref = (seed.table.schema or sim.default_schema, seed.table.table)
        plans.append(SeedPlan(unit_id(seed), checksum(seed), seed.source, seed.description,
                              tuple(_changes(seed, table, existing, undeclared)), tuple(reads), (ref,)))
    if problems:
        raise SpecError(problems)
    return plans


def _bad_values(seed: Seed, table: _Table) -> list[Diagnostic]:
    """Declared values their column cannot hold (``x1`` for an integer), each at its row's line."""
    out = []
    for i, row in enumerate(seed.rows):
        line = seed.row_lines[i] if i < len(seed.row_lines) else seed.source.line
        for column, value in row.items():
            why = values.problem(value, table.columns[column])
            if why:
                out.append(Diagnostic(seed.source.file, line, f"rows[{i}].{column}", f"{why} for {seed.table.table_text}.{column}"))
    return out


def by_references(plans: list[SeedPlan], state: SchemaState) -> list[SeedPlan]:
    """``plans`` so that a spec writing rows another spec's rows reference runs first (foreign keys
    in ``state``); otherwise, and within a cycle, in the given order (seeds in file order, then rbac)."""
    owners: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(plans):
        for t in p.tables:
            owners.setdefault(t, []).append(i)
    needs: list[set[int]] = [set() for _ in plans]
    for con in state.constraints.values():
        if con.kind == "foreign_key" and con.ref_table is not None:
            for child in owners.get((con.schema, con.table), ()):
                needs[child] |= {parent for parent in owners.get((con.ref_schema or con.schema, con.ref_table), ()) if parent != child}
    out, done, visiting = [], set(), set()

    def visit(i: int) -> None:
        if i in done or i in visiting:  # a cycle keeps the given order
            return
        visiting.add(i)
        for j in sorted(needs[i]):
            visit(j)
        visiting.discard(i)
        done.add(i)
        out.append(plans[i])

    for i in range(len(plans)):
        visit(i)
    return out


def _missing(seed: Seed, state: SchemaState) -> str | None:
    table = state.table(seed.table.schema, seed.table.table)
    if table is None:
        return f"table {seed.table.table_text} does not exist, and no pending unit creates it"
    absent = [c for c in _columns(seed) if table.column(c) is None]
    if absent:
        return f"{seed.table.table_text} has no column{'s' if len(absent) > 1 else ''} {', '.join(absent)}"
    computed = [c for c in _columns(seed) if table.column(c).computed]
    if computed:
        return f"{seed.table.table_text}.{', '.join(computed)} {'is' if len(computed) == 1 else 'are'} computed by the database: a seed cannot set {'it' if len(computed) == 1 else 'them'}"
    return None


def _columns(seed: Seed) -> list[str]:
    """The key columns, then every other column some row declares, in first-seen order."""
    out = list(seed.key)
    for row in seed.rows:
        out += [c for c in row if c not in out]
    return out


def _table(ref: ObjectRef):
    return sqlexec.table(ref.table, ref.schema)


def _key_test(columns, key_values, bound: list):
    """``k1 = :p AND k2 IS NULL ...`` for one key; the non-NULL values are appended to ``bound``."""
    tests = []
    for col, value in zip(columns, key_values):
        if value is None:
            tests.append(exp.Is(this=sqlexec.column(col), expression=exp.Null()))
        else:
            tests.append(exp.EQ(this=sqlexec.column(col), expression=sqlexec.param(len(bound))))
            bound.append(value)
    return exp.and_(*tests) if len(tests) > 1 else tests[0]


def _base(seed: Seed, table: _Table):
    """``SELECT <columns read> FROM table``: every row."""
    return exp.select(*[sqlexec.column(c) for c in table.read]).from_(_table(seed.table))


def _selects(seed: Seed, table: _Table):
    """(tree, values) SELECTs reading the rows of the declared keys, as the database compares keys."""
    base = _base(seed, table)
    keys = [tuple(table.bind(k, row[k]) for k in seed.key) for row in seed.rows]
    size = max(1, CHUNK // len(seed.key))  # at most CHUNK parameters per SELECT
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        if len(seed.key) == 1:
            test = exp.In(this=sqlexec.column(seed.key[0]), expressions=[sqlexec.param(i) for i in range(len(chunk))])
            yield base.where(test), [k[0] for k in chunk]
        else:
            bound: list = []
            tests = [_key_test(seed.key, key, bound) for key in chunk]
            yield base.where(exp.or_(*tests)), bound


def _changes(seed: Seed, table: _Table, existing: dict, undeclared: list):
    for i, row in enumerate(seed.rows):
        key = tuple(row[k] for k in seed.key)
        found = existing.get(table.key(seed, key))
        source = Source(seed.source.file, seed.row_lines[i] if i < len(seed.row_lines) else seed.source.line)
        name = _object(seed, key)
        if found is None:
            cols = list(row)
            tree = exp.insert(exp.values([tuple(sqlexec.param(j) for j in range(len(cols)))]),
                              exp.Schema(this=_table(seed.table), expressions=[sqlexec.ident(c) for c in cols]))
            yield RowChange("insert_row", "create", name, "row is missing", source, ((tree, tuple(table.bind(c, row[c]) for c in cols)),))
            continue
        if seed.on_conflict != "update":
            continue
        wrong = [c for c in row if c not in seed.key and not values.same(row[c], found.get(c), table.columns[c])]
        if wrong:
            sets = [exp.EQ(this=sqlexec.column(c), expression=sqlexec.param(j)) for j, c in enumerate(wrong)]
            bound = [table.bind(c, row[c]) for c in wrong]
            where = _key_test(seed.key, [table.bind(k, row[k]) for k in seed.key], bound)
            tree = exp.Update(this=_table(seed.table), expressions=sets, where=exp.Where(this=where))
            why = "; ".join(f"{c} is {show(found.get(c))}, declared {show(row[c])}" for c in wrong)
            yield RowChange("update_row", "update", name, why, source, ((tree, tuple(bound)),))
    for found in undeclared:  # prune: rows no declared key found
        key = tuple(found[k] for k in seed.key)
        bound: list = []
        tree = exp.Delete(this=_table(seed.table), where=exp.Where(this=_key_test(seed.key, key, bound)))
        yield RowChange("delete_row", "delete", _object(seed, key), "row is not declared (prune: true)", seed.source, ((tree, tuple(bound)),))


def _object(seed: Seed, key: tuple) -> str:
    return f"{seed.table.table_text}[" + ", ".join(f"{k}={show(v)}" for k, v in zip(seed.key, key)) + "]"


def show(value) -> str:
    """A value in a plan line: text quoted, NULL as NULL, anything else as JSON."""
    return "NULL" if value is None else json.dumps(value, default=str) if not isinstance(value, str) else repr(value)


# -- matching stored rows to declared keys --------------------------------------------------

def as_declared(rows, declared: list[tuple], by_database: bool) -> dict:
    """Stored ``(canonical key, row)`` pairs by the declared key each stands for; others by their own key.

    With ``by_database`` the rows were selected by their declared keys, so a row spelled
    differently from every declared key was still found equal by the database (a
    case-insensitive MySQL collation, trailing spaces): it stands for the declared key it folds to.
    """
    exact = set(declared)
    folded: dict = {}
    for key in declared:
        folded.setdefault(_fold(key), key)
    out: dict = {}
    for key, row in rows:
        if key not in exact and by_database and _fold(key) in folded:
            key = folded[_fold(key)]
        out[key] = row
    return out


def _fold(key: tuple) -> tuple:
    return tuple(v.casefold().rstrip(" ") if isinstance(v, str) else v for v in key)


def key_of(values_) -> tuple:
    """A key of text values (rbac names and permission keys) as a comparable tuple."""
    return tuple(None if v is None else str(v) for v in values_)
