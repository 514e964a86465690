"""Seed reconciliation: declared keyed rows against the live rows, set-based.

Each seed spec reads the rows of its declared keys (and, when it prunes, every row of its
table), compares the rows it finds with the rows it declares, and yields row batches: the
rows to insert, to correct (``on_conflict: update``) and to delete (``prune: true``,
destructive RC106), each batch one statement however many rows it holds. Reads are
set-based: one SELECT per seed, chunked to the driver's parameter limit, never one per row.
The key must be one the database enforces (a primary key, unique constraint or unique
index), else a batched update or delete by key could change more rows than it names.

Statements are sqlglot trees whose values are bound. The SELECTs a plan was made from are
kept in the plan; apply runs them again under its lock, and different rows make it stale.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy.exc import DBAPIError
from sqlglot import exp

from ..errors import Diagnostic, SpecError
from ..inspect.state import SchemaState
from ..spec.model import Seed
from ..target import rowsql as row_sites
from ..target import sqlexec
from ..target.connection import driver_message
from . import values
from .rows import (
    RowBatch,
    SeedPlan,
    Statement,
    as_declared,
    bindable,
    count,
    enforced_key,
    insert_batch,
    keyed_reads,
    table_node,
    unenforced,
    update_batch,
)


def unit_id(seed: Seed) -> str:
    """The ledger key of a seed spec's runs."""
    return f"seed:{seed.name}"


def checksum(seed: Seed) -> str:
    """sha256 of what the seed declares (not its description)."""
    body = {"table": str(seed.table), "key": seed.key, "rows": seed.rows, "on_conflict": seed.on_conflict, "prune": seed.prune}
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _json_or(native: str, state: SchemaState, table, column: str) -> str:
    """A column's type as its values are checked: MariaDB spells a JSON column ``longtext`` with a
    ``json_valid(`column`)`` check, which refuses a value that is no JSON as surely as the type would."""
    if state.dialect == "mysql" and any(c.kind == "check" and c.expression == f"json_valid(`{column}`)"
                                        for c in state.constraints_named(column, table.schema, table.name)):
        return "json"  # MariaDB names that check after its column
    return native


class _Table:
    """A seeded table as planning needs it: each column's comparison rules, and which exist now."""

    def __init__(self, seed: Seed, live: SchemaState, sim: SchemaState):
        after = sim.table(seed.table.schema, seed.table.table)
        now = live.table(seed.table.schema, seed.table.table)
        declared = _columns(seed)
        self.types = {c: _json_or(after.column(c).type, sim, after, c) for c in declared}
        self.columns = {c: values.Column(t, sim.dialect) for c, t in self.types.items()}
        # NOT NULL columns -> whether they have a default (MySQL and SQLite number a generated one given null)
        self.not_null = {c: after.column(c).default is not None for c in declared if not after.column(c).nullable
                         and not (after.column(c).generated and sim.dialect != "postgresql")}
        self.exists = now is not None
        # a key column a pending unit adds or renames: the rows cannot be matched before it runs
        self.unkeyed = [k for k in seed.key if now is not None and now.column(k) is None]
        # what to read: the keys, and with on_conflict: update the declared columns that exist now
        # (a column a pending unit adds reads as NULL)
        wanted = declared if seed.on_conflict == "update" else list(seed.key)
        self.read = [c for c in wanted if now is not None and now.column(c) is not None]

    def key(self, seed: Seed, key_values) -> tuple:
        return tuple(values.canonical(v, self.columns[k]) for k, v in zip(seed.key, key_values))

    def bind(self, column: str, value):
        return values.to_bind(value, self.columns[column])


def plan_seeds(seeds, conn, live: SchemaState, sim: SchemaState, limit: int | None = None) -> list[SeedPlan]:
    """Plan every seed against the live rows; ``sim`` is the schema after the pending units.

    A seeded table or column that exists neither now nor after the pending units, a key the
    database does not enforce, a value its column cannot hold, or keys the database refuses
    are problems of the spec: all of them are raised together, with the seed's file and line.
    ``limit`` caps the values one SELECT binds (default: the driver's limit).
    """
    problems, plans = [], []
    for seed in seeds:
        try:
            plans.append(_plan_seed(seed, conn, live, sim, row_sites.Limits.of(conn, limit)))
        except SpecError as exc:
            problems += exc.diagnostics
    if problems:
        raise SpecError(problems)
    return plans


def _problem(seed: Seed, where: str, message: str) -> SpecError:
    return SpecError([Diagnostic(seed.source.file, seed.source.line, f"seed {seed.name}: {where}", message)])


def _plan_seed(seed: Seed, conn, live: SchemaState, sim: SchemaState, limit) -> SeedPlan:
    problem = _missing(seed, sim)
    if problem:
        raise _problem(seed, "table", problem)
    if sim.table(seed.table.schema, seed.table.table).kind == "view":
        raise _problem(seed, "table", f"{seed.table.table_text} is a view: a seed writes its rows into a table (seed the table "
                                      "the view reads)")
    if not enforced_key(sim, seed.table, seed.key):
        raise _problem(seed, "key", unenforced("key", seed.table, seed.key))
    table = _Table(seed, live, sim)
    bad = _bad_values(seed, table)
    if bad:
        raise SpecError(bad)
    if table.unkeyed:
        return SeedPlan(unit_id(seed), checksum(seed), seed.source, seed.description, (), deferred=(
            f"seed {seed.name}: key column {', '.join(table.unkeyed)} of {seed.table.table_text} comes with a pending unit;"
            " its rows are planned once that unit is applied (run plan again)"))
    found, everything, reads = _read(seed, table, conn, live.dialect, limit)
    declared = [table.key(seed, [row[k] for k in seed.key]) for row in seed.rows]  # canonical, row by row
    _refuse_equal_keys(seed, declared)
    existing = as_declared([(table.key(seed, [r[k] for k in seed.key]), r) for r in found], declared, by_database=True)
    matched = {tuple(r[k] for k in seed.key) for r in found}
    undeclared = [r for r in everything if tuple(r[k] for k in seed.key) not in matched]
    ref = (seed.table.schema or sim.default_schema, seed.table.table)
    ordered = _references_itself(seed, sim)
    batches = [*_upserts(seed, table, existing, declared, sim.dialect, ordered), *_deletes(seed, undeclared, table.types, sim.dialect)]
    return SeedPlan(unit_id(seed), checksum(seed), seed.source, seed.description, tuple(batches), tuple(reads), (ref,),
                    allow=seed.allow)


def _read(seed: Seed, table: _Table, conn, dialect: str, limit):
    """The rows of the declared keys, as the database compares keys; with prune also every row."""
    if not table.exists:  # a pending unit creates the table: nothing to read
        return [], [], []
    keys = [tuple(table.bind(k, row[k]) for k in seed.key) for row in seed.rows]
    base = exp.select(*[sqlexec.column(c) for c in table.read]).from_(table_node(seed.table))
    try:
        found, reads = keyed_reads(conn, base, [sqlexec.column(k) for k in seed.key], keys, dialect, limit,
                                   tuple(table.types[k] for k in seed.key))
        everything, more = keyed_reads(conn, base, None, [], dialect, limit) if seed.prune else ([], [])
    except DBAPIError as exc:
        raise _problem(seed, "key", f"the database refused the declared keys: {driver_message(exc)}") from None
    as_dicts = lambda rows: [dict(zip(table.read, row)) for row in rows]  # noqa: E731
    return as_dicts(found), as_dicts(everything), reads + more


def _refuse_equal_keys(seed: Seed, keys: list) -> None:
    """Two declared rows whose keys the column stores alike (``ABC`` and ``abc`` as UUIDs) are one row."""
    first: dict = {}
    problems = []
    for i, key in enumerate(keys):
        line = seed.row_lines[i] if i < len(seed.row_lines) else seed.source.line
        if key in first:
            problems.append(Diagnostic(seed.source.file, line, f"seed {seed.name}: rows[{i}]",
                                       f"its key is the key of the row at line {first[key]} as {seed.table.table_text} stores it: declare the row once"))
        else:
            first[key] = line
    if problems:
        raise SpecError(problems)


def _bad_values(seed: Seed, table: _Table) -> list[Diagnostic]:
    """Declared values their column cannot hold (``x1`` for an integer, null for a NOT NULL column),
    each at its row's line."""
    out = []
    for i, row in enumerate(seed.rows):
        line = seed.row_lines[i] if i < len(seed.row_lines) else seed.source.line
        for column, value in row.items():
            why = values.problem(value, table.columns[column])
            if value is None and column in table.not_null:
                why = _null_problem(seed, row, column, table.not_null[column])
            if why:
                out.append(Diagnostic(seed.source.file, line, f"seed {seed.name}: rows[{i}].{column}",
                                      f"{why} for {seed.table.table_text}.{column}" if value is not None else why))
    return out


def _null_problem(seed: Seed, row: dict, column: str, has_default: bool) -> str:
    """An explicit null for a NOT NULL column: every server refuses the row (and null is not "the default")."""
    key = ", ".join(f"{k} {row[k]!r}" for k in seed.key)
    text = f"null, but {seed.table.table_text}.{column} is NOT NULL: the server refuses the row ({key})"
    if has_default:
        return text + "; a null is not the column's default: leave the column out of the row to take it"
    return text + ": give it a value"


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
    out = dict.fromkeys(seed.key)
    for row in seed.rows:
        out.update(dict.fromkeys(row))
    return list(out)


def _references_itself(seed: Seed, state: SchemaState) -> bool:
    """Whether the seeded table has a foreign key to itself (a row may need one declared before it)."""
    key = (seed.table.schema or state.default_schema, seed.table.table)
    return any(c.kind == "foreign_key" and (c.schema, c.table) == key and (c.ref_schema or c.schema, c.ref_table) == key
               for c in state.constraints.values())


def _upserts(seed: Seed, table: _Table, existing: dict, keys: list, dialect: str, ordered: bool = False):
    """Batches of missing rows (by the columns they declare) and, with ``on_conflict: update``, of
    rows to correct (by the columns that differ); ``keys`` are the rows' canonical keys. Where
    the table references itself (``ordered``), inserts keep the declared order: a batch holds
    consecutive rows only, so a row never comes before the one it references."""
    inserts: dict[tuple, list] = {}
    runs: list[tuple[tuple, list]] = []  # ordered: (columns, rows) of consecutive rows
    updates: dict[tuple, list] = {}
    for row, key in zip(seed.rows, keys):
        found = existing.get(key)
        if found is None:
            columns, bound = tuple(row), tuple(table.bind(c, row[c]) for c in row)
            if not ordered:
                inserts.setdefault(columns, []).append(bound)
            elif runs and runs[-1][0] == columns:
                runs[-1][1].append(bound)
            else:
                runs.append((columns, [bound]))
        elif seed.on_conflict == "update":
            wrong = tuple(c for c in row if c not in seed.key and not values.same(row[c], found.get(c), table.columns[c]))
            if wrong:
                bound = tuple(table.bind(c, row[c]) for c in (*seed.key, *wrong))
                updates.setdefault(wrong, []).append((bound, tuple(bindable(found.get(c)) for c in wrong)))
    for columns, rows in runs or inserts.items():
        yield insert_batch(seed.table, columns, rows, table.types, dialect, seed.source)
    for changed, pairs in updates.items():
        yield update_batch(seed.table, seed.key, changed, pairs, table.types, dialect, seed.source)


def _deletes(seed: Seed, undeclared: list, types: dict, dialect: str):
    """prune: rows no declared key found, by their stored key; keys with NULL parts match with IS NULL."""
    groups: dict[tuple, list] = {}
    for found in undeclared:
        key = tuple(bindable(found[k]) for k in seed.key)
        groups.setdefault(tuple(v is None for v in key), []).append(tuple(v for v in key if v is not None))
    for nulls, keys in groups.items():
        present = tuple(k for k, null in zip(seed.key, nulls) if not null)
        tests = [exp.Is(this=sqlexec.column(k), expression=exp.Null()) for k, null in zip(seed.key, nulls) if null]
        site = row_sites.site(dialect, len(present), tuple(types.get(k) for k in present)) if present else None
        if site is not None:
            tests.append(site.in_([sqlexec.column(k) for k in present]))
        tree = exp.Delete(this=table_node(seed.table), where=exp.Where(this=exp.and_(*tests)))
        null_text = f" with {', '.join(k for k, n in zip(seed.key, nulls) if n)} NULL" if any(nulls) else ""
        reason = f"{count(len(keys))}{null_text} {'is' if len(keys) == 1 else 'are'} not declared (prune: true)"
        yield RowBatch("delete_rows", "delete", seed.table, reason, seed.source, present, tuple(keys) if present else (),
                       (Statement(tree, site, len(keys)),))
