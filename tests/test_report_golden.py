"""Golden files for the markdown and HTML reports: one real run on SQLite, made deterministic.

The spec set in ``tests/golden_reports/specs`` is audited, planned and applied on a fresh SQLite
database; the results are then normalised (fixed clock, plan id, URL, server version, durations,
actor) and each view is compared with its file in ``tests/golden_reports/``. Values holding
``<script>`` come from a unit's description and a seed row: they must arrive escaped.

Regenerate after an intended change of a view, then review the diff:

    RECON_UPDATE_GOLDEN=1 python -m pytest -q tests/test_report_golden.py

Each HTML report is also parsed by html5lib (a real HTML5 parser, in strict mode: any parse
error fails) and checked to hold no script, no external asset and no password.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

import engine
from engine import report as views
from engine.auditing.run import TargetInfo
from engine.version import __version__

HERE = Path(__file__).parent / "golden_reports"
UPDATE = os.environ.get("RECON_UPDATE_GOLDEN") == "1"
AT = "2026-01-02T03:04:05+00:00"
PLAN_ID = "00000000-0000-4000-8000-000000000001"
TARGET = TargetInfo("sqlite", "sqlite:///<tmp>/golden.db", "<sqlite version>")
SETUP = """
CREATE TABLE items (id integer PRIMARY KEY, title text NOT NULL, legacy text);
CREATE INDEX items_title_idx ON items (title);
INSERT INTO items (id, title, legacy) VALUES (1, 'first', 'old');
CREATE TABLE settings (key varchar(50) PRIMARY KEY, value text)
"""


def _audit(report):
    return replace(report, generated_at=AT, target=TARGET)


def _plan(plan):
    return replace(plan, plan_id=PLAN_ID, created_at=AT, target=TARGET)


def _applied(report):
    report.plan_id, report.target = PLAN_ID, TARGET
    report.outcomes = [replace(o, seconds=0.01) for o in report.outcomes]
    report.before, report.after = _audit(report.before), _audit(report.after)
    return report


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every result the views show, from one run: audit before, plan, apply, audit after, ledger."""
    import sqlalchemy as sa

    from engine.ledger.history import history

    path = tmp_path_factory.mktemp("golden") / "golden.db"
    url = f"sqlite:///{path}"
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        for statement in SETUP.split(";"):
            conn.exec_driver_sql(statement)
    eng.dispose()
    specs = engine.load_specs(str(HERE / "specs"))
    before = engine.audit(specs, url)
    plan = engine.plan(specs, url)
    applied = engine.apply(plan, url)
    after = engine.audit(specs, url)
    rows = [replace(r, plan_id=PLAN_ID, started_at=AT, finished_at=AT, actor="ci@example", engine_version="X.Y.Z")
            for r in history(url, "recon_ledger")]
    empty = engine.plan(specs, url)
    return {"specs": specs, "before": _audit(before), "plan": _plan(plan), "apply": _applied(applied),
            "after": _audit(after), "history": rows, "empty": _plan(empty), "empty_apply": _applied_empty(empty)}


def _applied_empty(plan):
    from engine.applying.applier import ApplyReport

    return ApplyReport(PLAN_ID, TARGET)


def _views(r) -> dict[str, str]:
    cmp = views.compare_reports(r["before"].to_dict(), r["after"].to_dict())
    counts = {"fingerprints": 1, "canaries": len(r["specs"].canaries), "units": len(r["specs"].units), "seeds": len(r["specs"].seeds),
              "invariants": len(r["specs"].invariants)}
    return {
        "audit.md": views.audit_markdown(r["before"]),
        "audit.html": views.audit_html(r["before"]),
        "plan.md": views.plan_markdown(r["plan"]),
        "plan.html": views.plan_html(r["plan"]),
        "plan-empty.md": views.plan_markdown(r["empty"]),
        "plan-empty.html": views.plan_html(r["empty"]),
        "apply.md": views.apply_markdown(r["apply"]),
        "apply.html": views.apply_html(r["apply"], r["plan"]),
        "apply-empty.md": views.apply_markdown(r["empty_apply"]),
        "compare.md": views.compare_markdown(cmp),
        "compare.html": views.compare_html(cmp),
        "history.md": views.history_markdown(r["history"]),
        "validate.md": views.validate_markdown("specs", counts, r["specs"].warnings),
    }


NAMES = ["audit.md", "audit.html", "plan.md", "plan.html", "plan-empty.md", "plan-empty.html", "apply.md", "apply.html",
         "apply-empty.md", "compare.md", "compare.html", "history.md", "validate.md"]


@pytest.mark.parametrize("name", NAMES)
def test_report_matches_its_golden_file(results, name):
    text = _views(results)[name].replace(__version__, "X.Y.Z").replace(str(HERE / "specs"), "<specs>")
    path = HERE / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path.name} missing: run with RECON_UPDATE_GOLDEN=1, then review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file (RECON_UPDATE_GOLDEN=1 rewrites it)"


def test_every_golden_file_is_checked():
    assert sorted(p.name for p in HERE.iterdir() if p.is_file()) == sorted(NAMES)


@pytest.mark.parametrize("name", [n for n in NAMES if n.endswith(".html")])
def test_html_report_is_valid_html5_self_contained_and_escaped(name):
    import html5lib

    text = (HERE / name).read_text(encoding="utf-8")
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    tree = parser.parse(text)  # strict: the first parse error raises
    assert tree.find("head/title") is not None and tree.find("head/style") is not None
    assert tree.findall(".//script") == [] and tree.findall(".//link") == [] and tree.findall(".//img") == []
    assert "<script" not in text and "http://" not in text and "https://" not in text
    if name in ("plan.html", "apply.html"):
        assert "&lt;script&gt;alert(&#34;unit&#34;)&lt;/script&gt;" in text  # the unit's description, as text


def test_markdown_reports_escape_markup_from_specs():
    plan = (HERE / "plan.md").read_text(encoding="utf-8")
    assert "&lt;script>alert(\"unit\")&lt;/script>" in plan  # a description is text in the comment, not a tag
    assert "<details><summary>SQL of T-1-items-note (2 statements)</summary>" in plan
    assert "- ⛔ **destructive** **RC102** drop_column `items.legacy`: column dropped: its values are lost" in plan
    assert "Fingerprint: **3/5 → 4/5** (fixes: `items.note`)" in plan


def test_the_templates_are_package_data():
    """A non-editable install carries every template: pyproject's package-data globs cover each file."""
    import fnmatch
    import tomllib

    root = HERE.parent.parent
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["engine.report"]
    folder = root / "engine" / "report"
    files = [p.relative_to(folder).as_posix() for p in (folder / "templates").iterdir()]
    assert files and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), (files, globs)
