"""Seed reconciliation: declared keyed rows against the live rows, row by row.

Each seed spec reads its table once (the declared keys, or the whole table when
it prunes), compares the rows it finds with the rows it declares, and yields
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
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlglot import exp

from .. import sqlexec
from ..errors import Diagnostic, SpecError
from ..inspect.state import SchemaState
from ..model import ObjectRef, Seed, Source

PRUNE_CODE = "RC106"
CHUNK = 500  # keys per SELECT: long IN lists stay well under every driver's parameter limit


@dataclass(frozen=True)
class RowChange:
    """One row to insert, correct or delete: the row-level member of the change vocabulary."""

    op: str  # insert_row | update_row | delete_row
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
    """The row changes of one seed spec; an empty ``changes`` means the table already matches."""

    id: str
    checksum: str
    source: Source
    description: str | None
    changes: tuple[RowChange, ...]
    reads: tuple[SeedRead, ...] = ()  # what the changes were planned from


def unit_id(seed: Seed) -> str:
    """The ledger key of a seed spec's runs."""
    return f"seed:{seed.name}"


def checksum(seed: Seed) -> str:
    """sha256 of what the seed declares (not its description)."""
    body = {"table": str(seed.table), "key": seed.key, "rows": seed.rows, "on_conflict": seed.on_conflict, "prune": seed.prune}
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def rows_digest(rows) -> str:
    """Digest of rows as a driver returned them (the same driver returns the same types at plan and apply)."""
    return "sha256:" + hashlib.sha256(json.dumps([list(r) for r in rows], default=str).encode()).hexdigest()


def plan_seeds(seeds, conn, live: SchemaState, sim: SchemaState) -> list[SeedPlan]:
    """Plan every seed against the live rows; ``sim`` is the schema after the pending units.

    A seeded table or column that exists neither now nor after the pending units is
    a problem of the spec: all of them are raised together.
    """
    problems, plans = [], []
    for seed in seeds:
        problem = _missing(seed, sim)
        if problem:
            problems.append(Diagnostic(seed.source.file, seed.source.line, f"seed {seed.name}: table", problem))
            continue
        found: list = []
        reads = []
        if live.table(seed.table.schema, seed.table.table) is not None:  # else a pending unit creates it: empty
            for tree, values in _selects(seed, live.dialect):
                sql = sqlexec.render(tree, live.dialect)
                rows = sqlexec.run_prepared(conn, sqlexec.to_driver(sql, live.dialect), values).fetchall()
                reads.append(SeedRead(sql, tuple(values), rows_digest(rows)))
                found += rows
        declared = [tuple(row[k] for k in seed.key) for row in seed.rows]
        existing = as_declared(found, len(seed.key), declared, by_database=not seed.prune)
        plans.append(SeedPlan(unit_id(seed), checksum(seed), seed.source, seed.description, tuple(_changes(seed, existing)), tuple(reads)))
    if problems:
        raise SpecError(problems)
    return plans


def _missing(seed: Seed, state: SchemaState) -> str | None:
    table = state.table(seed.table.schema, seed.table.table)
    if table is None:
        return f"table {seed.table.table_text} does not exist, and no pending unit creates it"
    absent = [c for c in _columns(seed) if table.column(c) is None]
    if absent:
        return f"{seed.table.table_text} has no column{'s' if len(absent) > 1 else ''} {', '.join(absent)}"
    return None


def _columns(seed: Seed) -> list[str]:
    """The key columns, then every other column some row declares, in first-seen order."""
    out = list(seed.key)
    for row in seed.rows:
        out += [c for c in row if c not in out]
    return out


def _table(ref: ObjectRef):
    return sqlexec.table(ref.table, ref.schema)


def _key_test(seed: Seed, values: list, offset: int = 0):
    """``k1 = :p AND k2 = :q`` for one key, its values appended to ``values``."""
    tests = []
    for col, value in zip(seed.key, values[offset:]):
        tests.append(exp.EQ(this=sqlexec.column(col), expression=sqlexec.param(offset + len(tests))))
    return exp.and_(*tests) if len(tests) > 1 else tests[0]


def _selects(seed: Seed, dialect: str):
    """(tree, values) SELECTs reading the declared keys' rows (or, when pruning, every row), ordered by key."""
    columns = _columns(seed)
    base = exp.select(*[sqlexec.column(c) for c in columns]).from_(_table(seed.table)).order_by(*[sqlexec.column(k) for k in seed.key])
    if seed.prune:
        yield base, []
        return
    keys = [tuple(row[k] for k in seed.key) for row in seed.rows]
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        if len(seed.key) == 1:
            test = exp.In(this=sqlexec.column(seed.key[0]), expressions=[sqlexec.param(i) for i in range(len(chunk))])
            yield base.where(test), [k[0] for k in chunk]
        else:
            values = [v for key in chunk for v in key]
            tests = [_key_test(seed, values, i * len(seed.key)) for i in range(len(chunk))]
            yield base.where(exp.or_(*tests)), values


def _changes(seed: Seed, existing: dict):
    columns = _columns(seed)
    declared = set()
    for i, row in enumerate(seed.rows):
        key = tuple(row[k] for k in seed.key)
        declared.add(key_of(key))
        found = existing.get(key_of(key))
        source = Source(seed.source.file, seed.row_lines[i] if i < len(seed.row_lines) else seed.source.line)
        name = _object(seed, key)
        if found is None:
            cols = list(row)
            tree = exp.insert(exp.values([tuple(sqlexec.param(j) for j in range(len(cols)))]),
                              exp.Schema(this=_table(seed.table), expressions=[sqlexec.ident(c) for c in cols]))
            yield RowChange("insert_row", "create", name, "row is missing", source, ((tree, tuple(row[c] for c in cols)),))
            continue
        if seed.on_conflict != "update":
            continue
        actual = dict(zip(columns, found))
        wrong = [c for c in row if c not in seed.key and not same_value(row[c], actual[c])]
        if wrong:
            sets = [exp.EQ(this=sqlexec.column(c), expression=sqlexec.param(j)) for j, c in enumerate(wrong)]
            values = [row[c] for c in wrong] + list(key)
            tree = exp.Update(this=_table(seed.table), expressions=sets, where=exp.Where(this=_key_test(seed, values, len(wrong))))
            why = "; ".join(f"{c} is {_show(actual[c])}, declared {_show(row[c])}" for c in wrong)
            yield RowChange("update_row", "update", name, why, source, ((tree, tuple(values)),))
    if seed.prune:
        for norm, found in existing.items():
            if norm in declared:
                continue
            key = tuple(found[: len(seed.key)])
            values = list(key)
            tree = exp.Delete(this=_table(seed.table), where=exp.Where(this=_key_test(seed, values)))
            yield RowChange("delete_row", "delete", _object(seed, key), "row is not declared (prune: true)", seed.source, ((tree, tuple(values)),))


def _object(seed: Seed, key: tuple) -> str:
    return f"{seed.table.table_text}[" + ", ".join(f"{k}={_show(v)}" for k, v in zip(seed.key, key)) + "]"


def _show(value) -> str:
    return "NULL" if value is None else json.dumps(value, default=str) if not isinstance(value, str) else repr(value)


# -- comparing declared and stored values --------------------------------------------------

def as_declared(rows, width: int, declared: list[tuple], by_database: bool) -> dict:
    """Stored rows by the normalised declared key each stands for (``key_of``); others by their own key.

    With ``by_database`` the rows were selected by their declared keys, so a row spelled
    differently from every declared key was still found equal by the database (a
    case-insensitive MySQL collation, trailing spaces): it stands for the declared key it folds to.
    """
    exact = {key_of(k) for k in declared}
    folded: dict = {}
    for key in declared:
        folded.setdefault(_fold(key), key)
    out: dict = {}
    for row in rows:
        norm = key_of(row[:width])
        if norm not in exact and by_database and _fold(row[:width]) in folded:
            norm = key_of(folded[_fold(row[:width])])
        out[norm] = row
    return out


def _fold(key) -> tuple:
    return tuple(v.casefold().rstrip(" ") if isinstance(v, str) else _norm(v) for v in key)


def key_of(values) -> tuple:
    """A key as a comparable tuple: numbers and booleans by value, everything else as text."""
    return tuple(_norm(v) for v in values)


def _norm(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return ("n", Decimal(int(value)))
    if isinstance(value, (int, float, Decimal)):
        return ("n", Decimal(str(value)).normalize())
    if isinstance(value, (datetime, date, time)):
        return ("s", value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat())
    return ("s", str(value))


def same_value(declared, actual) -> bool:
    """Whether a stored value already equals a declared YAML scalar, across drivers' types.

    Booleans match 1/0 (MySQL, SQLite); numbers compare by value (Decimal, float,
    numeric text); timestamps compare with a declared ISO text, ``T`` or space.
    """
    if declared is None or actual is None:
        return declared is None and actual is None
    if isinstance(declared, bool):
        return isinstance(actual, (bool, int, Decimal)) and actual in (0, 1) and bool(actual) == declared
    if isinstance(declared, (int, float)) or isinstance(actual, (int, float, Decimal)):
        try:
            return Decimal(str(declared)) == Decimal(str(actual))
        except InvalidOperation:
            return False
    if isinstance(actual, datetime):
        try:
            return datetime.fromisoformat(str(declared)) == actual
        except ValueError:
            return False
    if isinstance(actual, (date, time)):
        return str(declared) == actual.isoformat()
    return str(declared) == str(actual)
