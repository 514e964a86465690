"""Markdown views, for a pull-request comment or a ticket. No decisions here.

Every command that prints a result has one: ``audit``, ``compare``, ``plan`` (fingerprint
before -> after, safety codes with their messages, warnings, the SQL in collapsible
``<details>`` blocks), ``apply`` and rollback's outcome, ``history``, ``validate``, ``repair``.
Values from specs and the database are escaped for table cells and inline code.
"""

from __future__ import annotations

from ..auditing.run import AuditReport
from ..ledger.table import accepted, approvers
from .compare import Comparison, _totals
from .text import _SYMBOL, planned_note, row_lines


def _md(text) -> str:
    """A value for a table cell or a line: no pipe breaks the table, no newline the line, no tag is markup."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _code(text) -> str:
    """Inline code that holds any value (a backtick in it widens the fence)."""
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _mark(passed: bool) -> str:
    return "✅" if passed else "❌"


def _ratio(before, after=None) -> str:
    """``6/7`` or ``6/7 → 7/7``; objects or dicts with ``passed`` and ``total``."""
    b = before if isinstance(before, dict) else {"passed": before.passed, "total": before.total}
    if after is None:
        return f"{b['passed']}/{b['total']}"
    a = after if isinstance(after, dict) else {"passed": after.passed, "total": after.total}
    return f"{b['passed']}/{b['total']} → {a['passed']}/{a['total']}"


def _target(t) -> str:
    if getattr(t, "offline", False):
        return f"Target: {_md(t.describe())}"
    return f"Target: {t.dialect} {_code(t.url)} ({_md(t.server_version)})"


def audit_markdown(report: AuditReport) -> str:
    """The audit as a pull-request comment: totals, then a row per check."""
    fp, inv = report.fingerprint, report.invariants
    head = "All checks pass" if report.ok else "Checks failing"
    totals = [f"`{r.summary()}`" for r in (fp, inv) if r.total] or ["no fingerprint canaries or invariants declared"]
    out = [f"### recon audit: {head}", "", " · ".join(totals), "", _target(report.target), "",
           f"Generated at {report.generated_at}.", ""]
    if fp.total or inv.total:
        out += ["| check | kind | status | detail |", "|---|---|---|---|"]
    out += [f"| {_code(c.name)} | {c.kind} | {_mark(c.passed)} | {_md(c.detail)} |" for c in fp.checks]
    out += [f"| {_code(c.name)} | invariant | {'⏭️' if c.status == 'skipped' else _mark(c.passed)} | {_md(c.detail)} |"
            for c in inv.checks]
    notes = ["", *(f"_⚠️ {_md(w)}_" for w in report.warnings)] if report.warnings else []
    return "\n".join(out + drift_markdown(report.drift) + notes) + "\n"


def compare_markdown(cmp: Comparison) -> str:
    """The comparison as a pull-request comment."""
    tb, ta = _totals(cmp.before), _totals(cmp.after)
    out = ["### recon compare", "", "| | before | after |", "|---|---|---|",
           f"| generated at | {_md(tb['generated_at'])} | {_md(ta['generated_at'])} |"]
    out += [f"| {s} | {_ratio(tb[s])} | {_ratio(ta[s])} |" for s in ("fingerprint", "invariants") if tb[s]["total"] or ta[s]["total"]]
    if cmp.changes:
        out += ["", "| check | before | after |", "|---|---|---|"]
        out += [f"| {_code(c.name)} | {c.before or '—'} | {c.after or '—'} {'⚠️ ' if c.regression else ''}{c.kind} |" for c in cmp.changes]
    else:
        out += ["", "No check changed status."]
    out += ["", f"Regressions: {len(cmp.regressions)}."]
    return "\n".join(out) + "\n"


def expected_markdown(plan) -> list[str]:
    """``Fingerprint: **6/7 → 7/7** (fixes: ...)``, nothing when the specs declare no canary."""
    fp = plan.expected.get("fingerprint", {})
    if not fp or not fp.get("total"):
        return []
    line = f"Fingerprint: **{_ratio(fp['before'], fp)}**"
    line += f" (fixes: {', '.join(_code(n) for n in fp['fixed'])})" if fp.get("fixed") else ""
    line += f" (breaks: {', '.join(_code(n) for n in fp['broken'])})" if fp.get("broken") else ""
    line += f" (without the effect of {plan.raw_sql} raw `sql` operation{'s' if plan.raw_sql != 1 else ''}: not simulated)" if plan.raw_sql else ""
    return [line, ""]


def plan_markdown(plan) -> str:
    """The plan as a pull-request comment: before -> after, warnings, each unit's changes and
    safety codes, its SQL folded in ``<details>``, the totals and the gates."""
    out = [f"### recon plan `{plan.plan_id}`", "", _target(plan.target), ""] + expected_markdown(plan)
    out += [f"> **warning:** {_md(w)}" for w in plan.warnings] + ([""] if plan.warnings else [])
    chosen = plan.selection.describe()
    out += ["**Selection:**", ""] + [f"- {_md(n)}" for n in chosen] + [""] if chosen else []
    if plan.empty:
        return "\n".join(out + ["No changes."] + drift_markdown(plan.drift)) + "\n"
    for unit in plan.units:
        out += _unit_markdown(plan, unit)
    s = plan.summary()
    out.append(f"{s['create']} to create, {s['update']} to update, {s['delete']} to delete; {len(plan.units)} unit(s) to record.")
    return "\n".join(out + gates_markdown(plan) + drift_markdown(plan.drift)) + "\n"


def _unit_markdown(plan, unit) -> list[str]:
    actions = [a for a in plan.actions if a.unit == unit.id]
    head = f"**{_md(unit.id)}** ({unit.scope}{', rollback' if unit.kind == 'rollback' else ''})"
    out = [head + (f": {_md(unit.description)}" if unit.description else ""), ""]
    out += [f"> Rollback notes: {_md(unit.rollback_notes)}", ""] if unit.kind == "rollback" and unit.rollback_notes else []
    out.append("```diff")
    for a in actions:
        symbol = _SYMBOL[a.action][0] if a.status == "pending" else "="
        out.append(f"{symbol} {a.op} {a.object}  # {a.reason}" + "".join(f" [{c['code']}]" for c in a.codes))
    out += ["```", ""]
    codes = [(a, c) for a in actions for c in a.codes]
    out += [f"- {'⛔ **destructive**' if c['destructive'] else '⚠️ warning'} **{c['code']}** {a.op} {_code(a.object)}: {_md(c['message'])}"
            for a, c in codes] + ([""] if codes else [])
    pending = [a for a in actions if a.status == "pending"]  # what runs: no SQL of what is present or skipped
    sql = [line for a in pending for line in [s + ";" for s in a.sql] + [f"-- {r}" for r in row_lines(a)]]
    if sql:
        n = sum(len(a.sql) for a in pending)
        out += [f"<details><summary>SQL of {_md(unit.id)} ({n} statement{'s' if n != 1 else ''})</summary>", "",
                "```sql", *sql, "```", "", "</details>", ""]
    return out


def gates_markdown(plan) -> list[str]:
    """The gates apply checks, as the plan saw them."""
    notes = list(plan.gate_notes)
    if notes and plan.gates.environment:
        return ["", f"**Gates apply checks**, {_md(notes[0])}:", ""] + [f"- {_md(n)}" for n in notes[1:]]
    return ["", f"_{_md(notes[0])}_"] if notes else []


def drift_markdown(found) -> list[str]:
    """Drift of applied units as a list under a pull-request comment."""
    if not found:
        return []
    return ["", "**Drift of applied units:**", ""] + [f"- ⚠️ `{_md(d.unit)}` {d.kind}: {_md(d.detail)}" for d in found]


def apply_markdown(report) -> str:
    """What apply (or a rollback) did: a row per unit, then the audits before → after and what fails after."""
    head = "done" if report.ok else "failed"
    out = [f"### recon apply `{report.plan_id}`: {head}", "", _target(report.target), ""]
    if report.error:
        out += [f"> **error:** {_md(report.error)}", ""]
    if report.approvals and (report.approvals.checked or report.approvals.signatures or report.approvals.required):
        out += [_md(report.approvals.summary()), ""]
    if report.outcomes:
        out += ["| unit | status | statements | seconds | error |", "|---|---|---|---|---|"]
        out += [f"| {_code(o.unit)} | {'❌ ' if o.status == 'failed' else ''}{o.status} | {o.statements} | {o.seconds:.2f} | {_md(o.error or '')} |"
                for o in report.outcomes]
    else:
        out.append("Nothing to apply.")
    if report.before and report.after:
        b, a = report.before, report.after
        rows = [(s, getattr(b, s), getattr(a, s)) for s in ("fingerprint", "invariants")]
        rows = [(s, x, y) for s, x, y in rows if x.total or y.total]
        if rows:
            out += ["", "| | before → after |", "|---|---|"] + [f"| {s} | {_ratio(x, y)} |" for s, x, y in rows]
        out += ["", f"_{_md(note)}_"] if (note := planned_note(b)) else []
        failing = a.fingerprint.failing + a.invariants.failing
        out += (["", "Failing after the run:", ""] if failing else []) + [f"- ❌ {_code(c.name)}: {_md(c.detail)}" for c in failing]
    return "\n".join(out) + "\n"


def history_markdown(rows) -> str:
    """The ledger, oldest first, as a table."""
    if not rows:
        return "### recon history\n\nThe ledger is empty (nothing applied yet).\n"
    out = ["### recon history", "", "| # | status | unit | finished | statements | actor | plan | note |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        note = (f"override: {r.override} ({r.reason})" if r.override else
                f"repair: {r.reason}" + (f" (accepted: {'; '.join(accepted(r))})" if accepted(r) else "") if r.status == "repaired" else "")
        approved = f"approved by: {', '.join(approvers(r))}" if approvers(r) else ""
        note = "; ".join(x for x in (note, approved, f"error: {r.error}" if r.error else "") if x)
        out.append(f"| {r.seq} | {r.status} | {_code(r.unit)} | {_md(r.finished_at or '')} | {r.statements or 0} | {_md(r.actor or '')} "
                   f"| {_code(r.plan_id) if r.plan_id else ''} | {_md(note)} |")
    return "\n".join(out) + "\n"


def validate_markdown(specs: str, counts: dict[str, int], diagnostics, ok: bool = True) -> str:
    """``recon validate``: what the specs hold, then each warning (or, for invalid specs, each error)."""
    told = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    head = f"### recon validate: {'specs valid' if ok else 'specs invalid'}"
    out = [head, "", f"{_code(specs)}" + (f": {told}" if told else ""), ""]
    if diagnostics:
        out += ["| severity | where | path | message |", "|---|---|---|---|"]
        out += [f"| {d.severity} | {_code(f'{d.file}:{d.line}' if d.line else d.file)} | {_code(d.path) if d.path else ''} | {_md(d.message)} |"
                for d in diagnostics]
    else:
        out.append("No warnings.")
    return "\n".join(out) + "\n"


def repair_markdown(result) -> str:
    """What ``recon repair`` recorded, or that there was nothing to accept."""
    if result.seq is None:
        return f"### recon repair {_code(result.unit)}\n\nNothing to repair: no drift that is not accepted already (nothing written).\n"
    out = [f"### recon repair {_code(result.unit)}", "", f"Ledger #{result.seq}, actor {_md(result.actor)}, checksum `{result.checksum[:19]}`.", ""]
    out += [f"- accepted {d.kind}: {_md(d.detail)}" for d in result.findings]
    return "\n".join(out + ["", f"Reason: {_md(result.reason)}"]) + "\n"
