"""Views of results for people and machines: text, json, markdown. No decisions here.

Text is for terminals and startup logs (colour only when asked for), json is
the stable contract format, markdown is for a pull-request comment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .audit import AUDIT_FORMAT, AuditReport
from .driftview import accepted, drift_lines, drift_markdown, repair_text  # noqa: F401 - the CLI prints through this module
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
    """Stable JSON: indented, keys in the order the result defines them; a list of rows (lists of
    scalars) holds one row per line, so a plan of 50,000 rows stays compact and diffs line by line."""
    return "".join(_json(data, 0)) + "\n"


def _json(value, depth: int):
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = list(value.items())
        yield "{\n"
        for i, (key, item) in enumerate(items):
            yield f"{inner}{json.dumps(str(key), ensure_ascii=False)}: "
            yield from _json(item, depth + 1)
            yield ",\n" if i < len(items) - 1 else "\n"
        yield pad + "}"
    elif isinstance(value, (list, tuple)) and value:
        flat = all(isinstance(v, (list, tuple)) and not any(isinstance(x, (dict, list, tuple)) for x in v) for v in value)
        yield "[\n"
        for i, item in enumerate(value):
            yield inner + (json.dumps(item, ensure_ascii=False, default=str) if flat else "".join(_json(item, depth + 1)))
            yield ",\n" if i < len(value) - 1 else "\n"
        yield pad + "]"
    else:
        yield json.dumps(value, ensure_ascii=False, default=str)


# -- validate ----------------------------------------------------------------------------

def validate_text(specs: str, counts: dict[str, int], warnings, style: Style = Style()) -> str:
    """Valid specs for people: the summary line, then one ``warning: file:line: path: message`` each."""
    told = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    if warnings:
        told += f"; {len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    lines = [f"specs valid: {specs} ({told})"] + [style.paint(f"warning: {w}", "yellow") for w in warnings]
    return "\n".join(lines) + "\n"


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
    lines += drift_lines(report.drift, style)
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
    return "\n".join(out + drift_markdown(report.drift)) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# -- compare -----------------------------------------------------------------------------

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


def compare_text(cmp: Comparison, style: Style = Style()) -> str:
    """The comparison for people: totals before -> after, then each changed check."""
    tb, ta = _totals(cmp.before), _totals(cmp.after)
    lines = [f"{s} {tb[s]['passed']}/{tb[s]['total']} -> {ta[s]['passed']}/{ta[s]['total']}" for s in ("fingerprint", "invariants")]
    for c in cmp.changes:
        text = f"  {c.section}: {c.name}: {c.before or 'absent'} -> {c.after or 'absent'}  ({c.kind})"
        lines.append(style.paint(text, "red", bold=True) if c.regression else (style.paint(text, "green") if c.after == "pass" else text))
    if not cmp.changes:
        lines.append("  no check changed status")
    names = [c.name for c in cmp.regressions]
    lines.append(f"regressions: {len(names)}" + (f" ({', '.join(names)})" if names else ""))
    return "\n".join(lines) + "\n"


def compare_markdown(cmp: Comparison) -> str:
    """The comparison as a pull-request comment."""
    tb, ta = _totals(cmp.before), _totals(cmp.after)
    out = ["### recon compare", "", "| | before | after |", "|---|---|---|"]
    out += [f"| {s} | {tb[s]['passed']}/{tb[s]['total']} | {ta[s]['passed']}/{ta[s]['total']} |" for s in ("fingerprint", "invariants")]
    if cmp.changes:
        out += ["", "| check | before | after |", "|---|---|---|"]
        out += [f"| `{_md(c.name)}` | {c.before or '—'} | {c.after or '—'} {'⚠️ ' if c.regression else ''}{c.kind} |" for c in cmp.changes]
    return "\n".join(out) + "\n"


# -- plan, apply, history ----------------------------------------------------------------

_SYMBOL = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}


SAMPLE = 5  # rows a row action shows unless asked for all


def plan_text(plan, style: Style = Style(), verbose: bool = False) -> str:
    """The plan for people: ``+ ~ -`` per change, grouped by unit, each with its reason and SQL;
    a row action shows its first rows (``verbose``: every row)."""
    lines = [f"recon plan {plan.plan_id} for {plan.target.dialect} {plan.target.url}"]
    lines += [style.paint(f"warning: {w}", "yellow") for w in plan.warnings]
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
                     + (f" (breaks: {', '.join(fp['broken'])})" if fp.get("broken") else ""))
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


def plan_markdown(plan) -> str:
    """The plan as a pull-request comment."""
    out = [f"### recon plan `{plan.plan_id}`", "", f"Target: {plan.target.dialect} `{plan.target.url}`", ""]
    out += [f"> **warning:** {_md(w)}" for w in plan.warnings] + ([""] if plan.warnings else [])
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


def apply_text(report, style: Style = Style(), units: bool = True) -> str:
    """What apply did: one line per unit (unless already printed live), then the audits before -> after."""
    lines = [outcome_line(o, style) for o in report.outcomes] if units else []
    if not report.outcomes:
        lines.append("Nothing to apply.")
    if report.before and report.after:
        b, a = report.before, report.after
        lines.append(f"fingerprint {b.fingerprint.passed}/{b.fingerprint.total} -> {a.fingerprint.passed}/{a.fingerprint.total}")
        lines.append(f"invariants {b.invariants.passed}/{b.invariants.total} -> {a.invariants.passed}/{a.invariants.total}")
        for c in a.fingerprint.failing + a.invariants.failing:
            lines.append(_check_line(c.name, False, c.detail, style))
    return "\n".join(lines) + "\n"


def outcome_line(o, style: Style = Style()) -> str:
    """One unit's outcome, printed as it finishes."""
    if o.status == "failed":
        return style.paint(f"FAILED {o.unit}: {o.error}", "red", bold=True)
    verb = "rolled back" if o.status == "rolled_back" else "applied"
    return style.paint(f"{verb} {o.unit}", "green") + f" ({o.statements} statement{'s' if o.statements != 1 else ''}, {o.seconds:.2f}s)"


def history_text(rows) -> str:
    """The ledger, oldest first."""
    if not rows:
        return "The ledger is empty (nothing applied yet).\n"
    lines = [f"{'#':>4}  {'status':<15} {'unit':<40} {'finished':<29} {'stmts':>5}  actor"]
    for r in rows:
        lines.append(f"{r.seq:>4}  {r.status:<15} {r.unit:<40} {r.finished_at or '':<29} {r.statements or 0:>5}  {r.actor or ''}")
        if r.override:
            lines.append(f"      override: {r.override} ({r.reason})")
        elif r.status == "repaired":
            lines.append(f"      repair: {r.reason}" + (f" (accepted: {'; '.join(accepted(r))})" if accepted(r) else ""))
        if r.error:
            lines.append(f"      error: {r.error}")
    return "\n".join(lines) + "\n"


def history_json(rows) -> list[dict]:
    """The contract's history form: ``{unit, checksum, scope, status, applied_at, plan_id}`` plus details."""
    return [{"unit": r.unit, "checksum": r.checksum, "scope": r.scope, "status": r.status, "applied_at": r.finished_at,
             "plan_id": r.plan_id, "seq": r.seq, "started_at": r.started_at, "actor": r.actor,
             "engine_version": r.engine_version, "statements": r.statements, "error": r.error,
             "override": r.override, "reason": r.reason, "accepted": accepted(r)} for r in rows]
