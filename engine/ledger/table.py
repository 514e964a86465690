"""The ledger: which units were applied, failed or rolled back, and with what checksum.

An append-only table (``recon_ledger`` unless configured), one row per event,
created by ``apply`` only. Reading it is one query, and a missing ledger reads
as empty, so ``plan`` and ``history`` never create it. Statements are sqlglot
trees with bound values, built (and sqlglot imported) only where the ledger exists or is
written: an audit of a database without one imports no sqlglot.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from functools import lru_cache

from ..inspect.state import SchemaState
from ..target import sqlexec
from . import DEFAULT_TABLE  # noqa: F401 - public here too, where the table is

# Ledger keys of seed and rbac spec runs (``seed:<name>``); a unit id cannot contain ":".
SPEC_RUN_PREFIXES = ("seed:", "rbac:")
COLUMNS = (
    ("seq", "INTEGER"), ("unit", "VARCHAR(255)"), ("checksum", "VARCHAR(80)"), ("scope", "VARCHAR(16)"),
    ("status", "VARCHAR(16)"), ("plan_id", "VARCHAR(64)"), ("started_at", "VARCHAR(40)"), ("finished_at", "VARCHAR(40)"),
    ("actor", "VARCHAR(255)"), ("engine_version", "VARCHAR(40)"), ("statements", "INTEGER"), ("error", "TEXT"),
    # added later: apply (and repair) adds them to an older ledger under its lock; readers take them as empty
    ("override", "VARCHAR(40)"), ("reason", "TEXT"), ("accepted", "TEXT"), ("approvers", "TEXT"),
)


@dataclass(frozen=True)
class LedgerRow:
    """One ledger event: ``status`` is applied, failed, running, rolled_back, rollback_failed, or
    repaired (``recon repair``: the operator accepted the unit's drift; the unit stays applied)."""

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
    override: str | None = None  # a gate the operator overrode for this run (``window``)
    reason: str | None = None  # why, as given with the override (or with ``recon repair``)
    accepted: str | None = None  # repaired rows: the drift accepted, a JSON list of ``Drift.key`` strings
    approvers: str | None = None  # the principals whose signed approvals apply verified, a JSON list (None: not checked)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def actor() -> str:
    """Who runs apply: ``RECON_ACTOR`` (a CI job names who approved the run), else ``user@host``."""
    return os.environ.get("RECON_ACTOR") or _login()


@lru_cache(maxsize=1)
def _login() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def exists(state: SchemaState, table: str) -> bool:
    return state.table(None, table) is not None


def read(conn, state: SchemaState | None, table: str = DEFAULT_TABLE, probe: bool = False) -> list[LedgerRow]:
    """Every ledger row in order, or [] when the ledger does not exist yet. A ledger of an
    earlier shape is read as it is: the columns it lacks read as empty (nothing is written).

    With an inspected ``state`` that is one query; without one (``recon history``,
    which needs nothing else of the schema) the table's columns cost one more. With ``probe``,
    a ledger the state lacks on MySQL is read once more (``hidden``).
    """
    present = columns_of(conn, state, table)
    if not present:
        if probe and state is not None and state.dialect == "mysql":
            hidden(conn, table)
        return []
    from sqlglot import exp

    names = [name for name, _ in COLUMNS if name in present]
    tree = exp.select(*[sqlexec.column(name) for name in names]).from_(sqlexec.table(table)).order_by(sqlexec.column("seq"))
    return [LedgerRow(**dict(zip(names, row))) for row in sqlexec.execute(conn, tree)]


def hidden(conn, table: str) -> None:
    """MySQL's catalog lists only the tables a login holds a privilege on: a ledger missing from it is
    selected once (no rows) to tell no ledger (``doesn't exist``, 1146) from one the login may not
    read, whose refusal (1142 ``SELECT command denied``, also said of a table that does not exist)
    is raised to the caller. The probe is SQLAlchemy's own tree, not sqlglot's: it is the one statement
    an audit of a MySQL database without a ledger sends, and it need not import a SQL toolkit for it."""
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError

    try:
        conn.execute(sa.select(sa.column("seq")).select_from(sa.table(table)).limit(0))
    except DBAPIError as exc:
        if getattr(exc.orig, "args", (None,))[0] != 1146:
            raise


def columns_of(conn, state: SchemaState | None, table: str) -> set[str]:
    """The ledger's columns as they are (empty: no ledger)."""
    if state is not None:
        found = state.table(None, table)
        return {c.name for c in found.columns} if found is not None else set()
    from sqlalchemy import inspect

    inspector = inspect(conn)
    return {c["name"] for c in inspector.get_columns(table)} if inspector.has_table(table) else set()


def upgrade_statements(present: set[str], table: str, dialect: str) -> list[str]:
    """``ALTER TABLE ... ADD COLUMN`` for each column a ledger of an earlier shape lacks."""
    from sqlglot import exp
    out = []
    for name, kind in COLUMNS:
        if name not in present:
            column = exp.ColumnDef(this=sqlexec.ident(name), kind=exp.DataType.build(kind))
            out.append(sqlexec.render(exp.Alter(this=sqlexec.table(table), kind="TABLE", actions=[column]), dialect))
    return out


def current(rows: list[LedgerRow]) -> dict[str, LedgerRow]:
    """The latest row of each unit (running rows count: a unit died mid-way)."""
    latest: dict[str, LedgerRow] = {}
    for row in rows:
        latest[row.unit] = row
    return latest


# A failed rollback leaves the unit applied (wholly, or partly on MySQL); a repair accepts its drift and keeps it applied.
APPLIED = ("applied", "rollback_failed", "repaired")


def applied(rows: list[LedgerRow]) -> dict[str, LedgerRow]:
    """Units whose latest event is ``applied``, a rollback that failed, or a repair."""
    return {u: r for u, r in current(rows).items() if r.status in APPLIED}


def create_statement(table: str, dialect: str) -> str:
    """CREATE TABLE IF NOT EXISTS for the ledger in ``dialect``."""
    from sqlglot import exp
    cols = [exp.ColumnDef(this=sqlexec.ident(name), kind=exp.DataType.build(kind)) for name, kind in COLUMNS]
    pk = exp.Constraint(this=sqlexec.ident(f"{table}_pkey"), expressions=[exp.PrimaryKey(expressions=[sqlexec.ident("seq")])])
    return sqlexec.render(exp.Create(this=exp.Schema(this=sqlexec.table(table), expressions=cols + [pk]), kind="TABLE", exists=True), dialect)


@lru_cache(maxsize=16)
def _insert_sql(table: str, dialect: str) -> str:
    """The INSERT of one ledger row, rendered once per table and dialect (apply writes one per unit)."""
    from sqlglot import exp
    names = [f.name for f in fields(LedgerRow)]
    tree = exp.insert(
        exp.values([tuple(sqlexec.param(i) for i in range(len(names)))]),
        exp.Schema(this=sqlexec.table(table), expressions=[sqlexec.ident(n) for n in names]),
    )
    return sqlexec.prepare(tree, dialect)


def insert(conn, table: str, row: LedgerRow) -> None:
    """Append ``row`` (values bound; one per unit an apply runs, so past SQLAlchemy's result objects)."""
    sqlexec.send(conn, _insert_sql(table, sqlexec.dialect_of(conn)), sqlexec.params([getattr(row, f.name) for f in fields(LedgerRow)]))


@lru_cache(maxsize=64)
def _update_sql(table: str, dialect: str, names: tuple[str, ...]) -> str:
    """The UPDATE of ``names`` in one ledger row, rendered once per shape (a unit run statement by
    statement updates its row after each statement: a render each was a quarter of a millisecond)."""
    from sqlglot import exp
    tree = exp.Update(
        this=sqlexec.table(table),
        expressions=[exp.EQ(this=sqlexec.column(n), expression=sqlexec.param(i)) for i, n in enumerate(names)],
        where=exp.Where(this=exp.EQ(this=sqlexec.column("seq"), expression=sqlexec.param(len(names)))),
    )
    return sqlexec.prepare(tree, dialect)


def update(conn, table: str, seq: int, **changes) -> None:
    """Update fields of row ``seq`` (progress of a running unit; values bound, the result not read)."""
    names = tuple(changes)
    sqlexec.send(conn, _update_sql(table, sqlexec.dialect_of(conn), names), sqlexec.params([*changes.values(), seq]))


def approvers(row) -> list[str]:
    """The principals who approved the plan of a ledger row (verified at apply), in signing order; [] if none were checked."""
    return json.loads(row.approvers) if row.approvers else []


def accepted(row) -> list[str]:
    """The drift a ``repaired`` ledger row accepts (``Drift.key`` strings, sorted); [] for any other row."""
    if row.status != "repaired" or not row.accepted:
        return []
    return sorted(json.loads(row.accepted))
