"""Text views of a fleet run (``recon.fleet/v1``) and a fleet plan. No decisions here.

A fleet report reads as a table, one line per target (its exit code and a headline of its own
report), then, per target, that target's own view: the single-target text views of its result
(``audit_text``, ``plan_text``, ``apply_text``). A target whose audit passed or whose plan is
empty gets its table line only, unless ``verbose``; a merged report, whose rows hold JSON
documents rather than results, is the table alone. ``headline`` is shared by every format.
"""

from __future__ import annotations

from .text import Style, apply_text, audit_text, plan_text

_MARK = {0: "ok", 1: "ERROR", 2: "DIFF", 3: "REFUSED"}
_COLOR = {0: "green", 1: "red", 2: "yellow", 3: "magenta"}


def shown_code(entry) -> int:
    """The row's state for a reader: its exit code, except that an audit whose checks fail (or whose
    units drifted) reads as a difference (2) even where the run's exit code is 0 (no --strict)."""
    report = entry.report or {}
    if entry.exit_code == 0 and report.get("format") == "recon.audit/v1" and (not report.get("ok", True) or report.get("drift")):
        return 2
    return entry.exit_code


def headline(entry) -> str:
    """One line of what the target's report says (or its error), read from the JSON document."""
    if entry.error:
        return entry.error.splitlines()[0]
    report = entry.report or {}
    fmt = report.get("format")
    if fmt == "recon.audit/v1":
        fp, inv = report["fingerprint"], report["invariants"]
        drift = f" · drift {len(report['drift'])}" if report.get("drift") else ""
        return f"fingerprint {fp['passed']}/{fp['total']} · invariants {inv['passed']}/{inv['total']}{drift}"
    if fmt == "recon.plan/v1":
        s = report["summary"]
        if not report["units"]:
            return "no changes"
        return f"{len(report['units'])} unit(s): {s['create']} to create, {s['update']} to update, {s['delete']} to delete"
    if fmt == "recon.apply/v1":
        done = sum(u["status"] == "applied" for u in report["units"])
        return f"applied {done}/{len(report['units'])} unit(s)" if report["units"] else "nothing to apply"
    return ""


def where(entry) -> str:
    target = entry.target or {}
    return target.get("url") or (f"${target['url_env']}" if target.get("url_env") else "?")


def fleet_text(report, style: Style = Style(), verbose: bool = False) -> str:
    """The fleet run for people: the table, the details of the targets worth reading, the totals."""
    lines = [_table_line(e, report.entries, style) for e in report.entries]
    for entry in report.entries:
        detail = _detail(entry, style, verbose)
        if detail:
            lines += ["", style.paint(f"── {entry.name} ({where(entry)}) ──", "cyan", bold=True), detail.rstrip("\n")]
    lines += ["", totals_line(report)]
    return "\n".join(lines) + "\n"


def totals_line(report) -> str:
    """``fleet audit: 3 targets, 2 exit 0, 1 exit 1; exit code 1 (the worst)``."""
    t = report.totals()
    counts = ", ".join(f"{n} exit {c}" for c, n in t["exit_codes"].items())
    shards = f" (shard{'s' if len(report.shards) > 1 else ''} {', '.join(report.shards)})" if report.shards else ""
    return f"fleet {report.command}: {t['targets']} target(s){shards}, {counts or 'none'}; exit code {t['exit_code']} (the worst)"


def _table_line(entry, entries, style: Style) -> str:
    width = max(len(e.name) for e in entries)
    code = shown_code(entry)
    mark = style.paint(f"{_MARK.get(code, str(code)):<7}", _COLOR.get(code, "red"), bold=True)
    return f"  {mark} {entry.name:<{width}}  {where(entry)}: {headline(entry)}"


def _detail(entry, style: Style, verbose: bool) -> str:
    """The target's own view where it says more than its table line."""
    result = entry.result
    if result is None or entry.error and not getattr(result, "outcomes", None):
        return ""
    kind = (entry.report or {}).get("format")
    if kind == "recon.audit/v1" and (verbose or not result.ok or result.drift):
        return audit_text(result, style, verbose)
    if kind == "recon.plan/v1" and (verbose or not result.empty):
        return plan_text(result, style, verbose)
    if kind == "recon.apply/v1" and (verbose or result.outcomes):
        return apply_text(result, style)
    return ""


def fleet_plan_text(fleet_plan, out_file: str) -> str:
    """What ``plan --targets --out`` wrote: each group, its targets, what its one plan does."""
    lines = [f"Saved the fleet plan to {out_file}: {len(fleet_plan.groups)} group(s) of targets whose planned state matches."]
    for number, group in enumerate(fleet_plan.groups, 1):
        s = group.plan.summary()
        does = "no changes" if group.plan.empty else f"{s['create']} to create, {s['update']} to update, {s['delete']} to delete"
        lines.append(f"  group {number} ({group.plan.target.dialect}, state {group.plan.state_digest[7:19]}): "
                     f"{', '.join(m.name for m in group.members)}: {does}")
    lines += [f"  not planned: {p['name']}: {p['error']}" for p in fleet_plan.not_planned]
    lines.append(f"Apply it with: recon apply {out_file} --targets FILE  (each target runs its group's plan, or is refused by name)")
    return "\n".join(lines) + "\n"
