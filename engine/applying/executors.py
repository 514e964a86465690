"""The dialect executors: PostgreSQL, MySQL/MariaDB and SQLite locks, transactions and timeouts."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlglot import exp

from ..errors import SafetyRefusal
from ..inspect.catalog import load_sql
from ..ledger import table as ledger
from ..planning.planfile import PlanUnit
from ..target import sqlexec
from ..target.connection import driver_message
from .executor import (
    DEFAULT_LOCK_TIMEOUT,
    Executor,
    UnitOutcome,
    seconds,
)


class PostgresExecutor(Executor):
    """Session advisory lock; the units' lock_timeout and statement_timeout on the session; per unit BEGIN ... COMMIT."""

    def lock_number(self) -> int:
        return int.from_bytes(hashlib.sha256(self.lock_key().encode()).digest()[:8], "big", signed=True)

    def lock(self) -> None:
        got = sqlexec.execute(self.conn, exp.select(exp.func("pg_try_advisory_lock", sqlexec.param(0))), [self.lock_number()]).scalar()
        if not got:
            raise SafetyRefusal(f"lock held: another recon apply is running on {self.target.display_url} (advisory lock "
                                f"{self.lock_number()}){self.holder()}")

    def holder(self) -> str:
        """Who holds the advisory lock, since when, running what, and how to end it (empty if it just went)."""
        key = self.lock_number() & 0xFFFFFFFFFFFFFFFF
        row = self.conn.execute(text(load_sql("postgresql_lock_holder")), {"high": key >> 32, "low": key & 0xFFFFFFFF}).first()
        if row is None:
            return ""
        pid, user, app, client, since, state, seconds_, query = row
        who = f"backend pid {pid} ({user}{'@' + client if client else ''}{', ' + app if app else ''}), connected since {since}"
        doing = f"{state} for {seconds_} s: {self.target.scrub(query or '')}" if state else "idle"
        return (f": held by {who}, {doing}. If that recon apply was killed, its statement may still run on the server: "
                f"wait for it to end, or end that backend with pg_terminate_backend({pid}); then plan again")

    def unlock(self) -> None:
        sqlexec.execute(self.conn, exp.select(exp.func("pg_advisory_unlock", sqlexec.param(0))), [self.lock_number()])

    TIMEOUTS = ("lock_timeout", "statement_timeout")

    @staticmethod
    @lru_cache(maxsize=1)
    def timeouts_sql() -> str:
        """``SELECT set_config(...)`` of both timeouts for the session, rendered once (values bound)."""
        tree = exp.select(*[exp.func("set_config", exp.Literal.string(name), sqlexec.param(i), exp.false())
                            for i, name in enumerate(PostgresExecutor.TIMEOUTS)])
        return sqlexec.prepare(tree, "postgresql")

    def session_timeouts(self, unit: PlanUnit) -> None:
        """``lock_timeout`` and ``statement_timeout`` for the session in one round trip, values bound; set
        before the unit's ``BEGIN``, so a rollback keeps them, and again only when a unit's differ."""
        sqlexec.send(self.conn, self.timeouts_sql(), sqlexec.params(self.timeouts(unit)))

    def begin(self, unit: PlanUnit) -> None:
        self.use_timeouts(unit)
        super().begin(unit)

    def is_lock_timeout(self, exc: Exception) -> bool:
        """SQLSTATE 55P03 (lock_not_available): ``lock_timeout`` ran out."""
        return getattr(getattr(exc, "orig", exc), "sqlstate", None) == "55P03"


class MySQLExecutor(Executor):
    """GET_LOCK; DDL commits implicitly, so every migration unit runs step by step with recorded
    progress. Seed rows are plain DML and run in a transaction."""

    transactional_ddl = False
    step_failure_note = "; MySQL commits DDL implicitly: statements before the failing one stay applied, and a new plan continues from the live state"

    def lock_key(self) -> str:
        """GET_LOCK names are server-wide while the ledger is per database: the name carries both (at most 64 characters)."""
        key = f"recon:{self.target.url.database}.{self.table}"
        return key if len(key) <= 64 else "recon:" + hashlib.sha256(key.encode()).hexdigest()[:58]

    def lock(self) -> None:
        got = sqlexec.execute(self.conn, exp.select(exp.func("GET_LOCK", sqlexec.param(0), exp.Literal.number(0))), [self.lock_key()]).scalar()
        if got != 1:
            raise SafetyRefusal(f"lock held: another recon apply is running on {self.target.display_url} (GET_LOCK "
                                f"{self.lock_key()!r}){self.holder()}")

    def holder(self) -> str:
        """Who holds the GET_LOCK name, for how long in what state, and how to end it (empty if it just went)."""
        row = self.conn.execute(text(load_sql("mysql_lock_holder")), {"name": self.lock_key()}).first()
        if row is None:
            return ""
        cid, user, host, seconds_, command, state, info = row
        doing = f"{command.lower()} for {seconds_} s" + (f" ({state})" if state else "") + (f": {self.target.scrub(info)}" if info else "")
        return (f": held by connection {cid} ({user}@{host}), {doing}. If that recon apply was killed, its statement still runs "
                f"on the server and keeps the lock: wait for it to end, or end it with KILL {cid}; then plan again")

    def unlock(self) -> None:
        sqlexec.execute(self.conn, exp.select(exp.func("RELEASE_LOCK", sqlexec.param(0))), [self.lock_key()])

    def session_timeouts(self, unit: PlanUnit) -> None:
        """``lock_wait_timeout`` (metadata locks, DDL) and ``innodb_lock_wait_timeout`` (row locks, seed rows)."""
        wait = max(1, int(seconds(unit.lock_timeout, DEFAULT_LOCK_TIMEOUT)))
        items = [exp.SetItem(this=exp.EQ(this=exp.var(name), expression=sqlexec.param(0)), kind="SESSION")
                 for name in ("lock_wait_timeout", "innodb_lock_wait_timeout")]
        sqlexec.execute(self.conn, exp.Set(expressions=items), [wait])

    def begin(self, unit: PlanUnit) -> None:
        self.use_timeouts(unit)
        super().begin(unit)

    def is_lock_timeout(self, exc: Exception) -> bool:
        """Error 1205: ``lock_wait_timeout`` (a metadata lock, DDL) or ``innodb_lock_wait_timeout`` (rows) ran out."""
        args = getattr(getattr(exc, "orig", exc), "args", ())
        return bool(args) and args[0] == 1205


class SQLiteExecutor(Executor):
    """BEGIN IMMEDIATE is the lock and holds for the whole run; each unit is a savepoint inside it.

    SQLite's DDL is transactional and it has no CONCURRENTLY, so a ``transactional: false``
    unit (written for PostgreSQL) runs in its savepoint too, and a failure undoes all of it.
    """

    commits_at_end = True

    def runs_in_transaction(self, unit: PlanUnit) -> bool:
        return True

    def tries(self, unit: PlanUnit) -> int:
        """One: the run takes its only lock before the first unit, so no unit waits on a lock."""
        return 1

    def lock(self) -> None:
        try:
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception as exc:  # noqa: BLE001 - "database is locked"
            raise SafetyRefusal(f"lock held: another writer holds {self.target.display_url} ({driver_message(exc)})") from None
        # Taking the lock never waits; the final COMMIT may wait for readers to finish.
        units = self.plan.units if self.plan is not None else ()
        wait = int(seconds(units[0].lock_timeout if units else None, DEFAULT_LOCK_TIMEOUT) * 1000)
        self.conn.exec_driver_sql(f"PRAGMA busy_timeout = {wait:d}")

    def unlock(self) -> None:
        if self.conn.connection.dbapi_connection.in_transaction:
            self.conn.exec_driver_sql("ROLLBACK")

    def finish(self, outcomes: list[UnitOutcome]) -> str | None:
        """COMMIT the run; if that fails (readers kept the file busy), roll it back and record each unit
        that ran as failed: with its own error if it failed, else with the commit's."""
        try:
            self.conn.exec_driver_sql("COMMIT")
            return None
        except DBAPIError as exc:
            error = f"at commit: {self.target.scrub(driver_message(exc))}"
        if self.conn.connection.dbapi_connection.in_transaction:  # some errors end the transaction themselves
            self.conn.exec_driver_sql("ROLLBACK")
        try:  # the ledger rows went with the rollback: record the failure in a transaction of its own
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")
            self.conn.exec_driver_sql(ledger.create_statement(self.table, self.target.dialect))  # IF NOT EXISTS
            for statement in ledger.upgrade_statements(ledger.columns_of(self.conn, None, self.table), self.table, self.target.dialect):
                self.conn.exec_driver_sql(statement)
            self.seq = max((r.seq for r in ledger.read(self.conn, None, self.table)), default=0)
            units = {u.id: u for u in self.plan.units}
            for outcome in outcomes:
                unit = units[outcome.unit]
                ledger.insert(self.conn, self.table, self.row(unit, self.failed_status(unit), 0, ledger.now(), outcome.error or error))
            self.conn.exec_driver_sql("COMMIT")
        except DBAPIError:
            pass  # still busy: the error is reported all the same
        return error

    def begin(self, unit: PlanUnit) -> None:
        sqlexec.send(self.conn, 'SAVEPOINT "recon_unit"')

    def commit(self) -> None:
        sqlexec.send(self.conn, 'RELEASE SAVEPOINT "recon_unit"')

    def rollback(self) -> None:
        sqlexec.send(self.conn, 'ROLLBACK TO SAVEPOINT "recon_unit"')
        sqlexec.send(self.conn, 'RELEASE SAVEPOINT "recon_unit"')


EXECUTORS = {"postgresql": PostgresExecutor, "mysql": MySQLExecutor, "sqlite": SQLiteExecutor}
