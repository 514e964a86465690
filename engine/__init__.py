"""recon: declarative, YAML-driven reconciliation for relational databases.

The public Python API. Each function returns typed results with the same
content as the command line's JSON:

    specs = engine.load_specs("specs")
    report = engine.audit(specs, "postgresql://app@db/app")
    for check in report.fingerprint.failing:
        log.warning("canary %s failed: %s", check.name, check.detail)

    plan = engine.plan(specs, url)          # read-only; plan.to_dict() is the plan file
    result = engine.apply(plan, url, specs=specs)
    for found in plan.drift:                # applied units whose effect or spec drifted
        log.warning("drift of %s: %s", found.unit, found.detail)

The pipeline behind it: loader -> validate -> inspect -> checks/invariants -> report, and
inspect -> diff -> plan -> render -> apply -> report. The names ``plan`` and ``apply``
here are the functions; their modules are imported as ``from engine.planner import ...``.
"""

__version__ = "0.1.0"  # before the imports: apply records it in the ledger

from .audit import AuditReport, audit  # eager: the name `audit` must be the function, not the module
from .errors import ReconError, SafetyRefusal, SpecError, TargetError

# The rest is imported on first use (PEP 562): `import engine` and `recon --version`
# stay fast, and a command loads only the stages it runs.
_LAZY = {
    "load_specs": ("validate", "load_specs"),
    "plan": ("planner", "make_plan"),
    "load_plan": ("planner", "load_plan"),
    "Plan": ("planner", "Plan"),
    "apply": ("applier", "apply"),
    "ApplyReport": ("applier", "ApplyReport"),
    "ApplyError": ("applier", "ApplyError"),
    "repair": ("repairs", "repair"),
    "RepairResult": ("repairs", "RepairResult"),
    "Drift": ("drift", "Drift"),
    "Specs": ("model", "Specs"),
}

__all__ = ["load_specs", "audit", "plan", "apply", "repair", "load_plan", "AuditReport", "Plan", "ApplyReport", "RepairResult",
           "Drift", "Specs", "ReconError", "SafetyRefusal", "SpecError", "TargetError", "ApplyError"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    from importlib import import_module

    module, attr = _LAZY[name]
    value = getattr(import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value
