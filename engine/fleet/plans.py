"""The ``recon.fleet-plan/v1`` file: one reviewed plan per group of targets whose planned state matches.

``plan --targets FILE --out PLAN`` plans every target, then groups the targets whose plans
are the same once their own identity is left out: the same actions and SQL, units, touched
tables, state digest (the same state, part by part), gates, audits, canary outcomes and warnings, on the same
dialect and server version. On MySQL, where the default schema is the database and so differs
from tenant to tenant, the schema's name is left out of the comparison. Each group carries one
plan body (a whole ``recon.plan/v1`` document, made for its first target), its state digest,
and per target the name, the identity of the database it was made for, the plan id of that
target's own plan and its own state digest (the group's, but for that MySQL schema name).

``member_plan`` gives the plan ``apply`` runs on one target of a group: the group's body with
that target's plan id (which its ledger records) and identity (which apply checks under its
lock: the target must be the database the group was made for under that name). The whole
file is sealed by ``fleet_digest``, each body by its own ``plan_digest``: an edited file is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..auditing.run import TargetInfo
from ..errors import ReportError, SafetyRefusal
from ..planning.approvals import Approvals
from ..planning.planfile import Plan, content_digest
from ..planning.digest import state_digest
from ..target.connection import make_target
from .run import FleetReport

FLEET_PLAN_FORMAT = "recon.fleet-plan/v1"
# What differs between two targets' plans of the same state, left out of the group key.
_OWN = ("plan_id", "created_at", "target", "target_id", "gate_notes", "plan_digest")


@dataclass(frozen=True)
class Member:
    """One target of a group: its name, the database the plan was made for, its own plan id."""

    name: str
    plan_id: str
    target_id: str
    target: TargetInfo
    state_digest: str  # of this target's own state (the group's, but for a MySQL schema named after its database)
    schema: str | None = None  # MySQL: the default schema (the database), which the state's table names carry

    def to_dict(self) -> dict:
        return {"name": self.name, "plan_id": self.plan_id, "target_id": self.target_id, "target": self.target.to_dict(),
                "state_digest": self.state_digest, "schema": self.schema}


@dataclass(frozen=True)
class Group:
    """Targets whose planned state matches, and the one plan body reviewed for all of them."""

    plan: Plan
    members: tuple[Member, ...]

    def to_dict(self, number: int) -> dict:
        return {"group": number, "state_digest": self.plan.state_digest, "body_digest": body_digest(self.plan),
                "targets": [m.to_dict() for m in self.members], "plan": self.plan.to_dict()}


@dataclass(frozen=True)
class FleetPlan:
    """A fleet plan: its groups, and the targets that could not be planned (with why)."""

    created_at: str
    specs_digest: str | None
    groups: tuple[Group, ...]
    not_planned: tuple[dict, ...] = ()  # {name, exit_code, error}: refused at apply, by name
    sealed: str | None = field(default=None, compare=False)  # the file's fleet_digest, as read and checked (not content)
    approvals: Approvals = field(default_factory=Approvals, compare=False)  # its sidecar's signed approvals (not content)

    def to_dict(self) -> dict:
        body = {"format": FLEET_PLAN_FORMAT, "created_at": self.created_at, "specs_digest": self.specs_digest,
                "groups": [g.to_dict(i + 1) for i, g in enumerate(self.groups)], "not_planned": list(self.not_planned)}
        return {**body, "fleet_digest": content_digest(body)}

    @property
    def digest(self) -> str:
        """The content digest approvals sign: the file's, as read and checked, else this fleet plan's own."""
        return self.sealed or self.to_dict()["fleet_digest"]

    def find(self, name: str) -> tuple[Group, Member] | None:
        """The group and member of the target named ``name``, or None."""
        return next(((g, m) for g in self.groups for m in g.members if m.name == name), None)

    @property
    def empty(self) -> bool:
        return all(g.plan.empty for g in self.groups)

    @classmethod
    def from_dict(cls, data: dict, source: str = "fleet plan") -> "FleetPlan":
        """Read a fleet plan back; an edited one (its ``fleet_digest`` or a body's ``plan_digest``) is refused."""
        if not isinstance(data, dict) or data.get("format") != FLEET_PLAN_FORMAT:
            raise ReportError(f"{source}: not a recon fleet plan (expected format {FLEET_PLAN_FORMAT!r})")
        if data.get("fleet_digest") != content_digest({k: v for k, v in data.items() if k != "fleet_digest"}):
            raise SafetyRefusal(f"{source} was changed after recon plan wrote it (fleet_digest does not match): "
                                "apply runs only a plan exactly as it was made and reviewed; make a new fleet plan")
        try:
            groups = tuple(Group(Plan.from_dict(g["plan"], f"{source} group {g['group']}"),
                                 tuple(Member(m["name"], m["plan_id"], m["target_id"], TargetInfo(**m["target"]), m["state_digest"], m.get("schema"))
                                       for m in g["targets"]))
                           for g in data["groups"])
            return cls(data["created_at"], data.get("specs_digest"), groups, tuple(data.get("not_planned", ())), data["fleet_digest"])
        except (KeyError, TypeError) as exc:
            raise ReportError(f"{source}: malformed fleet plan ({exc})") from None


def default_schema(plan: Plan) -> str | None:
    """MySQL's default schema is the database itself, so the state's table names carry it: a tenant's
    database name must not keep two tenants of the same schema apart. None elsewhere (``public``, ``main``)."""
    return make_target(plan.target.url).url.database if plan.target.dialect == "mysql" else None


def _renamed(plan: Plan, old: str | None, new: str | None) -> Plan:
    """``plan`` with the schema ``old`` of its touched tables and state parts called ``new``."""
    if old == new or old is None:
        return plan
    touched = tuple((new if s == old else s, t) for s, t in plan.touched)
    head, to = f"table {old}.", f"table {new}."
    parts = {(to + k[len(head):] if k.startswith(head) else k): v for k, v in plan.state_parts.items()}
    return replace(plan, touched=touched, state_parts=parts, state_digest=state_digest(parts))


def body_digest(plan: Plan) -> str:
    """The digest of what a plan would do and the state it was made from, without whose plan it is
    (on MySQL, without the name of its database either)."""
    portable = _renamed(plan, default_schema(plan), "<schema>")
    body = {k: v for k, v in portable.to_dict().items() if k not in _OWN}
    return content_digest({**body, "server": [plan.target.dialect, plan.target.server_version]})


def group_plans(report: FleetReport) -> FleetPlan:
    """The fleet plan of a fleet ``plan`` run: targets grouped by ``body_digest``, groups in order of their first target."""
    groups: dict[str, list] = {}
    not_planned = []
    for entry in report.entries:
        if not isinstance(entry.result, Plan):
            not_planned.append({"name": entry.name, "exit_code": entry.exit_code, "error": entry.error})
            continue
        groups.setdefault(body_digest(entry.result), []).append(entry)
    made = tuple(Group(entries[0].result, tuple(_member(e.name, e.result) for e in entries)) for entries in groups.values())
    return FleetPlan(report.generated_at, report.specs_digest, made, tuple(not_planned))


def _member(name: str, plan: Plan) -> Member:
    return Member(name, plan.plan_id, plan.target_id, plan.target, plan.state_digest, default_schema(plan))


def member_plan(group: Group, member: Member) -> Plan:
    """The plan apply runs on ``member``: the group's body, with the member's plan id, identity and schema."""
    body = _renamed(group.plan, default_schema(group.plan), member.schema)
    if body.state_digest != member.state_digest:
        raise ReportError(f"the fleet plan's group of {member.name} does not give its state digest: make a new fleet plan")
    return replace(body, plan_id=member.plan_id, target=member.target, target_id=member.target_id, sealed=None)
