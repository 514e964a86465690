"""Row batches: the row-level member of the change vocabulary, and what seed and rbac planning share.

A ``RowBatch`` is every row of one spec and table that changes the same way (inserted,
corrected, deleted, granted, revoked): the rows as data, and the statements that change
them all as sqlglot trees with a rows site (``rowsql``), so the plan holds each
statement once however many rows it carries. Planning reads are set-based and kept
(``Recorded``): apply runs them again, under its lock, and a different answer makes
the plan stale. Keys are matched as the database compares them (``as_declared``) and
must be keys the database enforces (``enforced_key``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlglot import exp

from ..inspect.state import SchemaState, enforced_key  # noqa: F401 - rbac and seeds take it from here
from ..spec.model import ObjectRef, Source
from ..target import rowsql as row_sites
from ..target import sqlexec
from ..target.rowsql import RowSite, RowTemplate
from .kinds import SeedRead, rows_digest

PRUNE_CODE = "RC106"


@dataclass(frozen=True)
class Statement:
    """One statement of a batch: a tree whose rows site is ``site`` (None: it binds no rows and runs
    once), and how many rows it must affect over all its chunks."""

    tree: exp.Expression
    site: RowSite | None
    affected: int

    def template(self) -> RowTemplate | None:
        return self.site.template(self.tree) if self.site is not None else None


@dataclass(frozen=True)
class RowBatch:
    """Rows of one spec and table changed the same way; each row binds ``columns`` in that order."""

    op: str  # insert_rows | update_rows | delete_rows | grant | revoke
    action: str  # create | update | delete
    table: ObjectRef
    reason: str
    source: Source
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    statements: tuple[Statement, ...]
    was: tuple[tuple, ...] = ()  # update_rows: the stored values of the changed columns, for review

    @property
    def destructive(self) -> bool:
        return self.action == "delete"

    @property
    def object(self) -> str:
        return self.table.table_text


@dataclass(frozen=True)
class Recorded:
    """A planning read and its rows; sealed into a ``SeedRead`` only for specs that change rows."""

    sql: str
    lock_sql: str
    params: tuple
    rows: list

    def seal(self, unit: str) -> SeedRead:
        return SeedRead(self.sql, self.params, rows_digest(self.rows), self.lock_sql, unit)


@dataclass(frozen=True)
class SeedPlan:
    """The row batches of one seed or rbac spec; an empty ``batches`` means its rows already match."""

    id: str
    checksum: str
    source: Source
    description: str | None
    batches: tuple[RowBatch, ...]
    reads: tuple[Recorded, ...] = ()  # what the batches were planned from
    tables: tuple[tuple[str, str], ...] = ()  # (schema, table) it writes, for ordering by foreign keys
    deferred: str | None = None  # why its rows cannot be planned before the pending units run
    allow: tuple[str, ...] = ()  # the spec's allowed safety codes, for apply's gate (RC106)


def recorded_read(conn, sql: str, lock_sql: str, params) -> tuple[list, Recorded]:
    """Run a planning SELECT (driver text, values bound by position) and keep it for apply."""
    rows = sqlexec.read_rows(conn, sql, params)
    return rows, Recorded(sql, lock_sql, tuple(params), rows)


def keyed_reads(conn, base: exp.Select, columns: list | None, keys: list[tuple], dialect: str, limits,
                types: tuple = ()) -> tuple[list, list]:
    """The rows of ``base`` whose ``columns`` (of the catalog ``types``) hold one of ``keys`` (every row
    when ``columns`` is None), in as few SELECTs as the driver's ``limits`` allow, and the
    reads as recorded."""
    if columns is None:
        sql = sqlexec.driver_text(base, dialect)
        lock_sql = sqlexec.driver_text(base.lock(update=True), dialect) if dialect != "sqlite" else sql
        rows, read = recorded_read(conn, sql, lock_sql, ())
        return rows, [read]
    found, reads = [], []
    for sql, lock_sql, bound in row_sites.keyed(base, columns, keys, dialect, limits, types):
        rows, read = recorded_read(conn, sql, lock_sql, bound)
        found += rows
        reads.append(read)
    return found, reads


# -- keys ----------------------------------------------------------------------------------

def unenforced(what: str, ref: ObjectRef, columns) -> str:
    """The problem of a key the database does not enforce, and what to do about it."""
    names = ", ".join(columns)
    return (f"{what} [{names}] of {ref.table_text} is not a key the database enforces: no primary key, unique constraint "
            f"or unique index covers it, so one row of the spec could change several rows (add a unique constraint on "
            f"({names}), or declare a key that has one)")


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


# -- values in plans -----------------------------------------------------------------------

def bindable(value: Any):
    """A value read from the database as plan data (JSON) that binds back to the same value."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):  # a MySQL TIME
        seconds = int(value.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return str(value)


def show(value) -> str:
    """A value in a plan line: text quoted, NULL as NULL, anything else as JSON."""
    return "NULL" if value is None else json.dumps(value, default=str) if not isinstance(value, str) else repr(value)


def table_node(ref: ObjectRef, alias: str | None = None):
    """A quoted ``[schema.]table`` node, aliased when ``alias`` is given."""
    node = sqlexec.table(ref.table, ref.schema)
    return exp.alias_(node, alias, table=True) if alias else node


def equal(left: str, right: str, left_alias: str, right_alias: str) -> exp.EQ:
    """``left_alias.left = right_alias.right``."""
    return exp.EQ(this=sqlexec.column(left, left_alias), expression=sqlexec.column(right, right_alias))



# -- statements shared by seed and rbac batches ---------------------------------------------

def count(n: int, what: str = "row") -> str:
    """``1 row``, ``3 rows``."""
    return f"{n} {what}{'s' if n != 1 else ''}"


def insert_batch(ref: ObjectRef, columns: tuple, rows: list, types: dict, dialect: str, source: Source,
                 what: str = "row") -> RowBatch:
    """``INSERT INTO t (columns) VALUES <rows>``; ``types``: the columns' types as the catalog spells them."""
    site = row_sites.site(dialect, len(columns), tuple(types.get(c) for c in columns))
    tree = exp.insert(site.values(), exp.Schema(this=table_node(ref), expressions=[sqlexec.ident(c) for c in columns]))
    reason = f"{count(len(rows), what)} {'is' if len(rows) == 1 else 'are'} missing"
    return RowBatch("insert_rows", "create", ref, reason, source, columns, tuple(rows), (Statement(tree, site, len(rows)),))


def update_batch(ref: ObjectRef, key: tuple, changed: tuple, pairs: list, types: dict, dialect: str, source: Source,
                 what: str = "row") -> RowBatch:
    """``UPDATE t SET c = v.c FROM <rows> AS v WHERE t.k = v.k``: ``pairs`` are (key + new values, stored values)."""
    columns = (*key, *changed)
    site = row_sites.site(dialect, len(columns), tuple(types.get(c) for c in columns))
    sets = [exp.EQ(this=sqlexec.column(c), expression=sqlexec.column(c, "v")) for c in changed]
    where = exp.and_(*[equal(k, k, "t", "v") for k in key])
    tree = exp.Update(this=table_node(ref, "t"), expressions=sets, from_=exp.From(this=site.relation("v", columns)),
                      where=exp.Where(this=where))
    reason = f"{count(len(pairs), what)} differ{'s' if len(pairs) == 1 else ''} in {', '.join(changed)}"
    return RowBatch("update_rows", "update", ref, reason, source, columns, tuple(b for b, _ in pairs),
                    (Statement(tree, site, len(pairs)),), was=tuple(w for _, w in pairs))
