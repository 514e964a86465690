"""Apply a plan: gates -> lock -> staleness -> one transaction per unit -> ledger -> verify.

Before anything is executed: the plan must be for this target, the mode must
allow changes, and every destructive code must be allowed. Under the
database lock the state digest is recomputed; a stale plan runs nothing.
Each unit then runs in its own transaction where DDL is transactional
(PostgreSQL with ``lock_timeout``/``statement_timeout``; SQLite as a
savepoint inside the ``BEGIN IMMEDIATE`` that is its lock). On MySQL, where
DDL commits implicitly, the ledger row records progress statement by
statement. A failing unit is rolled back where possible, recorded as
``failed`` and stops the run. Fingerprint and invariants run before and after.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy.exc import DBAPIError
from sqlglot import exp

from . import __version__, ledger, sqlexec
from .audit import AuditReport, audit, schemas_read
from .diff.migrations import PENDING
from .diff.rows import rows_digest
from .errors import ReconError, SafetyRefusal, TargetError
from .model import Specs
from .planner import Plan, PlanAction, PlanUnit, state_digest, target_id
from .target import Target, create_engine, driver_message, make_target

DEFAULT_LOCK_TIMEOUT = "5s"
DEFAULT_STATEMENT_TIMEOUT = "15min"
DESTRUCTIVE_HINT = "allow it on the unit (allow: [CODE]) or pass --allow-destructive"


class ApplyError(ReconError):
    """A unit failed; what ran is rolled back where the dialect allows, and the ledger says so.

    ``report`` holds the outcomes up to the failure, for the CLI to print.
    """

    def __init__(self, message: str, report: "ApplyReport"):
        super().__init__(message)
        self.report = report


class StaleApplyError(ApplyError):
    """Rows the plan read changed before its row transaction locked them: a stale plan (exit 3)."""

    exit_code = 3


@dataclass(frozen=True)
class UnitOutcome:
    """What happened to one unit during apply."""

    unit: str
    kind: str
    status: str  # applied | rolled_back | failed
    statements: int
    seconds: float
    error: str | None = None

    def to_dict(self) -> dict:
        return {"unit": self.unit, "kind": self.kind, "status": self.status, "statements": self.statements,
                "seconds": round(self.seconds, 3), "error": self.error}


@dataclass
class ApplyReport:
    """The result of an apply: per-unit outcomes and the audits before and after."""

    plan_id: str
    target: str
    outcomes: list[UnitOutcome] = field(default_factory=list)
    before: AuditReport | None = None
    after: AuditReport | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        return {
            "format": "recon.apply/v1", "plan_id": self.plan_id, "target": self.target, "ok": self.ok, "error": self.error,
            "units": [o.to_dict() for o in self.outcomes],
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
        }


def check_gates(plan: Plan, target: Target, *, mode: str, allow_destructive: bool) -> None:
    """Refuse (exit 3) before connecting for writes: wrong target, detect-only mode, disallowed codes."""
    if target_id(target) != plan.target_id:
        raise SafetyRefusal(f"plan {plan.plan_id} was made for {plan.target.url}, not {target.display_url}: make a plan for this target")
    if mode == "detect-only":
        raise SafetyRefusal("detect-only mode: apply and rollback are refused (unset --mode/RECON_MODE or the environment's mode)")
    if plan.mode == "detect-only":
        raise SafetyRefusal(f"plan {plan.plan_id} was made in detect-only mode, for review only: make the plan again where apply is allowed")
    units = {u.id: u for u in plan.units}
    blocked = [
        f"{a.unit}: {c['code']} {a.op} {a.object} ({c['message']})"
        for a in plan.actions if a.status == PENDING
        for c in a.codes if c["destructive"] and not allow_destructive and c["code"] not in units[a.unit].allow
    ]
    if blocked:
        raise SafetyRefusal("destructive changes not allowed:\n  " + "\n  ".join(blocked) + f"\n{DESTRUCTIVE_HINT}")


def apply(plan: Plan, url: "str | Target", *, specs: Specs | None = None, allow_destructive: bool = False,
          mode: str = "apply", environment=None, echo=lambda line: None, bind_limit: int | None = None,
          packet_limit: int | None = None) -> ApplyReport:
    """Execute exactly ``plan`` on ``url`` or refuse.

    ``specs`` drive the audits before and after (and supply the environments);
    ``environment`` (a ``model.Environment``) adds its window, rollback-notes and
    promotion gates. ``bind_limit`` caps the values one row statement binds, and on MySQL
    ``packet_limit`` its bytes (defaults: the driver's limit and ``max_allowed_packet``;
    tests use small ones to cross chunk boundaries).
    """
    from . import gates

    target = url if isinstance(url, Target) else make_target(url)
    check_gates(plan, target, mode=mode, allow_destructive=allow_destructive)
    gates.check(plan, environment, specs.environments if specs is not None else ())
    report = ApplyReport(plan.plan_id, target.display_url)
    if plan.empty:
        return report
    executor = EXECUTORS[target.dialect](target, plan, (bind_limit, packet_limit))
    with executor.session():
        executor.verify_fresh(schemas_read(specs) if specs is not None else ())
        if specs is not None:  # the state just read under the lock is the "before"
            report.before = audit(specs, target, state=executor.state)
        executor.ensure_ledger()
        note = _run_units(executor, report, echo)
        failed = executor.finish(report.outcomes)
        if failed:  # the run's own COMMIT failed (SQLite): nothing stayed, whatever the units said
            report.outcomes = [o if o.status == "failed" else UnitOutcome(o.unit, o.kind, "failed", o.statements, o.seconds, failed)
                               for o in report.outcomes]
            report.error, note = f"the run was not committed: {failed}", "; nothing was applied"
        if executor.commits_at_end:
            for outcome in report.outcomes:
                echo(outcome)
    if specs is not None:
        report.after = audit(specs, target)
    if report.error:
        raise (StaleApplyError if executor.stale and not failed else ApplyError)(report.error + note, report)
    return report


def _run_units(executor: "Executor", report: ApplyReport, echo) -> str:
    """Each migration unit in its own transaction, then all seed and rbac units in one; stops at a failure.
    Returns what the failure left behind, for the message."""
    plan = executor.plan
    by_unit: dict[str, list[PlanAction]] = {}
    for action in plan.actions:
        by_unit.setdefault(action.unit, []).append(action)
    rows = [u for u in plan.units if u.kind == "seed"]
    for unit in (u for u in plan.units if u.kind != "seed"):
        outcome = executor.run_unit(unit, by_unit.get(unit.id, []))
        if not _record(executor, report, [outcome], echo):
            return executor.failure_note(unit)
    if rows:
        from .rowrun import run_rows

        ids = {u.id for u in rows}
        outcomes = run_rows(executor, rows, [a for a in plan.actions if a.unit in ids and a.status == PENDING])
        if not _record(executor, report, outcomes, echo):
            return "; all row changes were rolled back: none was applied"
    return ""


def _record(executor: "Executor", report: ApplyReport, outcomes: list, echo) -> bool:
    """Add ``outcomes`` to the report (echoed unless the run commits at its end); False on a failure."""
    report.outcomes += outcomes
    if not executor.commits_at_end:
        for outcome in outcomes:
            echo(outcome)
    failed = next((o for o in outcomes if o.status == "failed" and not o.error.startswith("rolled back with")), None)
    if failed is not None:
        report.error = f"unit {failed.unit} failed: {failed.error}"
    return failed is None


def seconds(duration: str | None, default: str) -> float:
    """``5s``/``500ms``/``2min`` -> seconds."""
    value, unit = re.fullmatch(r"(\d+)(ms|s|min)", duration or default).groups()
    return int(value) * {"ms": 0.001, "s": 1, "min": 60}[unit]


class Executor:
    """Runs a plan's units on one connection; subclasses supply the dialect's lock and transactions."""

    transactional_ddl = True
    step_failure_note = ("; the unit ran outside a transaction (transactional: false): statements before the failing one"
                         " stay applied, and a new plan continues from the live state")

    def __init__(self, target: Target, plan: Plan, limits: tuple = (None, None)):
        self.target = target
        self.plan = plan
        self.table = plan.ledger_table
        self.conn = None
        self.asked_limits = limits  # (binds, packet bytes) a caller caps the row statements at
        self.stale: str | None = None  # why the row transaction found the plan stale

    # -- session and lock --------------------------------------------------------------

    def session(self):
        from contextlib import contextmanager

        @contextmanager
        def opened():
            engine = create_engine(self.target, read_only=False)
            try:
                try:
                    self.conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                except DBAPIError as exc:
                    raise TargetError(f"cannot connect to {self.target.display_url}: {self.target.scrub(driver_message(exc))}") from None
                try:
                    self.lock()
                    try:
                        yield self
                    finally:
                        self.unlock()
                except DBAPIError as exc:  # lock, inspection, ledger: the database said no
                    raise TargetError(f"{self.target.display_url}: {self.target.scrub(driver_message(exc))}") from None
                finally:
                    self.conn.close()
            finally:
                engine.dispose()

        return opened()

    def lock(self) -> None:
        raise NotImplementedError

    def unlock(self) -> None:
        raise NotImplementedError

    def lock_key(self) -> str:
        return f"recon:{self.table}"

    commits_at_end = False  # the units' work stays only if the run's final COMMIT succeeds (SQLite)

    def finish(self, outcomes: list[UnitOutcome]) -> str | None:
        """Called once after the units that ran, inside the lock; the error if the run could not be committed."""
        return None

    # -- staleness ---------------------------------------------------------------------

    def verify_fresh(self, schemas=()) -> None:
        """Re-inspect under the lock; refuse (running nothing) when the plan's state changed.

        ``schemas`` are read too (for the audit before), besides those the plan touches.
        """
        from .inspect import inspect_schema

        state = inspect_schema(self.conn, sorted({s for s, _ in self.plan.touched} | set(schemas)))
        rows = ledger.read(self.conn, state, self.table)
        self.state = state
        self.seq = max((r.seq for r in rows), default=0)
        if state_digest(state, self.plan.touched, rows, self.reread_seeds()) != self.plan.state_digest:
            raise SafetyRefusal(
                f"plan is stale: the database changed since plan {self.plan.plan_id} was made "
                f"({self.plan.created_at}); nothing was executed. Run `recon plan` again, review, then apply the new plan."
            )
        self.verify_guards()

    def reread_seeds(self) -> list[str]:
        """Digests of the seed rows the plan was made from, read again now (a failing read reads as changed)."""
        out = []
        for read in self.plan.reads:
            try:
                rows = sqlexec.run_driver(self.conn, read.sql, read.params).fetchall()
            except DBAPIError as exc:
                out.append(f"unreadable: {driver_message(exc)}")
                continue
            out.append(rows_digest(rows))
        return out

    @property
    def limits(self):
        """How large one row statement may be on this connection (read once)."""
        if getattr(self, "_limits", None) is None:
            from .rowrun import Limits

            self._limits = Limits.of(self.conn, *self.asked_limits)
        return self._limits

    def ensure_ledger(self) -> None:
        if not ledger.exists(self.state, self.table):
            self.conn.exec_driver_sql(ledger.create_statement(self.table, self.target.dialect))

    # -- units -------------------------------------------------------------------------

    def next_seq(self) -> int:
        """The next ledger sequence number: only recon writes the ledger, and only under this lock."""
        self.seq += 1
        return self.seq

    def row(self, unit: PlanUnit, status: str, count: int, started: str, error: str | None = None) -> ledger.LedgerRow:
        return ledger.LedgerRow(
            seq=self.next_seq(), unit=unit.id, checksum=unit.checksum, scope=unit.scope,
            status=status, plan_id=self.plan.plan_id, started_at=started, finished_at=ledger.now(),
            actor=ledger.actor(), engine_version=__version__, statements=count, error=error,
        )

    def done_status(self, unit: PlanUnit) -> str:
        return "rolled_back" if unit.kind == "rollback" else "applied"

    def failed_status(self, unit: PlanUnit) -> str:
        """A failed rollback leaves the unit applied (ledger.applied counts it), so it can be retried."""
        return "rollback_failed" if unit.kind == "rollback" else "failed"

    def statements(self, actions: list[PlanAction]):
        """The SQL to run for a migration unit: its pending actions' statements in plan order."""
        for action in actions:
            if action.status == PENDING:
                yield from action.sql

    def run_sql(self, sql: str):
        """Execute planned SQL text exactly as shown in the plan."""
        return sqlexec.run_text(self.conn, sql)

    def verify_guards(self) -> None:
        """Re-run every raw-SQL guard under the lock; a different answer than at plan time is a stale plan."""
        for action in self.plan.actions:
            if action.guard_sql is None:
                continue
            holds = sqlexec.guard_holds(self.conn, action.guard_sql, action.guard_dialect)
            if holds != (action.status == PENDING):
                raise SafetyRefusal(
                    f"plan is stale: the guard of {action.unit} ({action.source}) now {'holds' if holds else 'does not hold'}, "
                    f"unlike when plan {self.plan.plan_id} was made; nothing was executed. Run `recon plan` again."
                )

    def runs_in_transaction(self, unit: PlanUnit) -> bool:
        return self.transactional_ddl and unit.transactional

    def failure_note(self, unit: PlanUnit) -> str:
        """What a failure of ``unit`` left behind: rolled back, or partly applied."""
        return "; the unit was rolled back" if self.runs_in_transaction(unit) else self.step_failure_note

    def run_unit(self, unit: PlanUnit, actions: list[PlanAction]) -> UnitOutcome:
        if self.runs_in_transaction(unit):
            return self.run_transactional(unit, actions)
        return self.run_step_by_step(unit, actions)

    def run_transactional(self, unit: PlanUnit, actions: list[PlanAction]) -> UnitOutcome:
        started, clock, count, seq = ledger.now(), time.monotonic(), 0, self.seq
        statements = list(self.statements(actions))
        self.begin(unit)
        try:
            for sql in statements:
                self.run_sql(sql)
                count += 1
            ledger.insert(self.conn, self.table, self.row(unit, self.done_status(unit), count, started))
            self.commit()
        except Exception as exc:  # noqa: BLE001 - any failure rolls the unit back and is recorded
            self.rollback()
            self.seq = seq  # the rolled-back ledger row's number is free again
            where = f"statement {count + 1}" if count < len(statements) else "at commit"  # e.g. a deferred constraint
            error = f"{where}: {self.target.scrub(driver_message(exc))}"
            ledger.insert(self.conn, self.table, self.row(unit, self.failed_status(unit), 0, started, error))
            return UnitOutcome(unit.id, unit.kind, "failed", count, time.monotonic() - clock, error)
        return UnitOutcome(unit.id, unit.kind, self.done_status(unit), count, time.monotonic() - clock)

    def run_step_by_step(self, unit: PlanUnit, actions: list[PlanAction]) -> UnitOutcome:
        """Outside a transaction (MySQL DDL, CREATE INDEX CONCURRENTLY): progress recorded per statement."""
        started, clock, count = ledger.now(), time.monotonic(), 0
        row = self.row(unit, "running", 0, started)
        ledger.insert(self.conn, self.table, row)
        self.session_timeouts(unit)
        try:
            for sql in self.statements(actions):
                self.run_sql(sql)
                count += 1
                ledger.update(self.conn, self.table, row.seq, statements=count)
        except Exception as exc:  # noqa: BLE001 - recorded precisely, then the run stops
            error = self.target.scrub(driver_message(exc))
            ledger.update(self.conn, self.table, row.seq, status=self.failed_status(unit), finished_at=ledger.now(), error=f"statement {count + 1}: {error}")
            return UnitOutcome(unit.id, unit.kind, "failed", count, time.monotonic() - clock, f"statement {count + 1}: {error}")
        ledger.update(self.conn, self.table, row.seq, status=self.done_status(unit), finished_at=ledger.now(), statements=count)
        return UnitOutcome(unit.id, unit.kind, self.done_status(unit), count, time.monotonic() - clock)

    def begin(self, unit: PlanUnit) -> None:
        self.conn.exec_driver_sql("BEGIN")

    def commit(self) -> None:
        self.conn.exec_driver_sql("COMMIT")

    def rollback(self) -> None:
        self.conn.exec_driver_sql("ROLLBACK")

    def session_timeouts(self, unit: PlanUnit) -> None:
        """Timeouts for statements that run outside a transaction."""


class PostgresExecutor(Executor):
    """Session advisory lock; per unit BEGIN with SET LOCAL lock_timeout and statement_timeout."""

    def lock_number(self) -> int:
        return int.from_bytes(hashlib.sha256(self.lock_key().encode()).digest()[:8], "big", signed=True)

    def lock(self) -> None:
        got = sqlexec.execute(self.conn, exp.select(exp.func("pg_try_advisory_lock", sqlexec.param(0))), [self.lock_number()]).scalar()
        if not got:
            raise SafetyRefusal(f"lock held: another recon apply is running on {self.target.display_url} (advisory lock {self.lock_number()})")

    def unlock(self) -> None:
        sqlexec.execute(self.conn, exp.select(exp.func("pg_advisory_unlock", sqlexec.param(0))), [self.lock_number()])

    TIMEOUTS = ("lock_timeout", "statement_timeout")

    @staticmethod
    @lru_cache(maxsize=2)
    def timeouts_sql(local: bool) -> str:
        """``SELECT set_config(...)`` for both timeouts, rendered once (values bound)."""
        tree = exp.select(*[exp.func("set_config", exp.Literal.string(name), sqlexec.param(i), exp.Boolean(this=local))
                            for i, name in enumerate(PostgresExecutor.TIMEOUTS)])
        return sqlexec.prepare(tree, "postgresql")

    def set_timeouts(self, unit: PlanUnit, local: bool) -> None:
        """``SET [LOCAL] lock_timeout`` and ``statement_timeout`` in one round trip, values bound."""
        values = [unit.lock_timeout or DEFAULT_LOCK_TIMEOUT, unit.statement_timeout or DEFAULT_STATEMENT_TIMEOUT]
        sqlexec.run_prepared(self.conn, self.timeouts_sql(local), values)

    def begin(self, unit: PlanUnit) -> None:
        super().begin(unit)
        self.set_timeouts(unit, local=True)

    def session_timeouts(self, unit: PlanUnit) -> None:
        self.set_timeouts(unit, local=False)


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
            raise SafetyRefusal(f"lock held: another recon apply is running on {self.target.display_url} (GET_LOCK {self.lock_key()!r})")

    def unlock(self) -> None:
        sqlexec.execute(self.conn, exp.select(exp.func("RELEASE_LOCK", sqlexec.param(0))), [self.lock_key()])

    def session_timeouts(self, unit: PlanUnit) -> None:
        """``lock_wait_timeout`` (metadata locks, DDL) and ``innodb_lock_wait_timeout`` (row locks, seed rows)."""
        wait = max(1, int(seconds(unit.lock_timeout, DEFAULT_LOCK_TIMEOUT)))
        items = [exp.SetItem(this=exp.EQ(this=exp.var(name), expression=sqlexec.param(0)), kind="SESSION")
                 for name in ("lock_wait_timeout", "innodb_lock_wait_timeout")]
        sqlexec.execute(self.conn, exp.Set(expressions=items), [wait])

    def begin(self, unit: PlanUnit) -> None:
        self.session_timeouts(unit)
        super().begin(unit)


class SQLiteExecutor(Executor):
    """BEGIN IMMEDIATE is the lock and holds for the whole run; each unit is a savepoint inside it.

    SQLite's DDL is transactional and it has no CONCURRENTLY, so a ``transactional: false``
    unit (written for PostgreSQL) runs in its savepoint too, and a failure undoes all of it.
    """

    commits_at_end = True

    def runs_in_transaction(self, unit: PlanUnit) -> bool:
        return True

    def lock(self) -> None:
        try:
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception as exc:  # noqa: BLE001 - "database is locked"
            raise SafetyRefusal(f"lock held: another writer holds {self.target.display_url} ({driver_message(exc)})") from None
        # Taking the lock never waits; the final COMMIT may wait for readers to finish.
        wait = int(seconds(self.plan.units[0].lock_timeout if self.plan.units else None, DEFAULT_LOCK_TIMEOUT) * 1000)
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
        self.conn.exec_driver_sql('SAVEPOINT "recon_unit"')

    def commit(self) -> None:
        self.conn.exec_driver_sql('RELEASE SAVEPOINT "recon_unit"')

    def rollback(self) -> None:
        self.conn.exec_driver_sql('ROLLBACK TO SAVEPOINT "recon_unit"')
        self.conn.exec_driver_sql('RELEASE SAVEPOINT "recon_unit"')


EXECUTORS = {"postgresql": PostgresExecutor, "mysql": MySQLExecutor, "sqlite": SQLiteExecutor}
