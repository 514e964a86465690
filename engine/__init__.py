"""recon: declarative, YAML-driven reconciliation for relational databases.

The public Python API. Each function returns typed results with the same
content as the command line's JSON:

    specs = engine.load_specs("specs")
    report = engine.audit(specs, "postgresql://app@db/app")
    for check in report.fingerprint.failing:
        log.warning("canary %s failed: %s", check.name, check.detail)

    plan = engine.plan(specs, url)          # read-only; plan.to_dict() is the plan file
    result = engine.apply(plan, url, specs=specs)

The pipeline behind it: loader -> validate -> inspect -> checks/invariants -> report, and
inspect -> diff -> plan -> render -> apply -> report. The names ``plan`` and ``apply``
here are the functions; their modules are imported as ``from engine.planner import ...``.
"""

__version__ = "0.1.0"  # before the imports: apply records it in the ledger

from .applier import ApplyError, ApplyReport, apply
from .audit import AuditReport, audit
from .errors import ReconError, SafetyRefusal, SpecError, TargetError
from .model import Specs
from .planner import Plan, load_plan, make_plan as plan
from .validate import load_specs

__all__ = ["load_specs", "audit", "plan", "apply", "load_plan", "AuditReport", "Plan", "ApplyReport", "Specs",
           "ReconError", "SafetyRefusal", "SpecError", "TargetError", "ApplyError"]
