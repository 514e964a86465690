"""Markdown view of a fleet run, for a pull-request comment or a CI summary. No decisions here.

A table with one row per target (exit code, where, headline), then each target's own
markdown view (``audit_markdown``, ``plan_markdown``) in a collapsible block, for the targets
the text view details too; an apply row's outcomes as a list.
"""

from __future__ import annotations

from .fleet_text import headline, shown_code, totals_line, where
from .markdown import _md, audit_markdown, plan_markdown

_ICON = {0: "✅", 1: "❌", 2: "⚠️", 3: "⛔"}


def fleet_markdown(report, verbose: bool = False) -> str:
    """The fleet run as markdown: the table, then the details worth reading, each folded."""
    out = [f"### recon fleet {report.command}", "", f"`{totals_line(report)}`", "",
           "| | target | where | exit | result |", "|---|---|---|---|---|"]
    out += [f"| {_ICON.get(shown_code(e), '❌')} | `{_md(e.name)}` | `{_md(where(e))}` | {e.exit_code} | {_md(headline(e))} |"
            for e in report.entries]
    for entry in report.entries:
        body = _detail(entry, verbose)
        if body:
            out += ["", f"<details><summary><code>{_md(entry.name)}</code></summary>", "", body.rstrip("\n"), "", "</details>"]
    return "\n".join(out) + "\n"


def _detail(entry, verbose: bool) -> str:
    result = entry.result
    if result is None:
        return ""
    kind = (entry.report or {}).get("format")
    if kind == "recon.audit/v1" and (verbose or not result.ok or result.drift):
        return audit_markdown(result)
    if kind == "recon.plan/v1" and (verbose or not result.empty):
        return plan_markdown(result)
    if kind == "recon.apply/v1" and (verbose or result.outcomes):
        return "\n".join(f"- {o.status} `{_md(o.unit)}`" + (f": {_md(o.error)}" if o.error else "") for o in result.outcomes)
    return ""
