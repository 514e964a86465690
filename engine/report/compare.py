"""``recon compare``: two audit reports, check by check (pass -> fail is a regression)."""

from __future__ import annotations

from dataclasses import dataclass

from ..auditing.run import AUDIT_FORMAT
from ..errors import ReportError
from ..ledger.table import accepted  # noqa: F401 - the CLI prints through this module

# (before, after) -> what the change is; None is a check absent from that report
_KINDS = {("pass", "fail"): "regression", (None, "fail"): "regression", ("fail", "pass"): "fixed", (None, "pass"): "added",
          ("pass", None): "removed", ("fail", None): "resolved or removed"}


@dataclass(frozen=True)
class Change:
    """One check whose status differs between two audit reports (``None``: absent).

    A regression is a check that passed before and fails after, or one absent before that
    fails after (the failing check may have been renamed); a check that disappeared is
    ``removed`` (it passed) or ``resolved or removed`` (it failed), never a regression.
    """

    section: str
    name: str
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        return _KINDS.get((self.before, self.after), "changed")

    @property
    def regression(self) -> bool:
        return self.kind == "regression"

    def to_dict(self) -> dict:
        return {"section": self.section, "name": self.name, "before": self.before, "after": self.after,
                "kind": self.kind, "regression": self.regression}


@dataclass(frozen=True)
class Comparison:
    """What changed between two audit reports, and the totals on each side."""

    before: dict
    after: dict
    changes: tuple[Change, ...]

    @property
    def regressions(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.regression)

    def to_dict(self) -> dict:
        return {
            "format": "recon.compare/v1",
            "before": _totals(self.before),
            "after": _totals(self.after),
            "changes": [c.to_dict() for c in self.changes],
            "regressions": len(self.regressions),
        }


def _totals(report: dict) -> dict:
    return {
        "generated_at": report.get("generated_at"),
        "fingerprint": {"passed": report["fingerprint"]["passed"], "total": report["fingerprint"]["total"]},
        "invariants": {"passed": report["invariants"]["passed"], "total": report["invariants"]["total"]},
    }


def load_audit_report(path: str) -> dict:
    """A ``recon.audit/v1`` report from ``path``; ReportError when it is not one."""
    from .files import read_json

    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != AUDIT_FORMAT:
        raise ReportError(f"{path}: not an audit report (expected format {AUDIT_FORMAT!r})")
    for section in ("fingerprint", "invariants"):
        if not isinstance(data.get(section), dict) or not isinstance(data[section].get("checks"), list):
            raise ReportError(f"{path}: {section}.checks missing: not a complete audit report")
    return data


def compare(before: dict, after: dict) -> Comparison:
    """Checks whose status changed between two audit reports (set algebra over names)."""
    changes = []
    for section in ("fingerprint", "invariants"):
        a = {c["name"]: c["status"] for c in before[section]["checks"]}
        b = {c["name"]: c["status"] for c in after[section]["checks"]}
        for name in list(a) + [n for n in b if n not in a]:
            if a.get(name) != b.get(name):
                changes.append(Change(section, name, a.get(name), b.get(name)))
    return Comparison(before, after, tuple(changes))
