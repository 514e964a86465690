"""``audit``, ``plan`` and ``apply`` of specs on every target of a fleet.

Each function loads nothing itself: it takes the loaded specs and the targets (already
sharded), runs the single-target stage on each in ``run_fleet``'s pool, and decides each
target's exit code by the same rules as the single-target command: ``audit --strict`` 2 for a
failing check or drift, ``plan --detailed-exitcode`` 2 for pending changes, an error its
code. The specs are read once and shared by the threads (they are frozen values).
"""

from __future__ import annotations

from ..applying.applier import ApplyReport, apply
from ..auditing.run import audit
from ..diff import drift
from ..planning.planner import make_plan
from .run import DEFAULT_PARALLEL, FleetReport, run_fleet


def audit_fleet(specs, targets, *, strict: bool = False, fingerprint: str | None = None, ledger_table: str | None = None,
                parallel: int = DEFAULT_PARALLEL, shard: str | None = None, progress=None) -> FleetReport:
    """Audit every target read-only; each row holds its ``recon.audit/v1`` report."""

    def work(target, url):
        report = audit(specs, url, fingerprint=fingerprint, ledger_table=ledger_table, drift=drift)
        return report, 2 if strict and (not report.ok or report.drift) else 0

    return run_fleet("audit", targets, work, parallel=parallel, specs_digest=specs.digest, shard=shard,
                     **({"progress": progress} if progress else {}))


def plan_fleet(specs, targets, *, detailed_exitcode: bool = False, parallel: int = DEFAULT_PARALLEL, shard: str | None = None,
               progress=None, **plan_options) -> FleetReport:
    """Plan every target read-only (``plan_options`` as ``make_plan`` takes them); each row holds its plan."""

    def work(target, url):
        made = make_plan(specs, url, **plan_options)
        return made, 2 if detailed_exitcode and not made.empty else 0

    return run_fleet("plan", targets, work, parallel=parallel, specs_digest=specs.digest, shard=shard,
                     **({"progress": progress} if progress else {}))


def apply_fleet(specs, targets, *, plan_options: dict, apply_options: dict, parallel: int = 1, shard: str | None = None,
                progress=None) -> FleetReport:
    """Plan and apply on every target, one at a time unless ``parallel`` > 1; each row holds its apply report.

    Each target is planned and applied under its own lock and ledger; a target whose apply
    fails or is refused is its row (1 or 3), and the next target runs.
    """

    def work(target, url):
        made = make_plan(specs, url, **plan_options)
        if made.empty:
            return ApplyReport(made.plan_id, made.target), 0
        return apply(made, url, **apply_options), 0

    return run_fleet("apply", targets, work, parallel=parallel, specs_digest=specs.digest, shard=shard,
                     **({"progress": progress} if progress else {}))
