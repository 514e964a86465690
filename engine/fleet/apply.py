"""``apply PLAN --targets FILE`` of a fleet plan: each group's reviewed plan on each of its targets.

Before any target is touched, every group's gates are checked once (mode, destructive codes,
the environment's window and expiry): a refusal there refuses the whole run (exit 3), as for a
single plan. Then each named target runs its group's plan under its own lock and ledger
(``member_plan``: its own plan id, the identity it was planned on). Refused by name, exit 3,
while the others go on: a target the fleet plan does not hold (or could not plan), a target
that is another database than the one planned under that name, and a target whose state
changed since (a stale plan: nothing is executed on it).
"""

from __future__ import annotations

from ..applying.applier import ApplyReport, apply, check_gates
from ..errors import SafetyRefusal
from ..planning import approvals
from ..planning.approvals import Verdict
from ..planning.gates import Gates
from .plans import FleetPlan, member_plan
from .run import FleetReport, run_fleet


def check_fleet_gates(fleet_plan: FleetPlan, *, mode: str, allow_destructive: bool, environment: str | None = None,
                      override_reason: str | None = None, allowed_signers: str | None = None) -> Verdict:
    """Every group's gates, before any connection; the first refusal names its group. Approvals sign the
    whole fleet plan: checked once, against the most any group's environment requires; returns that verdict."""
    verdict = fleet_approvals(fleet_plan, allowed_signers)
    approvals.require(verdict, "the fleet plan")
    for number, group in enumerate(fleet_plan.groups, 1):
        try:
            check_gates(group.plan, mode=mode, allow_destructive=allow_destructive, environment=environment,
                        override_reason=override_reason, approval=verdict)
        except SafetyRefusal as exc:
            names = ", ".join(m.name for m in group.members)
            raise SafetyRefusal(f"group {number} ({names}): {exc}") from None
    return verdict


def fleet_approvals(fleet_plan: FleetPlan, allowed_signers: str | None = None) -> Verdict:
    """The fleet plan's approvals, verified against its own digest (not refused here: ``check_gates`` does)."""
    strictest = max((g.plan.gates for g in fleet_plan.groups), key=lambda g: g.approvals_required, default=Gates())
    return approvals.verify(fleet_plan.digest, fleet_plan.approvals, strictest, approvals.allowed_signers(allowed_signers))


def apply_fleet_plan(fleet_plan: FleetPlan, targets, *, source: str = "the fleet plan", parallel: int = 1,
                     shard: str | None = None, progress=None, **apply_options) -> FleetReport:
    """Run each target's group plan on it (``apply_options`` as ``apply`` takes them); rows in name order."""
    failed = {p["name"]: p for p in fleet_plan.not_planned}

    def work(target, url):
        found = fleet_plan.find(target.name)
        if found is None:
            why = (f"its planning failed ({failed[target.name]['error']})" if target.name in failed
                   else "no group was planned for it")
            raise SafetyRefusal(f"target {target.name} is not in {source}: {why}; make a new fleet plan that covers it")
        group, member = found
        the_plan = member_plan(group, member)
        if the_plan.empty:  # nothing to apply: its report says so, as a single target's does
            return ApplyReport(the_plan.plan_id, the_plan.target), 0
        return apply(the_plan, url, **apply_options), 0

    return run_fleet("apply", targets, work, parallel=parallel, specs_digest=fleet_plan.specs_digest, shard=shard,
                     **({"progress": progress} if progress else {}))
