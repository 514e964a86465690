"""Markdown views, for a pull-request comment. No decisions here."""

from __future__ import annotations

from ..auditing.run import AuditReport
from ..ledger.table import accepted  # noqa: F401 - the CLI prints through this module
from .compare import Comparison, _totals
from .text import _SYMBOL, row_lines


def audit_markdown(report: AuditReport) -> str:
    """The audit as a pull-request comment."""
    fp, inv = report.fingerprint, report.invariants
    head = "All checks pass" if report.ok else "Checks failing"
    out = [f"### recon audit: {head}", "", f"`{fp.summary()}` · `{inv.summary()}`", "",
           f"Target: {report.target.dialect} `{report.target.url}` ({report.target.server_version})", "",
           "| check | kind | status | detail |", "|---|---|---|---|"]
    out += [f"| `{_md(c.name)}` | {c.kind} | {'✅' if c.passed else '❌'} | {_md(c.detail)} |" for c in fp.checks]
    out += [f"| `{_md(c.name)}` | invariant | {'✅' if c.passed else '❌'} | {_md(c.detail)} |" for c in inv.checks]
    notes = ["", *(f"_⚠️ {_md(w)}_" for w in report.warnings)] if report.warnings else []
    return "\n".join(out + drift_markdown(report.drift) + notes) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def compare_markdown(cmp: Comparison) -> str:
    """The comparison as a pull-request comment."""
    tb, ta = _totals(cmp.before), _totals(cmp.after)
    out = ["### recon compare", "", "| | before | after |", "|---|---|---|"]
    out += [f"| {s} | {tb[s]['passed']}/{tb[s]['total']} | {ta[s]['passed']}/{ta[s]['total']} |" for s in ("fingerprint", "invariants")]
    if cmp.changes:
        out += ["", "| check | before | after |", "|---|---|---|"]
        out += [f"| `{_md(c.name)}` | {c.before or '—'} | {c.after or '—'} {'⚠️ ' if c.regression else ''}{c.kind} |" for c in cmp.changes]
    return "\n".join(out) + "\n"


def plan_markdown(plan) -> str:
    """The plan as a pull-request comment."""
    out = [f"### recon plan `{plan.plan_id}`", "", f"Target: {plan.target.dialect} `{plan.target.url}`", ""]
    out += [f"> **warning:** {_md(w)}" for w in plan.warnings] + ([""] if plan.warnings else [])
    chosen = plan.selection.describe()
    out += ["**Selection:**", ""] + [f"- {_md(n)}" for n in chosen] + [""] if chosen else []
    if plan.empty:
        return "\n".join(out + ["No changes."] + drift_markdown(plan.drift)) + "\n"
    for unit in plan.units:
        out += [f"**{unit.id}** ({unit.scope}{', rollback' if unit.kind == 'rollback' else ''})", "", "```diff"]
        for a in (a for a in plan.actions if a.unit == unit.id):
            symbol = _SYMBOL[a.action][0] if a.status == "pending" else "="
            out.append(f"{symbol} {a.op} {a.object}  # {a.reason}" + "".join(f" [{c['code']}]" for c in a.codes))
        out += ["```", ""]
        sql = [line for a in plan.actions if a.unit == unit.id
               for line in [s + ";" for s in a.sql] + [f"-- {r}" for r in row_lines(a)]]
        if sql:
            out += ["```sql"] + sql + ["```", ""]
    s = plan.summary()
    out.append(f"{s['create']} to create, {s['update']} to update, {s['delete']} to delete.")
    notes = list(plan.gate_notes)
    if notes and plan.gates.environment:
        out += ["", f"**Gates apply checks**, {notes[0]}:", ""] + [f"- {_md(n)}" for n in notes[1:]]
    elif notes:
        out += ["", f"_{_md(notes[0])}_"]
    return "\n".join(out + drift_markdown(plan.drift)) + "\n"


def drift_markdown(found) -> list[str]:
    """Drift of applied units as a list under a pull-request comment."""
    if not found:
        return []
    return ["", "**Drift of applied units:**", ""] + [f"- ⚠️ `{_md(d.unit)}` {d.kind}: {_md(d.detail)}" for d in found]
