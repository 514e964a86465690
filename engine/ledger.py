"""The ledger: which units were applied, failed or rolled back, and with what checksum.

An append-only table (``recon_ledger`` unless configured), one row per event,
created by ``apply`` only. Reading it is one query, and a missing ledger reads
as empty, so ``plan`` and ``history`` never create it. Statements are sqlglot
trees with bound values.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from functools import lru_cache

from sqlglot import exp

from . import sqlexec
from .inspect.state import SchemaState

DEFAULT_TABLE = "recon_ledger"
# Ledger keys of seed and rbac spec runs (``seed:<name>``); a unit id cannot contain ":".
SPEC_RUN_PREFIXES = ("seed:", "rbac:")
COLUMNS = (
    ("seq", "INTEGER"), ("unit", "VARCHAR(255)"), ("checksum", "VARCHAR(80)"), ("scope", "VARCHAR(16)"),
    ("status", "VARCHAR(16)"), ("plan_id", "VARCHAR(64)"), ("started_at", "VARCHAR(40)"), ("finished_at", "VARCHAR(40)"),
    ("actor", "VARCHAR(255)"), ("engine_version", "VARCHAR(40)"), ("statements", "INTEGER"), ("error", "TEXT"),
)


@dataclass(frozen=True)
class LedgerRow:
    """One ledger event: ``status`` is applied, failed, running, rolled_back or rollback_failed."""

    seq: int
    unit: str
    checksum: str
    scope: str
    status: str
    plan_id: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    actor: str | None = None
    engine_version: str | None = None
    statements: int = 0
    error: str | None = None

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@lru_cache(maxsize=1)
def actor() -> str:
    """``user@host`` of whoever runs apply."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def exists(state: SchemaState, table: str) -> bool:
    return state.table(None, table) is not None


def read(conn, state: SchemaState | None, table: str = DEFAULT_TABLE) -> list[LedgerRow]:
    """Every ledger row in order, or [] when the ledger does not exist yet.

    With an inspected ``state`` that is one query; without one (``recon history``,
    which needs nothing else of the schema) the table's existence costs one more.
    """
    present = exists(state, table) if state is not None else _has_table(conn, table)
    if not present:
        return []
    tree = exp.select(*[sqlexec.column(name) for name, _ in COLUMNS]).from_(sqlexec.table(table)).order_by(sqlexec.column("seq"))
    return [LedgerRow(*row) for row in sqlexec.execute(conn, tree)]


def _has_table(conn, table: str) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_table(table)


def current(rows: list[LedgerRow]) -> dict[str, LedgerRow]:
    """The latest row of each unit (running rows count: a unit died mid-way)."""
    latest: dict[str, LedgerRow] = {}
    for row in rows:
        latest[row.unit] = row
    return latest


APPLIED = ("applied", "rollback_failed")  # a failed rollback leaves the unit applied (wholly, or partly on MySQL)


def applied(rows: list[LedgerRow]) -> dict[str, LedgerRow]:
    """Units whose latest event is ``applied``, or a rollback that failed."""
    return {u: r for u, r in current(rows).items() if r.status in APPLIED}


def create_statement(table: str, dialect: str) -> str:
    """CREATE TABLE IF NOT EXISTS for the ledger in ``dialect``."""
    cols = [exp.ColumnDef(this=sqlexec.ident(name), kind=exp.DataType.build(kind)) for name, kind in COLUMNS]
    pk = exp.Constraint(this=sqlexec.ident(f"{table}_pkey"), expressions=[exp.PrimaryKey(expressions=[sqlexec.ident("seq")])])
    return sqlexec.render(exp.Create(this=exp.Schema(this=sqlexec.table(table), expressions=cols + [pk]), kind="TABLE", exists=True), dialect)


@lru_cache(maxsize=16)
def _insert_sql(table: str, dialect: str) -> str:
    """The INSERT of one ledger row, rendered once per table and dialect (apply writes one per unit)."""
    names = [f.name for f in fields(LedgerRow)]
    tree = exp.insert(
        exp.values([tuple(sqlexec.param(i) for i in range(len(names)))]),
        exp.Schema(this=sqlexec.table(table), expressions=[sqlexec.ident(n) for n in names]),
    )
    return sqlexec.prepare(tree, dialect)


def insert(conn, table: str, row: LedgerRow) -> None:
    """Append ``row`` (values bound)."""
    sqlexec.run_prepared(conn, _insert_sql(table, sqlexec.dialect_of(conn)), [getattr(row, f.name) for f in fields(LedgerRow)])


def update(conn, table: str, seq: int, **changes) -> None:
    """Update fields of row ``seq`` (progress of a running unit)."""
    names = list(changes)
    tree = exp.Update(
        this=sqlexec.table(table),
        expressions=[exp.EQ(this=sqlexec.column(n), expression=sqlexec.param(i)) for i, n in enumerate(names)],
        where=exp.Where(this=exp.EQ(this=sqlexec.column("seq"), expression=sqlexec.param(len(names)))),
    )
    sqlexec.execute(conn, tree, [changes[n] for n in names] + [seq])
