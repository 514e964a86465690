"""Apply of row actions: the plan's seed and rbac work, in one transaction, exactly as planned.

Every seed and rbac unit of a plan runs in one transaction (the order of its actions keeps
foreign keys whole: parents first for inserts, children first for deletes). In it, the rows
the plan read are read again with the locking form of each SELECT (``FOR UPDATE`` on
PostgreSQL and MySQL; SQLite's apply holds the whole database), so they cannot change
between that check and the writes; different rows make the plan stale and nothing stays.
Each statement template is extended to chunks as large as the driver allows (binds, and on
MySQL ``max_allowed_packet``), and the rows each statement affects must add up to what the
plan says, or the transaction is rolled back.
"""

from __future__ import annotations

import time

from ..diff.kinds import rows_digest
from ..ledger import table as ledger
from ..target import sqlexec
from ..target.connection import driver_message
from ..target.rowsql import Limits, chunks


class RowCountMismatch(Exception):
    """A statement affected other rows than the plan says: the row transaction is rolled back."""


class StaleRows(Exception):
    """Rows the plan read changed before the row transaction locked them (``unit``: whose)."""

    def __init__(self, message: str, unit: str):
        super().__init__(message)
        self.unit = unit


def run_action(conn, action, limits: Limits) -> int:
    """Run one row action's statements over all its rows; the number of statements sent."""
    sent = 0
    for number, (sql, template, expected) in enumerate(action.templates(), start=1):
        affected = 0
        if template is None:
            affected, sent = sqlexec.run_driver(conn, sql).rowcount, sent + 1
        else:
            texts: dict[int, str] = {}
            for chunk in chunks(action.rows, template.width, limits, template.tail):
                text = texts.get(len(chunk)) or texts.setdefault(len(chunk), template.statement(len(chunk)))
                affected += sqlexec.run_driver(conn, text, template.bind(chunk)).rowcount
                sent += 1
        if affected != expected:
            which = f"statement {number} of " if len(action.sql) > 1 else ""
            raise RowCountMismatch(f"{which}{action.op} {action.object} affected {affected} row{'s' if affected != 1 else ''}, "
                                   f"the plan expects {expected}: the database holds other rows than the plan read")
    return sent


def verify_locked(conn, reads) -> None:
    """Read again, locking, what the plan read; raise ``StaleRows`` naming the first unit whose rows differ.
    A read the database refuses (a lock wait timeout) fails the row transaction like any statement."""
    for read in reads:
        rows = sqlexec.run_driver(conn, read.lock_sql or read.sql, read.params).fetchall()
        if rows_digest(rows) != read.digest:
            raise StaleRows(f"plan is stale: the rows of {read.unit} changed since the plan was made (another writer); "
                            "no row change was applied. Run `recon plan` again, review, then apply the new plan.", read.unit)


def run_rows(executor, units: list, actions: list) -> list:
    """Every seed and rbac unit in one transaction: locked re-read, the actions, a ledger row each.

    Returns one outcome per unit; on any failure nothing stays and each unit is recorded as
    failed (the one whose statement failed with its error, the others as rolled back with it).
    """
    from .executor import UnitOutcome

    started, clock, seq = ledger.now(), time.monotonic(), executor.seq
    sent = {u.id: 0 for u in units}
    current, where = units[0].id, "reading again the rows the plan read: "
    executor.begin(units[0])
    try:
        verify_locked(executor.conn, [r for r in executor.plan.reads if r.unit in sent])
        for number, action in enumerate(actions, 1):
            current, where = action.unit, f"{action.op} {action.object}: "
            executor.progress.statement(number, len(actions), f"{action.op} {action.object} ({action.count} rows)")
            sent[action.unit] += run_action(executor.conn, action, executor.limits)
        for unit in units:
            ledger.insert(executor.conn, executor.table, executor.row(unit, executor.done_status(unit), sent[unit.id], started))
        where = "at commit: "  # e.g. a deferred constraint
        executor.commit()
    except Exception as exc:  # noqa: BLE001 - any failure rolls all row work back and is recorded
        executor.rollback()
        executor.seq = seq
        if isinstance(exc, StaleRows):
            executor.stale, current = str(exc), exc.unit
        error = str(exc) if isinstance(exc, (StaleRows, RowCountMismatch)) else where + executor.target.scrub(driver_message(exc))
        out = []
        for unit in units:
            why = error if unit.id == current else f"rolled back with {current}, which failed in the same transaction"
            ledger.insert(executor.conn, executor.table, executor.row(unit, executor.failed_status(unit), 0, started, why))
            out.append(UnitOutcome(unit.id, unit.kind, "failed", sent[unit.id], time.monotonic() - clock, why))
        return out
    seconds = time.monotonic() - clock
    return [UnitOutcome(u.id, u.kind, executor.done_status(u), sent[u.id], seconds) for u in units]
