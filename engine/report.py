"""Views of results for people and machines: text, json, markdown. No decisions here.

Text is for terminals and startup logs (colour only when asked for), json is
the stable contract format, markdown is for a pull-request comment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .audit import AUDIT_FORMAT, AuditReport
from .errors import ReportError


@dataclass(frozen=True)
class Style:
    """Whether to colour text output; ``plain`` is the default."""

    color: bool = False

    def paint(self, text: str, color: str, bold: bool = False) -> str:
        if not self.color:
            return text
        import click

        return click.style(text, fg=color, bold=bold)


def to_json(data) -> str:
    """Stable JSON: indented, keys in the order the result defines them."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


# -- audit -------------------------------------------------------------------------------

def audit_text(report: AuditReport, style: Style = Style(), verbose: bool = False) -> str:
    """The audit for people: the one-line summary first, then one line per failing check."""
    fp, inv = report.fingerprint, report.invariants
    lines = [style.paint(fp.summary(), "green" if fp.complete else "red", bold=True)]
    for c in fp.checks:
        if verbose or not c.passed:
            lines.append(_check_line(c.name, c.passed, c.detail, style))
    lines.append(style.paint(inv.summary(), "green" if not inv.failing else "red", bold=True))
    for c in inv.checks:
        if verbose or not c.passed:
            lines.append(_check_line(c.name, c.passed, c.detail, style))
    lines.append(f"target: {report.target.dialect} {report.target.url} ({report.target.server_version})")
    return "\n".join(lines) + "\n"


def _check_line(name: str, passed: bool, detail: str, style: Style) -> str:
    mark = style.paint("ok  ", "green") if passed else style.paint("FAIL", "red", bold=True)
    return f"  {mark} {name}: {detail}"


def audit_markdown(report: AuditReport) -> str:
    """The audit as a pull-request comment."""
    fp, inv = report.fingerprint, report.invariants
    head = "All checks pass" if report.ok else "Checks failing"
    out = [f"### recon audit: {head}", "", f"`{fp.summary()}` · `{inv.summary()}`", "",
           f"Target: {report.target.dialect} `{report.target.url}` ({report.target.server_version})", "",
           "| check | kind | status | detail |", "|---|---|---|---|"]
    out += [f"| `{_md(c.name)}` | {c.kind} | {'✅' if c.passed else '❌'} | {_md(c.detail)} |" for c in fp.checks]
    out += [f"| `{_md(c.name)}` | invariant | {'✅' if c.passed else '❌'} | {_md(c.detail)} |" for c in inv.checks]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# -- compare -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One check whose status differs between two audit reports (``None``: absent)."""

    section: str
    name: str
    before: str | None
    after: str | None

    @property
    def regression(self) -> bool:
        return self.before == "pass" and self.after == "fail"

    def to_dict(self) -> dict:
        return {"section": self.section, "name": self.name, "before": self.before, "after": self.after, "regression": self.regression}


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
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
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


def compare_text(cmp: Comparison, style: Style = Style()) -> str:
    """The comparison for people: totals before -> after, then each changed check."""
    tb, ta = _totals(cmp.before), _totals(cmp.after)
    lines = [f"{s} {tb[s]['passed']}/{tb[s]['total']} -> {ta[s]['passed']}/{ta[s]['total']}" for s in ("fingerprint", "invariants")]
    for c in cmp.changes:
        text = f"  {c.section}: {c.name}: {c.before or 'absent'} -> {c.after or 'absent'}"
        lines.append(style.paint(text + "  (regression)", "red", bold=True) if c.regression else (style.paint(text, "green") if c.after == "pass" else text))
    if not cmp.changes:
        lines.append("  no check changed status")
    lines.append(f"regressions: {len(cmp.regressions)}")
    return "\n".join(lines) + "\n"


def compare_markdown(cmp: Comparison) -> str:
    """The comparison as a pull-request comment."""
    tb, ta = _totals(cmp.before), _totals(cmp.after)
    out = ["### recon compare", "", "| | before | after |", "|---|---|---|"]
    out += [f"| {s} | {tb[s]['passed']}/{tb[s]['total']} | {ta[s]['passed']}/{ta[s]['total']} |" for s in ("fingerprint", "invariants")]
    if cmp.changes:
        out += ["", "| check | before | after |", "|---|---|---|"]
        out += [f"| `{_md(c.name)}` | {c.before or '—'} | {c.after or '—'}{' ⚠️ regression' if c.regression else ''} |" for c in cmp.changes]
    return "\n".join(out) + "\n"
