"""recon: declarative, YAML-driven reconciliation for relational databases.

The public Python API. Each function returns typed results with the same
content as the command line's JSON:

    specs = engine.load_specs("specs")
    report = engine.audit(specs, "postgresql://app@db/app")
    for check in report.fingerprint.failing:
        log.warning("canary %s failed: %s", check.name, check.detail)

    offline = engine.audit_offline(specs, ["schema.sql"], "postgresql")  # no database: DDL files + every unit
    adopted = engine.inspect_database(url, seeds=["settings"])   # read-only: the live schema as specs
    adopted.write("specs/adopted")          # fingerprint.yaml, seed-settings.yaml (engine.dump_specs writes any spec)

    plan = engine.plan(specs, url)          # read-only; plan.to_dict() is the plan file
    result = engine.apply(plan, url, specs=specs)
    for found in plan.drift:                # applied units whose effect or spec drifted
        log.warning("drift of %s: %s", found.unit, found.detail)

The pipeline behind it is one stage per folder, in flow order (docs/architecture.md):
spec -> target -> inspect -> ledger -> auditing -> changes -> render -> diff -> offline
-> planning -> applying -> report, and demo. The stages behind ``engine.audit``, ``engine.plan`` and
``engine.apply`` are the folders ``auditing``, ``planning`` and ``applying``, so that
importing a stage never hides the function of the same name. This module only wires the
stages together: ``load_specs`` hands the spec stage the warnings of the change
vocabulary, ``audit`` hands the audit stage the drift finder of the diff stage.
"""

from __future__ import annotations

from .errors import ReconError, SafetyRefusal, SpecError, TargetError
from .version import __version__ as __version__

# Imported on first use (PEP 562): `import engine` and `recon --version` stay fast, and a
# command loads only the stages it runs. Every result type lives in its stage; here it is public.
_LAZY = {
    "plan": ("planning.planner", "make_plan"),
    "load_plan": ("report.files", "load_plan"),
    "Plan": ("planning.planfile", "Plan"),
    "PlanUnit": ("planning.planfile", "PlanUnit"),
    "PlanAction": ("planning.planfile", "PlanAction"),
    "apply": ("applying.applier", "apply"),
    "approve": ("planning.approvals", "approve"),
    "Approved": ("planning.approvals", "Approved"),
    "Approval": ("planning.approvals", "Approval"),
    "Approvals": ("planning.approvals", "Approvals"),
    "Verdict": ("planning.approvals", "Verdict"),
    "ApplyReport": ("applying.applier", "ApplyReport"),
    "ApplyError": ("applying.applier", "ApplyError"),
    "UnitOutcome": ("applying.executor", "UnitOutcome"),
    "repair": ("applying.repairs", "repair"),
    "RepairResult": ("applying.repairs", "RepairResult"),
    "Drift": ("diff.drift", "Drift"),
    "Specs": ("spec.model", "Specs"),
    "Diagnostic": ("errors", "Diagnostic"),
    "Target": ("target.connection", "Target"),
    "AuditReport": ("auditing.run", "AuditReport"),
    "FingerprintResult": ("auditing.run", "FingerprintResult"),
    "InvariantsResult": ("auditing.run", "InvariantsResult"),
    "TargetInfo": ("auditing.run", "TargetInfo"),
    "CheckResult": ("auditing.canaries", "CheckResult"),
    "InvariantResult": ("auditing.invariants", "InvariantResult"),
    "load_targets": ("fleet.targets", "load_targets"),
    "shard": ("fleet.targets", "shard"),
    "FleetTarget": ("fleet.targets", "FleetTarget"),
    "audit_fleet": ("fleet.commands", "audit_fleet"),
    "plan_fleet": ("fleet.commands", "plan_fleet"),
    "apply_fleet": ("fleet.commands", "apply_fleet"),
    "FleetReport": ("fleet.run", "FleetReport"),
    "FleetEntry": ("fleet.run", "FleetEntry"),
    "FleetPlan": ("fleet.plans", "FleetPlan"),
    "group_plans": ("fleet.plans", "group_plans"),
    "apply_fleet_plan": ("fleet.apply", "apply_fleet_plan"),
    "inspect_database": ("inspect.adopt", "inspect_database"),
    "Inspection": ("inspect.adopt", "Inspection"),
    "SeedRequest": ("inspect.adopt_rows", "SeedRequest"),
    "dump_specs": ("spec.writer", "dump"),
    "audit_offline": ("offline.run", "audit_offline"),
    "validate_offline": ("offline.run", "validate_offline"),
    "offline_state": ("offline.run", "offline_state"),
    "OfflineState": ("offline.run", "OfflineState"),
    "OfflineValidation": ("offline.run", "OfflineValidation"),
}

__all__ = ["load_specs", "audit", "plan", "apply", "repair", "load_plan", "ReconError", "SafetyRefusal", "SpecError",
           "TargetError", *_LAZY]


def load_specs(path="specs"):
    """Load and validate every spec under ``path`` (``SpecError`` with every error); the result's
    ``warnings`` hold what is valid but likely wrong (incomplete rollbacks, over-long names)."""
    from .spec.validate import load_specs as load

    return load(path, lint=_lint)


def _lint(valid: dict) -> list:
    """The change vocabulary's warnings, imported only for a spec set with migration units (it
    brings sqlglot, which an audit of fingerprints alone does without)."""
    if not valid.get("migration"):
        return []
    from .changes.lint import warnings

    return warnings(valid)


def audit(specs, url, *, fingerprint: str | None = None, run_invariants: bool = True, state=None,
          ledger_table: str | None = None):
    """Audit ``url`` read-only: canaries, invariants and the drift of applied units (an ``AuditReport``)."""
    from .auditing.run import audit as run

    return run(specs, url, fingerprint=fingerprint, run_invariants=run_invariants, state=state,
               ledger_table=ledger_table, drift=_Drift())


class _Drift:
    """``engine.diff.drift``, imported when first used: only where units are declared or applied."""

    def __getattr__(self, name: str):
        from .diff import drift

        return getattr(drift, name)


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    from importlib import import_module

    module, attr = _LAZY[name]
    value = getattr(import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value
