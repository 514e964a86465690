"""One plan's run on one connection: the lock, staleness, each unit's transaction, the ledger.

``Executor`` holds what every dialect shares (the run's session and lock, the re-read under
the lock, a unit in a transaction or statement by statement, its ledger rows); the dialect
executors in ``executors.py`` supply the lock, the transactions and the timeouts.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace

from sqlalchemy.exc import DBAPIError

from ..diff.kinds import PENDING, rows_digest
from ..errors import SafetyRefusal, TargetError
from ..ledger import table as ledger
from ..planning.digest import stale_parts, state_digest, state_parts
from ..planning.planfile import Plan, PlanAction, PlanUnit
from ..target import sqlexec
from ..target.connection import Target, create_engine, driver_message
from ..version import __version__
from .progress import SILENT, Progress

DEFAULT_LOCK_TIMEOUT = "5s"
DEFAULT_STATEMENT_TIMEOUT = "15min"
LOCK_BACKOFF_CAP = 30.0  # seconds: the longest wait between two tries of a unit that failed on a lock


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


def seconds(duration: str | None, default: str) -> float:
    """``5s``/``500ms``/``2min``/``1h`` -> seconds (``default`` when ``duration`` is None)."""
    from ..planning.gates import seconds as parse

    return parse(duration or default)


class Executor:
    """Runs a plan's units on one connection; subclasses supply the dialect's lock and transactions."""

    transactional_ddl = True
    step_failure_note = ("; the unit ran outside a transaction (transactional: false): statements before the failing one"
                         " stay applied, and a new plan continues from the live state")

    def __init__(self, target: Target, plan: Plan | None, limits: tuple = (None, None), table: str | None = None):
        """``plan`` is the plan to run; None for a session that only writes the ledger ``table`` (``recon repair``)."""
        self.target = target
        self.plan = plan
        self.table = table or plan.ledger_table
        self.conn = None
        self.asked_limits = limits  # (binds, packet bytes) a caller caps the row statements at
        self.stale: str | None = None  # why the row transaction found the plan stale
        self.override: tuple[str, str] | None = None  # (gate, reason) the operator overrode for this run, for the ledger
        self.actor: str | None = None  # who runs it, for the ledger (None: RECON_ACTOR, else user@host)
        self.approvers: tuple[str, ...] = ()  # the principals whose signed approvals were verified, for the ledger
        self.progress: Progress = SILENT  # told of each statement sent, for a live display
        self.session_set: tuple | None = None  # the timeouts the session holds now (``use_timeouts``)

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
                        if not self.conn.invalidated:  # a lost session took its lock with it
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

    refresh = False  # apply --refresh: the audit before evaluates every canary on tables read under the lock
    commits_at_end = False  # the units' work stays only if the run's final COMMIT succeeds (SQLite)

    def finish(self, outcomes: list[UnitOutcome]) -> str | None:
        """Called once after the units that ran, inside the lock; the error if the run could not be committed."""
        return None

    # -- staleness ---------------------------------------------------------------------

    def verify_fresh(self, schemas=()) -> None:
        """Re-inspect under the lock; refuse (running nothing) when the plan's state changed.

        Only the tables the plan touches are read, with those the audits need (``AuditSet.live_tables``:
        with ``refresh`` none takes its outcome from the plan) and the ledger; ``schemas`` are those of the
        audit before besides the ones the plan touches.
        """
        from ..inspect import inspect_schema

        named = self.plan.audit.live_tables(() if self.refresh else self.plan.audit_outcomes)
        tables = None if named is None else {*self.plan.touched, *named, (None, self.table)}
        state = inspect_schema(self.conn, sorted({s for s, _ in self.plan.touched} | set(schemas)), tables)
        rows = ledger.read(self.conn, state, self.table)
        self.state, self.rows = state, rows
        self.seq = max((r.seq for r in rows), default=0)
        self.verify_not_run(rows)
        parts = state_parts(state, self.plan.touched, rows, self.reread_seeds())
        if state_digest(parts) != self.plan.state_digest:
            changed = stale_parts(self.plan.state_parts, parts) if self.plan.state_parts else []
            what = f": {'; '.join(changed)} changed" if changed else ""
            raise SafetyRefusal(
                f"plan is stale: the database changed since plan {self.plan.plan_id} was made ({self.plan.created_at}){what}; "
                "nothing was executed. Run `recon plan` again, review, then apply the new plan."
            )
        self.verify_guards()

    def read_again(self):
        """The state after the units: the one read under the lock with the tables the plan touches
        read again (nothing else changed them: the lock is held). None when the session is lost, or
        when a raw ``sql`` operation ran: what it changed, no plan can say."""
        from ..inspect import inspect_schema

        if self.conn.invalidated or any(a.op == "sql" and a.status == PENDING for a in self.plan.actions):
            return None
        try:
            fresh = inspect_schema(self.conn, sorted({s for s, _ in self.plan.touched}), self.plan.touched)
        except DBAPIError:
            return None
        self.read_after = fresh.only
        return self.state.merged(fresh)

    def verify_target(self) -> None:
        """Refuse a database other than the one the plan was made for (by what the server reports)."""
        from ..target.identity import server_identity

        found = server_identity(self.conn, self.target, self.plan.target.server_version)  # another server: another identity
        if found != self.plan.target_id:
            raise SafetyRefusal(f"plan {self.plan.plan_id} was made for {self.plan.target.url} ({self.plan.target_id}), and "
                                f"{self.target.display_url} is another database ({found}): make a plan for this target")

    def verify_not_run(self, rows) -> None:
        """Refuse a plan the ledger already holds: it was applied (or ran and failed) before."""
        ran = [r for r in rows if r.plan_id == self.plan.plan_id]
        if not ran:
            return
        done = [r for r in ran if r.status in ("applied", "rolled_back")]
        if done:
            raise SafetyRefusal(f"plan {self.plan.plan_id} is already applied (ledger #{done[-1].seq}, {done[-1].finished_at}): "
                                "nothing to do; `recon plan` shows what is left")
        raise SafetyRefusal(f"plan {self.plan.plan_id} already ran and failed (ledger #{ran[-1].seq}: {ran[-1].unit}): "
                            "make a new plan, which continues from the database as it is")

    def reread_seeds(self) -> list:
        """The seed reads of the plan, their digests read again now (a failing read reads as changed)."""
        out = []
        for read in self.plan.reads:
            try:
                rows = sqlexec.run_driver(self.conn, read.sql, read.params).fetchall()
                digest = rows_digest(rows)
            except DBAPIError as exc:
                digest = f"unreadable: {driver_message(exc)}"
            out.append(replace(read, digest=digest))
        return out

    @property
    def limits(self):
        """How large one row statement may be on this connection (read once)."""
        if getattr(self, "_limits", None) is None:
            from ..target.rowsql import Limits

            self._limits = Limits.of(self.conn, *self.asked_limits)
        return self._limits

    def close_interrupted(self) -> None:
        """Rows left ``running`` by a run that died (killed, its connection cut) become ``interrupted``,
        with no finished time: under this lock no other run can be writing them."""
        for row in (r for r in getattr(self, "rows", ()) if r.status == "running"):
            note = (f"interrupted: the run of plan {row.plan_id} ended without finishing this unit after {row.statements or 0} "
                    f"statement(s); the statement in flight may have completed on the server (found by plan {self.plan.plan_id})")
            ledger.update(self.conn, self.table, row.seq, status="interrupted", error=note)

    def ensure_ledger(self) -> None:
        """Create the ledger, or bring one of an earlier shape up to date (its missing columns added)."""
        present = ledger.columns_of(self.conn, self.state, self.table)
        if not present:
            self.conn.exec_driver_sql(ledger.create_statement(self.table, self.target.dialect))
        for statement in ledger.upgrade_statements(present, self.table, self.target.dialect) if present else ():
            self.conn.exec_driver_sql(statement)

    # -- units -------------------------------------------------------------------------

    def next_seq(self) -> int:
        """The next ledger sequence number: only recon writes the ledger, and only under this lock."""
        self.seq += 1
        return self.seq

    def row(self, unit: PlanUnit, status: str, count: int, started: str, error: str | None = None) -> ledger.LedgerRow:
        override, reason = self.override or (None, None)
        return ledger.LedgerRow(
            seq=self.next_seq(), unit=unit.id, checksum=unit.checksum, scope=unit.scope,
            status=status, plan_id=self.plan.plan_id, started_at=started, finished_at=None if status == "running" else ledger.now(),
            actor=self.actor or ledger.actor(), engine_version=__version__, statements=count, error=error,
            override=override, reason=reason, approvers=json.dumps(list(self.approvers)) if self.approvers else None,
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
        """Execute planned SQL text exactly as shown in the plan (its result is not read: ``sqlexec.send``)."""
        sqlexec.send_text(self.conn, sql)

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

    def check_connection(self, exc: Exception, unit: PlanUnit, count: int, left: str) -> None:
        """A failure that cost the connection (the server ended the session, the network went) cannot be
        recorded on it: stop the run with what the ledger and the database hold (exit 1)."""
        if isinstance(exc, DBAPIError) and exc.connection_invalidated or self.conn.invalidated:
            raise TargetError(f"lost the connection to {self.target.display_url} in unit {unit.id}, statement {count + 1}: "
                              f"{self.target.scrub(driver_message(exc))}; {left}. No later unit ran; `recon plan` shows what is left")

    def tries(self, unit: PlanUnit) -> int:
        """How many tries a lock_timeout failure of ``unit`` gets in this run (``lock_retries`` + 1)."""
        return 1 + unit.lock_retries

    def is_lock_timeout(self, exc: Exception) -> bool:
        """Whether ``exc`` is the server giving up waiting for a lock (``lock_timeout``); the dialects say."""
        return False

    def wait(self, attempt: int) -> None:
        """The backoff after try ``attempt``: 1 s, 2 s, 4 s ... at most 30 s."""
        time.sleep(min(2.0 ** (attempt - 1), LOCK_BACKOFF_CAP))

    def run_transactional(self, unit: PlanUnit, actions: list[PlanAction]) -> UnitOutcome:
        """The unit in one transaction; one that fails on its lock_timeout is rolled back, recorded as
        ``retried`` and run again, up to ``lock_retries`` times."""
        started, clock, tries = ledger.now(), time.monotonic(), self.tries(unit)
        statements = list(self.statements(actions))
        for attempt in range(1, tries + 1):
            outcome = self.try_transaction(unit, statements, started, clock, f"try {attempt} of {tries}: " if tries > 1 else "",
                                           retry=attempt < tries)
            if outcome is not None:
                return outcome
            self.wait(attempt)
            started = ledger.now()
        raise AssertionError("the last try returns an outcome")

    def try_transaction(self, unit: PlanUnit, statements: list[str], started: str, clock: float, label: str,
                        retry: bool) -> UnitOutcome | None:
        """One try of a transactional unit: its outcome, or None when it failed on a lock and may retry."""
        count, seq = 0, self.seq
        self.begin(unit)
        try:
            for sql in statements:
                self.progress.statement(count + 1, len(statements), sql)
                self.run_sql(sql)
                count += 1
            ledger.insert(self.conn, self.table, self.row(unit, self.done_status(unit), count, started))
            self.commit()
        except Exception as exc:  # noqa: BLE001 - any failure rolls the unit back and is recorded
            self.check_connection(exc, unit, count, "nothing of it stayed: the server rolls back the transaction of a session it ends")
            self.rollback()
            self.seq = seq  # the rolled-back ledger row's number is free again
            where = f"statement {count + 1}" if count < len(statements) else "at commit"  # e.g. a deferred constraint
            error = f"{label}{where}: {self.target.scrub(driver_message(exc))}"
            again = retry and self.is_lock_timeout(exc)
            ledger.insert(self.conn, self.table, self.row(unit, "retried" if again else self.failed_status(unit), 0, started, error))
            return None if again else UnitOutcome(unit.id, unit.kind, "failed", count, time.monotonic() - clock, error)
        return UnitOutcome(unit.id, unit.kind, self.done_status(unit), count, time.monotonic() - clock)

    def run_step_by_step(self, unit: PlanUnit, actions: list[PlanAction]) -> UnitOutcome:
        """Outside a transaction (MySQL DDL, CREATE INDEX CONCURRENTLY): progress recorded per statement.
        A statement that fails on its lock_timeout closes its row as ``retried`` and is run again in a new
        row, which goes on counting the unit's statements (the last row says how many ran)."""
        started, clock, count, attempt, tries = ledger.now(), time.monotonic(), 0, 1, self.tries(unit)
        row = self.row(unit, "running", 0, started)
        ledger.insert(self.conn, self.table, row)
        self.use_timeouts(unit)
        statements = list(self.statements(actions))
        while count < len(statements):
            try:
                self.progress.statement(count + 1, len(statements), statements[count])
                self.run_sql(statements[count])
            except Exception as exc:  # noqa: BLE001 - recorded precisely, then retried or the run stops
                self.check_connection(exc, unit, count, f"statements 1 to {count} of it ran and stay; its ledger row stays "
                                      "'running', and the next apply marks it interrupted" if count else
                                      "none of its statements had run; its ledger row stays 'running', and the next apply "
                                      "marks it interrupted")
                label = f"try {attempt} of {tries}: " if tries > 1 else ""
                error = f"{label}statement {count + 1}: {self.target.scrub(driver_message(exc))}"
                again = attempt < tries and self.is_lock_timeout(exc)
                ledger.update(self.conn, self.table, row.seq, status="retried" if again else self.failed_status(unit),
                              finished_at=ledger.now(), error=error)
                if not again:
                    return UnitOutcome(unit.id, unit.kind, "failed", count, time.monotonic() - clock, error)
                self.wait(attempt)
                attempt, row = attempt + 1, self.row(unit, "running", count, ledger.now())
                ledger.insert(self.conn, self.table, row)
                continue
            count += 1
            ledger.update(self.conn, self.table, row.seq, statements=count)
        ledger.update(self.conn, self.table, row.seq, status=self.done_status(unit), finished_at=ledger.now(), statements=count)
        return UnitOutcome(unit.id, unit.kind, self.done_status(unit), count, time.monotonic() - clock)

    def begin(self, unit: PlanUnit) -> None:
        sqlexec.send(self.conn, "BEGIN")

    def commit(self) -> None:
        sqlexec.send(self.conn, "COMMIT")

    def rollback(self) -> None:
        sqlexec.send(self.conn, "ROLLBACK")

    @staticmethod
    def timeouts(unit: PlanUnit) -> tuple[str, str]:
        """``unit``'s (lock_timeout, statement_timeout), the defaults where it sets none."""
        return unit.lock_timeout or DEFAULT_LOCK_TIMEOUT, unit.statement_timeout or DEFAULT_STATEMENT_TIMEOUT

    def use_timeouts(self, unit: PlanUnit) -> None:
        """Give the session ``unit``'s timeouts, unless it holds them already: units that share their
        timeouts (most do) set them once per run, not once per unit (a round trip each)."""
        wanted = self.timeouts(unit)
        if wanted != self.session_set:
            self.session_timeouts(unit)
            self.session_set = wanted

    def session_timeouts(self, unit: PlanUnit) -> None:
        """Set ``unit``'s timeouts on the session (outside any transaction, so they outlast it)."""
