"""The ``recon.plan/v1`` file: what apply will run, as reviewed, sealed by ``plan_digest``.

``Plan`` is the artifact ``make_plan`` returns and ``recon plan --out`` writes;
``to_dict``/``from_dict`` are the file format, and ``from_dict`` refuses a file whose
content no longer matches its digest. Every field says what it may be used for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..auditing.auditset import AuditSet
from ..auditing.run import TargetInfo
from ..diff.kinds import PENDING, Drift, SeedRead
from ..errors import ReportError, SafetyRefusal
from ..target.rowsql import RowTemplate
from .approvals import Approvals
from .digest import content_digest
from .gates import Gates

PLAN_FORMAT = "recon.plan/v1"


@dataclass(frozen=True)
class PlanUnit:
    """What apply needs to know of a unit besides its SQL (no spec is read at apply)."""

    id: str
    kind: str  # apply | rollback | seed (a seed or rbac spec's rows)
    scope: str
    checksum: str
    transactional: bool = True
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    allow: tuple[str, ...] = ()
    description: str | None = None
    rollback_notes: str | None = None
    lock_retries: int = 0  # tries again after a lock_timeout failure, in the same run


@dataclass(frozen=True)
class Selection:
    """What ``--unit`` and ``--exclude`` asked for and what the plan made of it: for the reviewer
    (apply runs the plan's units, whatever this says)."""

    units: tuple[str, ...] = ()  # asked with --unit
    exclude: tuple[str, ...] = ()  # asked with --exclude
    added: tuple[tuple[str, str], ...] = ()  # (id, why): work that came along with selected work
    left_out: tuple[tuple[str, str], ...] = ()  # (id, why): pending work the selection left out of the plan
    applied: tuple[str, ...] = ()  # asked with --unit and already applied: nothing to plan

    @property
    def asked(self) -> bool:
        return bool(self.units or self.exclude)

    def to_dict(self) -> dict:
        return {"units": list(self.units), "exclude": list(self.exclude), "applied": list(self.applied),
                "added": [{"id": i, "because": why} for i, why in self.added],
                "left_out": [{"id": i, "because": why} for i, why in self.left_out]}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Selection":
        data = data or {}
        return cls(tuple(data.get("units", ())), tuple(data.get("exclude", ())),
                   tuple((d["id"], d["because"]) for d in data.get("added", ())),
                   tuple((d["id"], d["because"]) for d in data.get("left_out", ())), tuple(data.get("applied", ())))

    def describe(self) -> list[str]:
        """The selection in words, one line each (nothing when none was asked)."""
        lines = [f"selected with --unit: {', '.join(self.units)}"] if self.units else []
        lines += [f"excluded with --exclude: {', '.join(self.exclude)}"] if self.exclude else []
        lines += [f"came along: {i} ({why})" for i, why in self.added]
        lines += [f"already applied, nothing to plan: {', '.join(self.applied)}"] if self.applied else []
        lines += [f"left out: {i} ({why})" for i, why in self.left_out]
        return lines


@dataclass(frozen=True)
class PlanAction:
    """One planned change as stored in the plan file; ``reason`` is for display only."""

    unit: str
    scope: str
    op: str
    object: str
    action: str  # create | update | delete
    status: str  # pending | present | guard_false | skipped_dialect (limited by ``dialects:`` to other targets)
    reason: str
    destructive: bool
    sql: tuple[str, ...] = ()
    codes: tuple[dict, ...] = ()
    source: str = ""
    guard_sql: str | None = None  # a raw-SQL guard query, run again under apply's lock (a new answer: stale)
    guard_dialect: str | None = None
    # Row actions (seed and rbac): ``sql`` holds each statement once, for a batch of one row
    # (driver-ready, values bound by position); ``rows`` holds every row's values, named by ``columns``.
    columns: tuple[str, ...] = ()
    rows: tuple[tuple, ...] = ()
    batch: tuple[dict | None, ...] = ()  # per statement: where its rows go (``RowTemplate``), None: it binds no rows
    affected: tuple[int, ...] = ()  # per statement: the rows it must affect over all its chunks
    was: tuple[tuple, ...] = ()  # update_rows: the stored values of the changed columns, for review only

    @property
    def row_action(self) -> bool:
        return bool(self.batch)

    @property
    def count(self) -> int:
        """What the summary counts: a change, or the rows a row action changes."""
        return self.affected[-1] if self.row_action else 1

    def templates(self) -> list[tuple[str, "RowTemplate | None", int]]:
        """(sql, template or None, rows to affect) per statement of a row action."""
        return [(sql, RowTemplate(sql, **b) if b else None, n) for sql, b, n in zip(self.sql, self.batch, self.affected)]


@dataclass(frozen=True)
class Plan:
    """A reviewed, versioned plan; ``apply`` runs exactly its SQL or refuses."""

    plan_id: str
    created_at: str
    target: TargetInfo
    target_id: str            # which database (dialect, host, port, name): another target is refused
    specs_digest: str
    state_digest: str
    mode: str
    scope: str
    ledger_table: str
    units: tuple[PlanUnit, ...]
    actions: tuple[PlanAction, ...]
    touched: tuple[tuple[str, str], ...]  # tables the digest covers
    expected: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    reads: tuple[SeedRead, ...] = ()  # the seed SELECTs the plan was made from, run again by apply
    state_parts: dict = field(default_factory=dict)  # digest per table, ledger and spec's rows: says what went stale
    gates: Gates = field(default_factory=Gates)  # the environment it was made for, whose gates apply checks
    audit: AuditSet = field(default_factory=AuditSet)  # the canaries and invariants apply runs before and after
    # Per canary of ``audit``, its outcome on the state the plan read (``CheckResult.outcome``; None for
    # one that looks its name up in the whole schema): apply's audit before reuses it for a table it does not read again.
    audit_outcomes: tuple[dict | None, ...] = ()
    gate_notes: tuple[str, ...] = ()  # the gates' state when the plan was made: for the reviewer only
    drift: tuple[Drift, ...] = ()  # applied units whose effect or spec drifted: for the reviewer only, apply ignores it
    selection: Selection = field(default_factory=Selection)  # --unit / --exclude and what came along: for the reviewer only
    # Not part of the plan's content (``to_dict`` leaves them out): the digest its file was sealed
    # with (None: made in memory), and the signed approvals of its sidecar file (``planning.approvals``).
    sealed: str | None = field(default=None, compare=False)
    approvals: Approvals = field(default_factory=Approvals, compare=False)

    @property
    def pending(self) -> tuple[PlanAction, ...]:
        return tuple(a for a in self.actions if a.status == PENDING)

    @property
    def empty(self) -> bool:
        """Nothing to run and no unit to record."""
        return not self.units

    @property
    def raw_sql(self) -> int:
        """How many pending raw ``sql`` operations the plan runs: their effect is in no prediction
        (the expected fingerprint is of the simulated changes alone)."""
        return sum(a.op == "sql" for a in self.pending)

    def summary(self) -> dict:
        """Changes to make by kind: one per change of a unit, one per row of a row action."""
        counts = {"create": 0, "update": 0, "delete": 0}
        for a in self.pending:
            counts[a.action] += a.count
        return counts

    @property
    def digest(self) -> str:
        """The content digest approvals sign: the file's, as read and checked, else this plan's own."""
        return self.sealed or content_digest(self._body())

    def to_dict(self) -> dict:
        """The ``recon.plan/v1`` document, sealed by ``plan_digest`` over everything else in it."""
        body = self._body()
        return {**body, "plan_digest": content_digest(body)}

    def _body(self) -> dict:
        return {
            "format": PLAN_FORMAT,
            "plan_id": self.plan_id,
            "created_at": self.created_at,
            "target": self.target.to_dict(),
            "target_id": self.target_id,
            "specs_digest": self.specs_digest,
            "state_digest": self.state_digest,
            "mode": self.mode,
            "scope": self.scope,
            "ledger_table": self.ledger_table,
            "units": [asdict(u) for u in self.units],
            "actions": [asdict(a) for a in self.actions],
            "touched": [list(t) for t in self.touched],
            "reads": [asdict(r) for r in self.reads],
            "state_parts": self.state_parts,
            "environment": self.gates.to_dict(),
            "gate_notes": list(self.gate_notes),
            "audit": self.audit.to_dict(),
            "audit_outcomes": list(self.audit_outcomes),
            "summary": self.summary(),
            "expected": self.expected,
            "warnings": list(self.warnings),
            "drift": [d.to_dict() for d in self.drift],
            "selection": self.selection.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict, source: str = "plan") -> "Plan":
        """Read a plan document back; one whose content no longer matches its ``plan_digest`` is refused."""
        if isinstance(data, dict) and data.get("format") == "recon.fleet-plan/v1":
            raise ReportError(f"{source} is a fleet plan (recon.fleet-plan/v1): apply it with --targets FILE, the targets it was made for")
        if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
            raise ReportError(f"{source}: not a recon plan (expected format {PLAN_FORMAT!r})")
        sealed = data.get("plan_digest")
        if sealed != content_digest({k: v for k, v in data.items() if k != "plan_digest"}):
            why = "has no plan_digest" if sealed is None else "was changed after recon plan wrote it (plan_digest does not match)"
            raise SafetyRefusal(f"{source} {why}: apply runs only a plan exactly as it was made and reviewed; make a new plan")
        try:
            return cls(
                plan_id=data["plan_id"], created_at=data["created_at"], target=TargetInfo(**data["target"]),
                target_id=data["target_id"], specs_digest=data["specs_digest"], state_digest=data["state_digest"],
                mode=data["mode"], scope=data["scope"], ledger_table=data["ledger_table"],
                units=tuple(PlanUnit(**{**u, "allow": tuple(u.get("allow", ()))}) for u in data["units"]),
                actions=tuple(_action(a) for a in data["actions"]),
                touched=tuple(tuple(t) for t in data["touched"]), expected=data.get("expected", {}),
                warnings=tuple(data.get("warnings", ())),
                reads=tuple(SeedRead(r["sql"], tuple(r["params"]), r["digest"], r["lock_sql"], r["unit"]) for r in data.get("reads", ())),
                state_parts=data.get("state_parts", {}), gates=Gates.from_dict(data.get("environment")),
                audit=AuditSet.from_dict(data["audit"]) if "audit" in data else AuditSet(),
                audit_outcomes=_outcomes(data.get("audit_outcomes", []), len(data.get("audit", {}).get("canaries", ()))),
                gate_notes=tuple(data.get("gate_notes", ())), drift=tuple(Drift(**d) for d in data.get("drift", ())),
                selection=Selection.from_dict(data.get("selection")), sealed=sealed,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportError(f"{source}: malformed plan ({exc})") from None


def _outcomes(data: list, canaries: int) -> tuple[dict | None, ...]:
    """The plan's canary outcomes: one per canary (or none, from a recon that kept none), each a status and detail."""
    if not isinstance(data, list) or len(data) not in (0, canaries) or not all(
            o is None or isinstance(o, dict) and o.get("status") in ("pass", "fail") and isinstance(o.get("detail"), str) for o in data):
        raise ValueError("audit_outcomes must hold one outcome per canary")
    return tuple(data)


def _action(data: dict) -> PlanAction:
    """One action of a plan file; a row action whose templates do not fit their SQL is malformed."""
    tuples = ("sql", "codes", "columns", "batch", "affected")
    action = PlanAction(**{**data, **{k: tuple(data.get(k, ())) for k in tuples},
                           **{k: tuple(tuple(r) for r in data.get(k, ())) for k in ("rows", "was")}})
    if any(t is not None and not t.consistent for _, t, _ in action.templates()):
        raise ValueError(f"the statement templates of {action.unit} {action.op} {action.object} do not fit their SQL")
    return action

