"""HTML views: self-contained evidence reports for a release ticket. No decisions here.

Each view renders one jinja2 template shipped in ``engine/report/templates`` (inline CSS, no
script, no external asset). Autoescaping is on for every template, so a value from a spec or
the database (a check's detail, a row's value, a unit's description) is text, never markup;
URLs are the results' own, which never carry a password. A new view is a template that
extends ``base.html.j2`` and a function here that calls ``_render`` with it.
"""

from __future__ import annotations

from functools import lru_cache

from ..version import __version__
from .compare import Comparison, _totals
from .text import _SYMBOL, planned_note, row_lines


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("engine.report", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(version=__version__, row_lines=row_lines, planned_note=planned_note, symbols={k: v[0] for k, v in _SYMBOL.items()})
    env.filters["shown"] = _shown
    return env


def _shown(value) -> str:
    """An observed or expected value as people read it: a scalar as is, a list or mapping as JSON."""
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _render(template: str, **context) -> str:
    return _environment().get_template(template).render(**context).rstrip("\n") + "\n"


def audit_html(report) -> str:
    """The audit (``AuditReport``): the fingerprint check by check, invariants, drift, warnings."""
    return _render("audit.html.j2", title=f"recon audit: {report.target.dialect} {report.target.url}", report=report)


def compare_html(cmp: Comparison) -> str:
    """Two audit reports side by side: totals, then each check whose status changed."""
    return _render("compare.html.j2", title="recon compare", cmp=cmp, before=_totals(cmp.before), after=_totals(cmp.after))


def plan_html(plan) -> str:
    """The plan: fingerprint before -> after, warnings, each unit's changes, codes and SQL, the gates."""
    return _render("plan.html.j2", title=f"recon plan {plan.plan_id}", plan=plan)


def apply_html(report, plan=None) -> str:
    """What apply did (``ApplyReport``): each unit's outcome, the audits before -> after, and the
    plan that ran (``plan``, when given) with its SQL and gates."""
    return _render("apply.html.j2", title=f"recon apply {report.plan_id}", report=report, plan=plan)


def fleet_html(report) -> str:
    """A fleet run (``FleetReport``): the table of targets with their exit codes, then each target's own
    fingerprint, invariants and drift (audit), changes (plan) or unit outcomes (apply). A merged report,
    whose rows hold JSON documents, is the table with each row's headline."""
    from .fleet_text import headline, shown_code, totals_line, where

    entries = [{"entry": e, "where": where(e), "headline": headline(e), "kind": (e.report or {}).get("format"), "shown": shown_code(e)}
               for e in report.entries]
    return _render("fleet.html.j2", title=f"recon fleet {report.command}", report=report, entries=entries, totals=totals_line(report))
