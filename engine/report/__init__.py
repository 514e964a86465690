"""Stage 11, report: results -> text, JSON, markdown and HTML, and the files recon reads and writes.

One module per output format (``text``, ``markdown``, ``as_json``, ``html`` with its jinja2
templates in ``templates/``), no decisions in them; ``progress`` the live progress lines of
apply on a terminal; ``compare`` compares two audit reports; ``files`` reads and writes report
and plan files with clear errors. The views are gathered here for the command line
(``report.plan_text``...), each imported on first use: a command
loads the views of its own format only (``markdown`` and ``html``, with jinja2, stay unloaded
for a text audit). ``fleet_text`` and
``fleet_markdown`` show a fleet run (one more format is one more ``fleet_<format>`` module).
"""

from __future__ import annotations

import importlib

_VIEWS = {
    "Style": "text",
    "apply_html": "html",
    "apply_markdown": "markdown",
    "apply_text": "text",
    "approve_text": "text",
    "audit_html": "html",
    "audit_markdown": "markdown",
    "audit_text": "text",
    "bound_text": "text",
    "compare_reports": "compare",
    "compare_html": "html",
    "compare_markdown": "markdown",
    "compare_text": "text",
    "drift_lines": "text",
    "drift_markdown": "markdown",
    "fleet_html": "html",
    "fleet_markdown": "fleet_markdown",
    "fleet_plan_text": "fleet_text",
    "fleet_text": "fleet_text",
    "gate_lines": "text",
    "history_json": "as_json",
    "history_markdown": "markdown",
    "history_text": "text",
    "load_audit_report": "compare",
    "next_step": "text",
    "offline_validation_text": "text",
    "outcome_line": "text",
    "plan_html": "html",
    "plan_markdown": "markdown",
    "plan_text": "text",
    "repair_markdown": "markdown",
    "repair_text": "text",
    "row_lines": "text",
    "to_json": "as_json",
    "validate_markdown": "markdown",
    "validate_text": "text",
}

# ``compare`` is also a module of this package (importing it binds the name to the module), so its
# function is public here as ``compare_reports``.
_RENAMED = {"compare_reports": "compare"}

__all__ = sorted(_VIEWS)


def __getattr__(name: str):
    """A view, imported from its module on first use (PEP 562)."""
    module = _VIEWS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), _RENAMED.get(name, name))
    globals()[name] = value
    return value
