"""Text views for terminals and startup logs (colour only when asked for). No decisions here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in annotations: validate, which prints through this module, needs neither
    from ..auditing.run import AuditReport
    from .compare import Comparison


@dataclass(frozen=True)
class Style:
    """Whether to colour text output; ``plain`` is the default."""

    color: bool = False

    def paint(self, text: str, color: str, bold: bool = False) -> str:
        if not self.color:
            return text
        import click

        return click.style(text, fg=color, bold=bold)


def validate_text(specs: str, counts: dict[str, int], warnings, style: Style = Style()) -> str:
    """Valid specs for people: the summary line, then one ``warning: file:line: path: message`` each."""
    told = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    if warnings:
        told += f"; {len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    lines = [f"specs valid: {specs} ({told})"] + [style.paint(f"warning: {w}", "yellow") for w in warnings]
    return "\n".join(lines) + "\n"


def offline_validation_text(result) -> str:
    """``recon validate --offline``: how many units apply to which offline schema, then its warnings."""
    n = len(result.units)
    lines = [f"offline: {n} unit{'s apply' if n != 1 else ' applies'} to {result.target.describe()}"]
    return "\n".join(lines + [f"warning: {w}" for w in result.warnings]) + "\n"


def audit_text(report: AuditReport, style: Style = Style(), verbose: bool = False) -> str:
    """The audit for people: the one-line summary first, then one line per failing check."""
    fp, inv = report.fingerprint, report.invariants
    lines = [style.paint(fp.summary(), "green" if fp.complete else "red", bold=True)] if fp.total else []
    for c in fp.checks:
        if verbose or not c.passed:
            lines.append(_check_line(c.name, c.passed, c.detail, style))
    lines += [style.paint(inv.summary(), "green" if not inv.failing else "red", bold=True)] if inv.total else []
    if not fp.total and not inv.total:
        lines.append("no fingerprint canaries or invariants declared: nothing to check")
    for c in inv.checks:
        if verbose or not c.passed:
            lines.append(_check_line(c.name, c.passed, c.detail, style, c.status == "skipped"))
    lines += drift_lines(report.drift, style)
    lines += [style.paint(f"warning: {w}", "yellow") for w in report.warnings]
    lines.append(f"target: {report.target.describe()}")
    return "\n".join(lines) + "\n"


def _check_line(name: str, passed: bool, detail: str, style: Style, skipped: bool = False) -> str:
    mark = style.paint("skip", "yellow") if skipped else style.paint("ok  ", "green") if passed else style.paint("FAIL", "red", bold=True)
    return f"  {mark} {name}: {detail}"


def compare_text(cmp: Comparison, style: Style = Style()) -> str:
    """The comparison for people: totals before -> after, then each changed check."""
    from .compare import _totals

    tb, ta = _totals(cmp.before), _totals(cmp.after)
    lines = [f"{s} {tb[s]['passed']}/{tb[s]['total']} -> {ta[s]['passed']}/{ta[s]['total']}" for s in ("fingerprint", "invariants")
             if tb[s]["total"] or ta[s]["total"]]
    for c in cmp.changes:
        text = f"  {c.section}: {c.name}: {c.before or 'absent'} -> {c.after or 'absent'}  ({c.kind})"
        lines.append(style.paint(text, "red", bold=True) if c.regression else (style.paint(text, "green") if c.after == "pass" else text))
    if not cmp.changes:
        lines.append("  no check changed status")
    names = [c.name for c in cmp.regressions]
    lines.append(f"regressions: {len(names)}" + (f" ({', '.join(names)})" if names else ""))
    return "\n".join(lines) + "\n"


_SYMBOL = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}


SAMPLE = 5  # rows a row action shows unless asked for all


def plan_text(plan, style: Style = Style(), verbose: bool = False) -> str:
    """The plan for people: ``+ ~ -`` per change, grouped by unit, each with its reason and SQL;
    a row action shows its first rows (``verbose``: every row)."""
    lines = [f"recon plan {plan.plan_id} for {plan.target.dialect} {plan.target.url}"]
    lines += [style.paint(f"warning: {w}", "yellow") for w in plan.warnings]
    lines += [style.paint(f"selection: {n}", "cyan") for n in plan.selection.describe()]
    drifted = drift_lines(plan.drift, style, checksums=False)  # changed checksums are among the warnings already
    lines += drifted
    if plan.empty:
        lines.append("No changes to apply; the live schema has drifted from applied units (above)." if drifted
                     else "No changes. The database matches the specs and the ledger.")
        return "\n".join(lines) + "\n"
    for unit in plan.units:
        actions = [a for a in plan.actions if a.unit == unit.id]
        head = f"{'rollback of' if unit.kind == 'rollback' else 'unit'} {unit.id} ({unit.scope})"
        lines += ["", style.paint(head, "cyan", bold=True) + (f": {unit.description}" if unit.description else "")]
        if not any(a.status == "pending" for a in actions):
            nothing = "nothing to run here" if any(a.status == "skipped_dialect" for a in actions) else "everything already present"
            lines.append(f"  = {nothing}: recorded in the ledger, no SQL runs")
        for a in actions:
            lines += _action_lines(a, style, verbose)
    s = plan.summary()
    fp = plan.expected.get("fingerprint", {})
    lines += ["", f"Plan: {s['create']} to create, {s['update']} to update, {s['delete']} to delete; {len(plan.units)} unit(s) to record."]
    if fp and fp["total"]:
        lines.append(f"fingerprint {fp['before']['passed']}/{fp['before']['total']} -> {fp['passed']}/{fp['total']}"
                     + (f" (fixes: {', '.join(fp['fixed'])})" if fp.get("fixed") else "")
                     + (f" (breaks: {', '.join(fp['broken'])})" if fp.get("broken") else "")
                     + (f" (without the effect of {plan.raw_sql} raw sql operation{'s' if plan.raw_sql != 1 else ''}: not simulated)"
                        if plan.raw_sql else ""))
    return "\n".join(lines + gate_lines(plan, style)) + "\n"


def gate_lines(plan, style: Style = Style()) -> list[str]:
    """The gates apply will check, with their state when the plan was made."""
    notes = list(getattr(plan, "gate_notes", ()))
    if not notes:
        return []
    if not plan.gates.environment:
        return ["", style.paint(notes[0][0].upper() + notes[0][1:] + ".", "yellow")]
    return ["", style.paint(f"Gates apply checks, {notes[0]}:", "cyan", bold=True)] + [f"  {n}" for n in notes[1:]]


def next_step(plan, out_file: str, url_given: bool) -> str:
    """The closing hint of ``recon plan --out``: the whole command that applies this plan, or why none does."""
    import shlex

    saved = f"Saved the plan to {out_file}."
    if plan.mode == "detect-only":
        return f"{saved} It was made in detect-only mode: it is for review only, and apply refuses it."
    command = f"recon apply {shlex.quote(out_file)}"
    if plan.gates.environment:
        return f"{saved} Apply exactly this plan with: {command} --env {plan.gates.environment}  (the URL from ${plan.gates.database_url_env})"
    if url_given:
        return f"{saved} Apply exactly this plan with: {command} --db {shlex.quote(plan.target.url)}"
    return f"{saved} Apply exactly this plan with: {command}  (with $RECON_DATABASE_URL set)"


def _action_lines(a, style: Style, verbose: bool = False) -> list[str]:
    if a.status != "pending":
        skipped = "skipped, " if a.status in ("guard_false", "skipped_dialect") else ""
        return [style.paint(f"  = {a.op} {a.object}: {skipped}{a.reason}", "white")]
    symbol, color = _SYMBOL[a.action]
    out = [style.paint(f"  {symbol} {a.op} {a.object}", color, bold=True) + f"  # {a.reason}"]
    for code in a.codes:
        tag = "DESTRUCTIVE" if code["destructive"] else "warning"
        out.append(style.paint(f"      {tag} {code['code']}: {code['message']}", "red" if code["destructive"] else "yellow"))
    out += [f"      {sql};" for sql in a.sql]
    return out + [style.paint(f"        -- {line}", "white") for line in row_lines(a, verbose)]


def row_lines(a, verbose: bool = False) -> list[str]:
    """A row action's rows for review: the columns they bind, then each row (the first ones unless ``verbose``)."""
    if not a.row_action or not a.rows:
        return []
    shown = a.rows if verbose else a.rows[:SAMPLE]
    lines = [f"{len(a.rows)} row{'s' if len(a.rows) != 1 else ''} ({', '.join(a.columns)}):"]
    lines += ["  " + _row_text(a, i, row) for i, row in enumerate(shown)]
    if len(a.rows) > len(shown):
        lines.append(f"  ... and {len(a.rows) - len(shown)} more (recon plan -v lists every row)")
    return lines


def _row_text(a, index: int, row) -> str:
    if not a.was:
        return bound_text(row)
    changed = len(a.was[index])
    key, new = row[:-changed], row[-changed:]
    cols = a.columns[-changed:]
    return bound_text(key) + ": " + ", ".join(f"{c} {bound_text([w])} -> {bound_text([n])}" for c, w, n in zip(cols, a.was[index], new))


def bound_text(values) -> str:
    """Bound values as SQL-ish literals for review (they are never pasted into SQL)."""
    return ", ".join("NULL" if v is None else repr(v) if isinstance(v, str) else str(v).upper() if isinstance(v, bool) else str(v) for v in values)


def apply_text(report, style: Style = Style(), units: bool = True) -> str:
    """What apply did: one line per unit (unless already printed live), then the audits before -> after."""
    lines = [outcome_line(o, style) for o in report.outcomes] if units else []
    if report.approvals and (report.approvals.checked or report.approvals.signatures or report.approvals.required):
        lines.insert(0, report.approvals.summary())
    if not report.outcomes:
        lines.append("Nothing to apply.")
    if report.before and report.after:
        b, a = report.before, report.after
        for name, x, y in (("fingerprint", b.fingerprint, a.fingerprint), ("invariants", b.invariants, a.invariants)):
            if x.total or y.total:  # no "0/0 -> 0/0" for what the specs do not declare
                lines.append(f"{name} {x.passed}/{x.total} -> {y.passed}/{y.total}")
        lines += [note] if (note := planned_note(b)) else []
        for c in a.fingerprint.failing + a.invariants.failing:
            lines.append(_check_line(c.name, False, c.detail, style))
    return "\n".join(lines) + "\n"


def planned_note(before) -> str | None:
    """What apply's audit before took from the plan (canaries of tables it did not read again), for people."""
    n = sum(c.from_plan for c in before.fingerprint.checks)
    if not n:
        return None
    return (f"audit before: {n} of {before.fingerprint.total} canaries as the plan read them (tables the plan does not touch; "
            "--refresh reads them under the lock)")


def outcome_line(o, style: Style = Style()) -> str:
    """One unit's outcome, printed as it finishes."""
    if o.status == "failed":
        return style.paint(f"FAILED {o.unit}: {o.error}", "red", bold=True)
    verb = "rolled back" if o.status == "rolled_back" else "applied"
    return style.paint(f"{verb} {o.unit}", "green") + f" ({o.statements} statement{'s' if o.statements != 1 else ''}, {o.seconds:.2f}s)"


def approve_text(result) -> str:
    """``recon approve``: the plan signed, with which key, and what its approvals file holds now."""
    n = result.signatures
    return (f"approved plan {result.approval.plan_id} ({result.approval.digest}) with key {result.approval.key}\n"
            f"{result.sidecar}: {n} signature{'s' if n != 1 else ''}; apply counts those of distinct principals in its allowed signers\n")


def history_text(rows) -> str:
    """The ledger, oldest first."""
    from ..ledger.table import accepted, approvers

    if not rows:
        return "The ledger is empty (nothing applied yet).\n"
    lines = [f"{'#':>4}  {'status':<15} {'unit':<40} {'finished':<29} {'stmts':>5}  actor"]
    for r in rows:
        lines.append(f"{r.seq:>4}  {r.status:<15} {r.unit:<40} {r.finished_at or '':<29} {r.statements or 0:>5}  {r.actor or ''}")
        if r.override:
            lines.append(f"      override: {r.override} ({r.reason})")
        elif r.status == "repaired":
            lines.append(f"      repair: {r.reason}" + (f" (accepted: {'; '.join(accepted(r))})" if accepted(r) else ""))
        if approvers(r):
            lines.append(f"      approved by: {', '.join(approvers(r))}")
        if r.error:
            lines.append(f"      error: {r.error}")
    return "\n".join(lines) + "\n"


HINT = "  (accept the live state for a unit with `recon repair UNIT --reason TEXT`; restore what is gone with a new unit)"


def drift_lines(found, style=None, checksums: bool = True) -> list[str]:
    """Drift of applied units as text warnings, then what the operator can do about it; ``checksums=False``
    leaves out changed checksums (a plan lists them among its warnings already)."""
    shown = [d for d in found if checksums or d.kind != "checksum_changed"]
    if not shown:
        return []
    paint = style.paint if style is not None else (lambda text, *a, **k: text)
    return [paint(f"warning: drift of {d.unit}: {d.detail}", "yellow") for d in shown] + [HINT]


def repair_text(result) -> str:
    """What ``recon repair`` recorded (``repairs.RepairResult``), or that there was nothing to accept."""
    if result.seq is None:
        return f"nothing to repair: unit {result.unit} has no drift that is not accepted already (nothing written)\n"
    lines = [f"repaired {result.unit} (ledger #{result.seq}, actor {result.actor}, checksum {result.checksum[:19]})"]
    lines += [f"  accepted {d.kind}: {d.detail}" for d in result.findings]
    return "\n".join(lines + [f"reason: {result.reason}"]) + "\n"
