"""Stage 11, report: results -> text, JSON, markdown and HTML, and the files recon reads and writes.

One module per output format (``text``, ``markdown``, ``as_json``, ``html`` with its jinja2
templates in ``templates/``), no decisions in them; ``progress`` the live progress lines of
apply on a terminal; ``compare`` compares two audit reports; ``files`` reads and writes report
and plan files with clear errors. The views are gathered here for the command line
(``report.plan_text``...). ``fleet_text`` and
``fleet_markdown`` show a fleet run (one more format is one more ``fleet_<format>`` module).
"""

from .as_json import history_json, to_json
from .compare import compare, load_audit_report
from .fleet_markdown import fleet_markdown
from .fleet_text import fleet_plan_text, fleet_text
from .html import apply_html, audit_html, compare_html, fleet_html, plan_html
from .markdown import (
                       apply_markdown,
                       audit_markdown,
                       compare_markdown,
                       drift_markdown,
                       history_markdown,
                       plan_markdown,
                       repair_markdown,
                       validate_markdown,
)
from .text import (
                   Style,
                   apply_text,
                   audit_text,
                   bound_text,
                   compare_text,
                   drift_lines,
                   gate_lines,
                   history_text,
                   next_step,
                   outcome_line,
                   plan_text,
                   repair_text,
                   row_lines,
                   validate_text,
)

__all__ = ["Style", "apply_html", "apply_markdown", "apply_text", "audit_html", "audit_markdown", "audit_text", "bound_text",
           "compare", "compare_html", "compare_markdown", "compare_text", "drift_lines", "drift_markdown", "fleet_html", "fleet_markdown", "fleet_plan_text", "fleet_text", "gate_lines",
           "history_json", "history_markdown", "history_text", "load_audit_report", "next_step", "outcome_line", "plan_html",
           "plan_markdown", "plan_text", "repair_markdown", "repair_text", "row_lines", "to_json", "validate_markdown",
           "validate_text"]
