"""--format markdown and html through the installed ``recon``, on SQLite, PostgreSQL and MariaDB.

Each command that prints a result has a markdown view; audit, compare, plan, apply and
rollback an HTML one (a self-contained page, parsed here by html5lib in strict mode). Apply's
JSON gives ``target`` as the same object audit and plan do.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import html5lib
import pytest
from support import (
    RECON_VARIABLES,
    dialect_sql,
    inspected,
    ledger_rows,
    recon_bin,
    stored_rows,
    write,
)

SPECS = {
    "fingerprint": """
        kind: fingerprint
        name: app
        checks:
          - table: items
          - column: items.note
          - name: items.titel-typo
            column: items.titel
        """,
    "unit": """
        kind: migration
        id: T-1-items-note
        ticket: T-1
        scope: schema
        description: Add a note <script>alert("unit")</script>
        allow: [RC102]
        rollback:
          notes: additive
          operations:
            - drop_column: {table: items, name: note}
        operations:
          - add_column: {table: items, name: note, type: text, nullable: true}
          - drop_column: {table: items, name: legacy}
        """,
    "seed": """
        kind: seed
        name: settings
        table: settings
        key: [key]
        rows:
          - {key: theme, value: '<script>alert("seed")</script>'}
        """,
    "invariants": """
        kind: invariants
        checks:
          - name: some-items
            row_count: {table: items}
            min: 1
        """,
}
SETUP = """
    CREATE TABLE items (id integer PRIMARY KEY, title varchar(100) NOT NULL, legacy varchar(10));
    INSERT INTO items (id, title, legacy) VALUES (1, 'first', 'old');
    CREATE TABLE settings ("key" varchar(50) PRIMARY KEY, value varchar(200))
    """


def _recon(*args, cwd: Path) -> subprocess.CompletedProcess:
    exe = recon_bin()
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=180,
                          stdin=subprocess.DEVNULL)


def _html(text: str):
    """The page parsed as HTML5 (strict: a parse error raises); it holds no script and no external asset."""
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
    assert tree.findall(".//script") == [] and tree.findall(".//link") == [] and "<script" not in text
    return tree


def _text(tree) -> str:
    return " ".join("".join(tree.itertext()).split())


def _rows(tree, table: str) -> list[list[str]]:
    """The body rows of ``<table class=table>``, each a list of its cells' text."""
    return [[" ".join("".join(td.itertext()).split()) for td in tr] for tr in tree.findall(f".//table[@class='{table}']/tbody/tr")]


@pytest.fixture
def setup(db, specs):
    db.run(dialect_sql(db, SETUP))
    for name, text in SPECS.items():
        write(specs, name, text)
    return db, specs


def test_the_installed_recon_writes_markdown_and_html_reports(setup, tmp_path):
    db, specs = setup
    common = ("--specs", specs, "--db", db.url)
    audit_html = _recon("audit", *common, "--format", "html", cwd=tmp_path)
    assert audit_html.returncode == 0, audit_html.stderr
    page = _text(_html(audit_html.stdout))
    assert "Fingerprint 1/3" in page and "column items.titel does not exist; did you mean items.title?" in page
    assert f"{db.dialect} " in page and "Invariants 1/1" in page

    planned = _recon("plan", *common, "--out", tmp_path / "plan.json", "--format", "html", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert "&lt;script&gt;alert(&#34;unit&#34;)&lt;/script&gt;" in planned.stdout  # the description, escaped
    page = _text(_html(planned.stdout))
    assert "Fingerprint 1/3 → 2/3 (fixes: items.note)" in page and "DESTRUCTIVE RC102: column dropped: its values are lost" in page
    markdown = _recon("plan", *common, "--format", "markdown", cwd=tmp_path).stdout
    assert "Fingerprint: **1/3 → 2/3** (fixes: `items.note`)" in markdown and "<details><summary>SQL of T-1-items-note" in markdown
    assert "- ⛔ **destructive** **RC102** drop_column `items.legacy`: column dropped: its values are lost" in markdown

    applied = _recon("apply", tmp_path / "plan.json", "--db", db.url, "--format", "html", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    tree = _html(applied.stdout)
    assert "Applied" in _text(tree) and "The plan that ran" in _text(tree)
    assert [r[:3] for r in _rows(tree, "outcomes")] == [["T-1-items-note", "applied", "2"], ["seed:settings", "applied", "1"]]
    assert _rows(tree, "totals") == [["fingerprint", "1/3", "2/3"], ["invariants", "1/1", "1/1"]]
    assert "&lt;script&gt;alert(&#34;seed&#34;)&lt;/script&gt;" in applied.stdout  # the seed row's value, escaped

    history = _recon("history", "--db", db.url, "--format", "markdown", cwd=tmp_path)
    assert history.returncode == 0 and "| 1 | applied | `T-1-items-note` |" in history.stdout, history.stderr
    rolled = _recon("rollback", "T-1-items-note", *common, "--auto-approve", "--no-env", "--format", "markdown", cwd=tmp_path)
    assert rolled.returncode == 0, rolled.stderr
    assert "### recon plan `" in rolled.stdout and "| `T-1-items-note` | rolled_back |" in rolled.stdout
    assert "> Rollback notes: additive" in rolled.stdout
    assert "| fingerprint | 2/3 → 1/3 |" in rolled.stdout


def test_apply_and_rollback_json_give_target_as_audit_and_plan_do(setup, tmp_path):
    db, specs = setup
    common = ("--specs", specs, "--db", db.url)
    audit = json.loads(_recon("audit", *common, "--format", "json", cwd=tmp_path).stdout)
    applied = _recon("apply", *common, "--auto-approve", "--format", "json", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    report = json.loads(applied.stdout)
    assert report["format"] == "recon.apply/v1" and report["target"] == audit["target"]
    assert set(report["target"]) == {"dialect", "url", "server_version"} and report["target"]["dialect"] == db.dialect
    rolled = json.loads(_recon("rollback", "--last", *common, "--auto-approve", "--format", "json", cwd=tmp_path).stdout)
    assert rolled["target"] == audit["target"] and rolled["units"][0]["status"] == "rolled_back"
    assert [u["unit"] for u in json.loads(_recon("apply", *common, "--auto-approve", "--format", "json", cwd=tmp_path).stdout)["units"]] \
        == ["T-1-items-note"]  # applied again after its rollback
    empty = json.loads(_recon("apply", *common, "--auto-approve", "--format", "json", cwd=tmp_path).stdout)
    assert empty["units"] == [] and empty["target"] == audit["target"]  # nothing to run: the same target object
    assert [r[:2] for r in ledger_rows(db)] == [("T-1-items-note", "applied"), ("seed:settings", "applied"),
                                                ("T-1-items-note", "rolled_back"), ("T-1-items-note", "applied")]
    assert _columns(db, "items") == ["id", "title", "note"]
    assert stored_rows(db, dialect_sql(db, 'SELECT "key", value FROM settings')) == [("theme", '<script>alert("seed")</script>')]


def _columns(db, table: str) -> list[str]:
    state = inspected(db)
    return [c.name for c in state.tables[(state.default_schema, table)].columns]


def test_markdown_of_validate_and_repair_and_html_refused_where_there_is_no_html_view(recon, sqlite_db, specs):
    sqlite_db.run(SETUP)
    for name, text in SPECS.items():
        write(specs, name, text)
    code, out, _ = recon("validate", "--specs", specs, "--format", "markdown")
    assert code == 0 and out.startswith("### recon validate: specs valid") and "1 units, 1 seeds" in out
    write(specs, "broken", "kind: seed\nname: x\n")
    code, out, _ = recon("validate", "--specs", specs, "--format", "markdown")
    assert code == 1 and "### recon validate: specs invalid" in out and "| error | `" in out and "broken.yaml" in out
    (specs / "broken.yaml").unlink()
    for command in (("validate",), ("history", "--db", sqlite_db.url), ("repair", "X", "--db", sqlite_db.url)):
        code, _, err = recon(*command, "--specs", specs, "--format", "html")
        assert code == 1 and "'html' is not one of 'text', 'json', 'markdown'" in err, err
    code, out, _ = recon("apply", "--specs", specs, "--db", sqlite_db.url, "--auto-approve")
    assert code == 0
    sqlite_db.run("ALTER TABLE items DROP COLUMN note")
    code, out, err = recon("repair", "T-1-items-note", "--specs", specs, "--db", sqlite_db.url, "--reason", "dropped <on purpose>",
                           "--format", "markdown")
    assert code == 0, err
    assert out.startswith("### recon repair `T-1-items-note`") and "- accepted effect_missing: column items.note" in out
    assert "Reason: dropped &lt;on purpose>" in out
    assert [r[:2] for r in ledger_rows(sqlite_db)] == [("T-1-items-note", "applied"), ("seed:settings", "applied"), ("T-1-items-note", "repaired")]
    assert _columns(sqlite_db, "items") == ["id", "title"]  # repair records, it changes no schema


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_no_password_in_html_or_markdown_reports(request, dialect, specs, tmp_path):
    from test_audit_faults import PASSWORD, login_without_select

    db = request.getfixturevalue({"postgresql": "postgres_db", "mysql": "mysql_db"}[dialect])
    db.run(dialect_sql(db, SETUP))
    for name, text in SPECS.items():
        write(specs, name, text)
    with login_without_select(db, ["items", "settings"], []) as url:
        for command in ("audit", "plan"):
            for fmt in ("html", "markdown"):
                done = _recon(command, "--specs", specs, "--db", url, "--format", fmt, cwd=tmp_path)
                assert done.returncode == 0, done.stderr
                assert PASSWORD not in done.stdout + done.stderr and ":***@" in done.stdout, (command, fmt)


def test_specs_without_checks_print_no_zero_of_zero(recon, sqlite_db, specs, tmp_path):
    """No "fingerprint 0/0" nor "0/0 -> 0/0" in any view where the specs declare no canary or invariant."""
    sqlite_db.run(SETUP)
    write(specs, "unit", SPECS["unit"])
    common = ("--specs", specs, "--db", sqlite_db.url)
    outputs = {}
    for fmt in ("text", "markdown", "html"):
        outputs["audit", fmt] = recon("audit", *common, "--format", fmt)
        outputs["plan", fmt] = recon("plan", *common, "--format", fmt, "--out", tmp_path / f"plan-{fmt}.json")
    for fmt in ("text", "markdown", "html"):
        outputs["apply", fmt] = recon("apply", tmp_path / f"plan-{fmt}.json", "--db", sqlite_db.url, "--format", fmt) if fmt == "text" \
            else recon("rollback", "--last", *common, "--auto-approve", "--format", fmt) if fmt == "markdown" \
            else recon("apply", *common, "--auto-approve", "--format", fmt)
    for (command, fmt), (code, out, err) in outputs.items():
        assert code == 0, (command, fmt, err)
        assert "0/0" not in out, (command, fmt, out)
    assert "no fingerprint canaries or invariants declared" in outputs["audit", "text"][1]
    assert "no fingerprint canaries or invariants declared" in outputs["audit", "markdown"][1]
    assert "No fingerprint canaries declared." in outputs["audit", "html"][1]
    assert "applied T-1-items-note" in outputs["apply", "text"][1] and "rolled_back" in outputs["apply", "markdown"][1]
    assert "T-1-items-note" in outputs["apply", "html"][1]
    assert [r[:2] for r in ledger_rows(sqlite_db)] == [("T-1-items-note", "applied"), ("T-1-items-note", "rolled_back"),
                                                       ("T-1-items-note", "applied")]
    assert _columns(sqlite_db, "items") == ["id", "title", "note"]


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_a_refused_apply_is_still_one_document_on_stdout(fmt, sqlite_db, tmp_path):
    """A pipeline reading stdout sees why: `refused: true` and the gate's reason, exit 3, nothing applied."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "u.yaml").write_text("kind: migration\nid: D1\nscope: schema\noperations:\n  - drop_table: {table: old}\n",
                                  encoding="utf-8")
    sqlite_db.run("CREATE TABLE old (id integer)")
    plan = tmp_path / "plan.json"
    assert _recon("plan", "--specs", specs, "--db", sqlite_db.url, "--out", plan, cwd=tmp_path).returncode == 0
    done = _recon("apply", plan, "--db", sqlite_db.url, "--format", fmt, cwd=tmp_path)
    code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 3 and "RC101" in err, out + err
    if fmt == "json":
        doc = json.loads(out)
        assert doc["format"] == "recon.apply/v1" and doc["refused"] is True and doc["ok"] is False and doc["units"] == []
        assert doc["error"].startswith("refused: destructive changes not allowed") and "RC101" in doc["error"]
    else:
        _html(out)
        assert "Refused, nothing ran: destructive changes not allowed" in out
    assert {t for _, t in inspected(sqlite_db).tables} == {"old"}  # nothing ran, no ledger made
