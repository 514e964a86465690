"""Apply a plan: gates -> lock -> identity, staleness -> one transaction per unit -> ledger -> verify.

The plan file is the whole input: its environment's gates, its audits and the identity of
the database it was made for all come from it, never from a spec folder or a flag. Before
anything is executed: the mode must allow changes, every destructive code must be allowed,
and the plan's environment gates must pass (``gates.check``: expiry, window, rollback notes,
promotion). Under the database lock the server must be the plan's, the plan must not be in
the ledger already, and the state digest is recomputed (a stale plan runs nothing, and the
message names what changed). Each migration unit then runs in its own transaction where DDL
is transactional; all seed and rbac units run in one (``rowrun``). A failing unit is rolled
back where possible, recorded as ``failed`` and stops the run. The audits run before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..auditing.run import AuditReport, TargetInfo, audit
from ..diff.kinds import PENDING
from ..errors import ReconError, SafetyRefusal
from ..planning.approvals import Verdict
from ..planning.planfile import Plan, PlanAction, PlanUnit
from ..target.connection import Target, make_target
from .executor import Executor, UnitOutcome
from .executors import EXECUTORS
from .progress import SILENT, Progress

DESTRUCTIVE_HINT = "or pass --allow-destructive, which allows every destructive change of the plan"
SHOWN_KEYS = 5  # keys of rows a prune would delete, named in the refusal before "and N more"


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
class SchemaRead:
    """One read of the schema an apply made: ``when`` (``under the lock``, ``after the units``, or the
    audit that read the whole schema on a connection of its own), and the ``(schema, table)`` pairs it
    was restricted to (None: the whole schema), the evidence of what the staleness check and the
    audits looked at."""

    when: str
    tables: frozenset[tuple[str, str]] | None

    def to_dict(self) -> dict:
        return {"when": self.when, "tables": None if self.tables is None else sorted(f"{s}.{t}" for s, t in self.tables)}


@dataclass
class ApplyReport:
    """The result of an apply: per-unit outcomes and the audits before and after.

    ``target`` is the same ``{dialect, url, server_version}`` as an audit's and a plan's (the
    server version read after the run; a plan with nothing to run keeps the plan's)."""

    plan_id: str
    target: TargetInfo
    outcomes: list[UnitOutcome] = field(default_factory=list)
    before: AuditReport | None = None
    after: AuditReport | None = None
    error: str | None = None
    refused: bool = False  # a gate refused it (exit 3): nothing ran, ``error`` says which and why
    approvals: Verdict | None = None  # the plan's signed approvals as checked where it ran (``planning.approvals``)
    reads: list[SchemaRead] = field(default_factory=list)  # the schema reads of the run, in order

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        return {
            "format": "recon.apply/v1", "plan_id": self.plan_id, "target": self.target.to_dict(), "ok": self.ok, "error": self.error,
            "refused": self.refused, "approvals": self.approvals.to_dict() if self.approvals else None,
            "units": [o.to_dict() for o in self.outcomes],
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            "reads": [r.to_dict() for r in self.reads],
        }


def check_gates(plan: Plan, *, mode: str, allow_destructive: bool, environment: str | None = None,
                override_reason: str | None = None, now=None, allowed_signers: str | None = None,
                approval: Verdict | None = None) -> Verdict:
    """Refuse (exit 3) before connecting for writes: detect-only mode, disallowed codes, another
    environment than the plan's, the plan's environment gates (however the URL is given), and, where
    an allowed-signers file is set (``allowed_signers``, else ``RECON_ALLOWED_SIGNERS``), too few valid
    approvals. Returns the approvals' verdict (``approval``: one already made, e.g. of a fleet plan)."""
    from ..planning import approvals, gates

    if mode == "detect-only":
        raise SafetyRefusal("detect-only mode: apply and rollback are refused (unset --mode/RECON_MODE or the environment's mode)")
    if plan.mode == "detect-only":
        raise SafetyRefusal(f"plan {plan.plan_id} was made in detect-only mode, for review only: make the plan again where apply is allowed")
    if environment is not None and environment != plan.gates.environment:
        made = f"for environment {plan.gates.environment!r}" if plan.gates.environment else "outside every environment"
        raise SafetyRefusal(f"plan {plan.plan_id} was made {made}, not for {environment!r}: its gates are those it was made with. "
                            f"Make a plan with --env {environment} to apply in {environment}")
    blocked = [] if allow_destructive else _blocked(plan)
    if blocked:
        raise SafetyRefusal("destructive changes not allowed:\n  " + "\n  ".join(blocked) + f"\n{DESTRUCTIVE_HINT}")
    gates.check(plan, now, override_reason)
    if approval is None:
        approval = approvals.verify(plan.digest, plan.approvals, plan.gates, approvals.allowed_signers(allowed_signers))
    approvals.require(approval, f"plan {plan.plan_id}", saved=plan.sealed is not None or approval.sidecar is not None)
    return approval


def _blocked(plan: Plan) -> list[str]:
    """One refusal per pending destructive code that the action's unit or spec does not allow."""
    units = {u.id: u for u in plan.units}
    return [_refusal(a, c["code"], c["message"], units[a.unit]) for a in plan.actions if a.status == PENDING
            for c in a.codes if c["destructive"] and c["code"] not in units[a.unit].allow]


def _refusal(action: PlanAction, code: str, message: str, unit: PlanUnit) -> str:
    """What is refused, what it would delete, and what to write where to allow it: ``allow: [CODE]``
    on the migration unit, or on the seed or rbac spec (its unit id is ``seed:NAME`` or ``rbac:NAME``)."""
    line = f"{action.unit}: {code} {action.op} {action.object} ({message})"
    if unit.kind == "seed":
        kind, name = action.unit.split(":", 1)
        return f"{line}: {_deleted(action)}\n    allow it with allow: [{code}] on {kind} spec {name} ({action.source})"
    return f"{line}\n    allow it with allow: [{code}] on unit {action.unit} ({action.source.rsplit(':', 1)[0]})"


def _deleted(action: PlanAction) -> str:
    """``deletes 3 existing rows of settings, key = 'a', 'b', 'c'``: the count, and the first keys."""
    from ..diff.rows import show

    n, columns = action.count, action.columns
    text = f"deletes {n} existing row{'s' if n != 1 else ''} of {action.object}"
    if not columns:  # every key part NULL: nothing to name
        return f"{text} ({action.reason})"
    keys = [show(r[0]) if len(r) == 1 else f"({', '.join(show(v) for v in r)})" for r in action.rows[:SHOWN_KEYS]]
    more = f" and {n - len(keys)} more" if n > len(keys) else ""
    named = columns[0] if len(columns) == 1 else f"({', '.join(columns)})"
    return f"{text}, {named} = {', '.join(keys)}{more}"


def apply(plan: Plan, url: "str | Target", *, specs=None, allow_destructive: bool = False, mode: str = "apply",
          environment: str | None = None, echo=lambda line: None, bind_limit: int | None = None,
          packet_limit: int | None = None, override_reason: str | None = None, actor: str | None = None, now=None,
          progress: Progress = SILENT, allowed_signers: str | None = None, approval: Verdict | None = None,
          refresh: bool = False) -> ApplyReport:
    """Execute exactly ``plan`` on ``url`` or refuse.

    The plan carries its audits and gates; ``specs`` is accepted for compatibility and not read.
    ``environment`` (``--env``) must be the plan's, if given. ``override_reason`` lets a run outside
    the environment's window (recorded in the ledger). ``bind_limit`` caps the values one row
    statement binds, and on MySQL ``packet_limit`` its bytes (defaults: the driver's limit and
    ``max_allowed_packet``; tests use small ones). ``actor`` is who the ledger says ran it (default
    ``RECON_ACTOR``, else user@host); ``now`` is the time the gates see (tests fix it). ``progress``
    is told of each unit and statement as it runs (``progress.Progress``). ``allowed_signers`` (else
    ``RECON_ALLOWED_SIGNERS``) is the file of principals whose signatures count: with one, a plan
    without enough valid approvals (its ``approvals``, read by ``load_plan``) is refused, and the ledger
    records the approvers; ``approval`` is a verdict already made (a fleet plan's, checked once).
    ``refresh`` (``--refresh``): the audit before reads every canary's table, taking no outcome from the plan.
    """
    from ..planning import gates

    target = url if isinstance(url, Target) else make_target(url)
    now = now or gates.clock()
    verdict = check_gates(plan, mode=mode, allow_destructive=allow_destructive, environment=environment,
                          override_reason=override_reason, now=now, allowed_signers=allowed_signers, approval=approval)
    report = ApplyReport(plan.plan_id, TargetInfo(target.dialect, target.display_url, plan.target.server_version), approvals=verdict)
    if plan.empty:
        return report
    closed = plan.gates.environment is not None and not gates.window_state(plan.gates, now)[0]
    executor = EXECUTORS[target.dialect](target, plan, (bind_limit, packet_limit))
    executor.override = ("window", override_reason) if closed and override_reason else None
    executor.actor, executor.progress, executor.refresh, executor.approvers = actor, progress, refresh, verdict.approvers if verdict.checked else ()
    with executor.session():
        note, failed = _locked_run(executor, report, echo)
        after = executor.read_again()
    report.after = _audit_after(executor, report, after)
    report.target = report.after.target
    if report.error:
        raise (StaleApplyError if executor.stale and not failed else ApplyError)(report.error + note, report)
    return report


def _locked_run(executor: Executor, report: ApplyReport, echo) -> tuple[str, str | None]:
    """Under the lock: identity, staleness, the audit before, the ledger, the units. Returns what a
    failure left behind, and the error of a run that could not be committed (SQLite)."""
    executor.verify_target()
    executor.verify_fresh(executor.plan.audit.schemas())
    report.reads.append(SchemaRead("under the lock", executor.state.only))
    carried = () if executor.refresh else executor.plan.audit_outcomes
    report.before = _audit_on(executor.plan.audit, executor.target, executor.state,  # the state just read under the lock
                              reads=report.reads, when="audit before", carried=carried)
    executor.ensure_ledger()
    executor.close_interrupted()
    note = _run_units(executor, report, echo)
    failed = executor.finish(report.outcomes)
    if failed:  # the run's own COMMIT failed (SQLite): nothing stayed, whatever the units said
        report.outcomes = [o if o.status == "failed" else UnitOutcome(o.unit, o.kind, "failed", o.statements, o.seconds, failed)
                           for o in report.outcomes]
        report.error, note = f"the run was not committed: {failed}", "; nothing was applied"
    if executor.commits_at_end:
        for outcome in report.outcomes:
            echo(outcome)
    return note, failed


def _audit_after(executor: Executor, report: ApplyReport, after) -> AuditReport:
    """The audit after the units, on ``after`` (the state read again under the lock, None: read it all)."""
    plan = executor.plan
    if after is not None:
        report.reads.append(SchemaRead("after the units", executor.read_after))
    came_or_went = None if after is None else {
        s or after.default_schema for s, t in plan.touched if (executor.state.table(s, t) is None) != (after.table(s, t) is None)}
    return _audit_on(plan.audit, executor.target, after, (report.before, plan.touched, came_or_went) if report.before else None,
                     report.reads, "audit after")


def _audit_on(audit_set, target: Target, state, unchanged_since=None, reads: list | None = None, when: str = "audit",
              carried=()) -> AuditReport:
    """The audit of ``state`` (None: of the whole schema, read now). A state restricted to some tables
    gives every canary its outcome and the same words, but for a table that is not there, whose
    message names the nearest tables of the whole schema: then the audit reads it all, as
    ``recon audit`` would. After the units, ``unchanged_since`` is (the audit before, the tables the
    plan touched): the state after is the one before with those tables read again, so a canary of
    another table keeps its outcome. Before them, ``carried`` (the plan's outcomes) gives a canary of a
    table not read again its outcome from the plan. A read of the whole schema is added to ``reads`` as ``when``."""
    from ..auditing.run import whole_schema_needed

    if state is not None and not whole_schema_needed(audit_set.canaries, state, unchanged_since, carried):
        return audit(audit_set, target, state=state, unchanged_since=unchanged_since, carried=carried)
    if reads is not None:
        reads.append(SchemaRead(when, None))
    return audit(audit_set, target)


def _run_units(executor: "Executor", report: ApplyReport, echo) -> str:
    """Each migration unit in its own transaction, then all seed and rbac units in one; stops at a failure.
    Returns what the failure left behind, for the message."""
    plan = executor.plan
    by_unit: dict[str, list[PlanAction]] = {}
    for action in plan.actions:
        by_unit.setdefault(action.unit, []).append(action)
    rows = [u for u in plan.units if u.kind == "seed"]
    total = len(plan.units)
    for number, unit in enumerate((u for u in plan.units if u.kind != "seed"), 1):
        executor.progress.unit(number, total, unit.id)
        outcome = executor.run_unit(unit, by_unit.get(unit.id, []))
        executor.progress.idle()
        if not _record(executor, report, [outcome], echo):
            return executor.failure_note(unit)
    if rows:
        from .rowrun import run_rows

        ids = {u.id for u in rows}
        executor.progress.unit(total - len(rows) + 1, total, ", ".join(u.id for u in rows) + (" (one transaction)" if len(rows) > 1 else ""))
        outcomes = run_rows(executor, rows, [a for a in plan.actions if a.unit in ids and a.status == PENDING])
        executor.progress.idle()
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
