"""recon: declarative, YAML-driven reconciliation for relational databases.

The public Python API. Each function returns typed results with the same
content as the command line's JSON:

    specs = engine.load_specs("specs")
    report = engine.audit(specs, "postgresql://app@db/app")
    for check in report.fingerprint.failing:
        log.warning("canary %s failed: %s", check.name, check.detail)

The pipeline behind it: loader -> validate -> inspect -> checks/invariants -> report.
"""

from .audit import AuditReport, audit
from .errors import ReconError, SpecError, TargetError
from .model import Specs
from .validate import load_specs

__all__ = ["load_specs", "audit", "AuditReport", "Specs", "ReconError", "SpecError", "TargetError"]
__version__ = "0.1.0"
