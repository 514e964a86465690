"""The recon command line: exit codes, output forms, errors without tracebacks or passwords."""

from __future__ import annotations

import json
import textwrap

import catalogue
import pytest
import sqlalchemy as sa


@pytest.fixture
def catalogue_db(sqlite_db, tmp_path):
    catalogue.create(sqlite_db)
    return sqlite_db.url, str(catalogue.write_specs(tmp_path / "specs", "sqlite"))


def test_validate(recon, tmp_path):
    code, out, err = recon("validate", "--specs", str(catalogue.write_specs(tmp_path / "s", "sqlite")))
    assert code == 0 and out.startswith("specs valid:")
    (tmp_path / "s" / "bad.yaml").write_text("kind: fingerprint\nname: x\nchecks:\n  - tabel: t\n")
    code, out, err = recon("validate", "--specs", str(tmp_path / "s"))
    assert code == 1
    assert "bad.yaml:4: checks[0].tabel: unknown key 'tabel' (did you mean 'table'?)" in err
    assert "Traceback" not in err


def test_audit_text_output(recon, catalogue_db):
    url, specs = catalogue_db
    code, out, err = recon("audit", "--specs", specs, "--db", url)
    lines = out.splitlines()
    assert code == 0, err
    assert lines[0].startswith("fingerprint 8/17 (missing: product, ")
    fails = [l for l in lines if l.startswith("  FAIL")]
    assert len(fails) == 9 + 4  # failing canaries, then failing invariants
    assert "  FAIL products.product_name: column products.product_name does not exist; did you mean products.nameCanonical?" in lines
    assert "\x1b[" not in out  # no colour when not on a terminal


def test_audit_strict_report_and_formats(recon, catalogue_db, tmp_path):
    url, specs = catalogue_db
    report = tmp_path / "out" / "audit.json"
    report.parent.mkdir()
    code, out, _ = recon("audit", "--specs", specs, "--db", url, "--strict", "--report", str(report), "--format", "json")
    assert code == 2
    assert json.loads(out)["fingerprint"]["total"] == 17
    assert json.loads(report.read_text())["format"] == "recon.audit/v1"
    code, out, _ = recon("audit", "--specs", specs, "--db", url, "--format", "markdown")
    assert code == 0 and out.startswith("### recon audit: Checks failing") and "| `products.product_name` | column | ❌ |" in out


def test_audit_strict_passes_when_everything_passes(recon, sqlite_db, tmp_path):
    catalogue.create(sqlite_db)
    (tmp_path / "fp.yaml").write_text("kind: fingerprint\nname: ok\nchecks:\n  - table: products\n  - column: products.nameCanonical\n")
    code, out, _ = recon("audit", "--specs", str(tmp_path), "--db", sqlite_db.url, "--strict")
    assert code == 0 and out.startswith("fingerprint 2/2\n")


def test_colour_only_on_a_terminal(recon, catalogue_db, monkeypatch):
    import sys

    url, specs = catalogue_db
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, out, _ = recon("audit", "--specs", specs, "--db", url)
    assert "\x1b[" in out
    _, out, _ = recon("audit", "--specs", specs, "--db", url, "--no-color")
    assert "\x1b[" not in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = recon("audit", "--specs", specs, "--db", url)
    assert "\x1b[" not in out


@pytest.mark.parametrize("url, message", [
    ("not a url", "invalid database URL"),
    ("oracle://scott:tiger-pw@db/orcl", "unsupported database 'oracle'"),
    ("postgresql://app:s3cret-pw@127.0.0.1:1/app", "cannot connect to postgresql+psycopg://app:***@127.0.0.1:1/app"),
    ("mysql://app:s3cret-pw@127.0.0.1:1/app", "cannot connect to mysql+pymysql://app:***@127.0.0.1:1/app"),
    ("sqlite:////nonexistent/dir/app.db", "no SQLite database at '/nonexistent/dir/app.db'"),
])
def test_target_errors(recon, catalogue_db, url, message):
    _, specs = catalogue_db
    code, out, err = recon("audit", "--specs", specs, "--db", url)
    assert code == 1
    assert message in err
    assert "Traceback" not in err and "s3cret-pw" not in err + out and "tiger-pw" not in err + out


def test_debug_shows_traceback_without_password(recon, catalogue_db):
    _, specs = catalogue_db
    code, out, err = recon("audit", "--specs", specs, "--db", "postgresql://app:s3cret-pw@127.0.0.1:1/app", "--debug")
    assert code == 1 and "Traceback" in err and "s3cret-pw" not in err


def test_wrong_password_on_a_real_server(recon, mysql_db, tmp_path):
    url = sa.engine.make_url(mysql_db.url).set(username="recon_nobody", password="s3cret-pw").render_as_string(hide_password=False)
    (tmp_path / "fp.yaml").write_text("kind: fingerprint\nname: x\nchecks:\n  - table: t\n")
    code, out, err = recon("audit", "--specs", str(tmp_path), "--db", url)
    assert code == 1 and "cannot connect" in err and "s3cret-pw" not in err + out


def test_no_target(recon, catalogue_db, monkeypatch):
    _, specs = catalogue_db
    monkeypatch.delenv("RECON_DATABASE_URL", raising=False)
    code, _, err = recon("audit", "--specs", specs)
    assert code == 1 and "no target database" in err


def test_target_from_environment_variable_and_env_spec(recon, catalogue_db, monkeypatch, tmp_path):
    url, specs = catalogue_db
    monkeypatch.setenv("RECON_DATABASE_URL", url)
    code, out, _ = recon("audit", "--specs", specs)
    assert code == 0 and out.startswith("fingerprint 8/17")
    monkeypatch.delenv("RECON_DATABASE_URL")
    (tmp_path / "specs" / "envs.yaml").write_text(textwrap.dedent("""
        kind: environments
        environments:
          - name: staging
            database_url_env: STAGING_DB_URL
    """))
    monkeypatch.setenv("STAGING_DB_URL", url)
    code, out, _ = recon("audit", "--specs", specs, "--env", "staging")
    assert code == 0 and out.startswith("fingerprint 8/17")
    code, _, err = recon("audit", "--specs", specs, "--env", "prod")
    assert code == 1 and "unknown environment 'prod' (declared: staging)" in err


def test_bad_option_is_exit_1(recon):
    code, _, err = recon("audit", "--format", "xml")
    assert code == 1 and "Invalid value for '--format'" in err


# Each command takes only the common options it uses (what it would ignore is refused), and
# no single-valued option twice: which commands take which is the table below, also in docs/README.md.
TAKES = {
    "validate": {"--specs", "--format", "--no-color", "--debug"},
    "audit": {"--specs", "--db", "--env", "--format", "--no-color", "--debug"},
    "compare": {"--format", "--no-color", "--debug"},
    "plan": {"--specs", "--db", "--env", "--format", "--no-color", "--debug"},
    "apply": {"--specs", "--db", "--env", "--format", "--no-color", "--debug"},
    "rollback": {"--specs", "--db", "--env", "--format", "--no-color", "--debug"},
    "history": {"--specs", "--db", "--env", "--format", "--debug"},
    "repair": {"--specs", "--db", "--env", "--format", "--debug"},
    "demo": {"--no-color", "--debug"},
    "approve": {"--format", "--debug"},
}
COMMON = {"--specs", "--db", "--env", "--format", "--no-color", "--debug"}


@pytest.mark.parametrize("command", sorted(TAKES))
def test_each_command_takes_only_the_common_options_it_uses(command):
    from engine.cli import cli

    declared = {opt for p in cli.commands[command].params for opt in getattr(p, "opts", ())}
    assert declared & COMMON == TAKES[command]


def test_an_option_a_command_would_ignore_is_refused_by_the_installed_recon(tmp_path):
    """demo --db, compare --specs: exit 1 naming the option, nothing run (no demo folder made)."""
    import subprocess

    from support import recon_bin

    cases = [(["demo", "--dir", str(tmp_path / "d"), "--db", "sqlite://"], "No such option '--db'"),
             (["compare", "a.json", "b.json", "--specs", "specs"], "No such option '--specs'"),
             (["history", "--no-color", "--db", "sqlite://"], "No such option '--no-color'"),
             (["audit", "--db", "sqlite:///a.db", "--db", "sqlite:///b.db"], "--db given more than once: give it once"),
             (["plan", "--format", "json", "--format", "text"], "--format given more than once")]
    for args, message in cases:
        done = subprocess.run([recon_bin(), *args], capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert done.stdout == ""
    assert not (tmp_path / "d").exists() and not (tmp_path / "a.db").exists()


def test_a_flag_given_twice_is_still_the_flag(recon, tmp_path):
    """The twice-refusal is for options with a value: two values conflict, two flags do not."""
    folder = catalogue.write_specs(tmp_path / "specs", "sqlite")
    code, out, err = recon("validate", "--specs", folder, "--no-color", "--no-color")
    assert code == 0 and "given more than once" not in err and "fingerprint" in out, out + err


def test_compare(recon, catalogue_db, tmp_path, sqlite_db):
    url, specs = catalogue_db
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    recon("audit", "--specs", specs, "--db", url, "--report", str(before))
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("DROP INDEX products_name_canonical_idx")
        conn.exec_driver_sql("INSERT INTO roles (id, name) VALUES (3, 'ghost')")
    eng.dispose()
    recon("audit", "--specs", specs, "--db", url, "--report", str(after))
    code, out, _ = recon("compare", str(before), str(after))
    assert code == 2
    assert out.splitlines()[0] == "fingerprint 8/17 -> 7/17"
    assert "  fingerprint: products_name_canonical_idx: pass -> fail  (regression)" in out
    assert "  invariants: roles-present: fail -> pass" in out
    code, out, _ = recon("compare", str(before), str(after), "--format", "json")
    data = json.loads(out)
    changed = {c["name"]: (c["before"], c["after"]) for c in data["changes"]}
    assert changed == {
        "products_name_canonical_idx": ("pass", "fail"),
        "two-roles": ("pass", "fail"),
        "roles-present": ("fail", "pass"),
        "role-count-sql": ("pass", "fail"),
    }
    assert code == 2 and data["regressions"] == 3
    assert data["before"]["fingerprint"] == {"passed": 8, "total": 17}
    code, out, _ = recon("compare", str(before), str(before), "--format", "markdown")
    assert code == 0 and "### recon compare" in out


def test_compare_rejects_what_is_not_a_report(recon, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    code, _, err = recon("compare", str(bad), str(bad))
    assert code == 1 and "not an audit report" in err
    code, _, err = recon("compare", str(tmp_path / "missing.json"), str(bad))
    assert code == 1 and "cannot read" in err and "Traceback" not in err


def test_validate_json_lists_diagnostics(recon, tmp_path):
    (tmp_path / "bad.yaml").write_text("kind: fingerprint\nname: x\nchecks:\n  - tabel: t\n")
    code, out, _ = recon("validate", "--specs", str(tmp_path), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert any(d["line"] == 4 and d["path"] == "checks[0].tabel" for d in data["diagnostics"])


def test_environment_variable_wins_over_env_spec(recon, catalogue_db, monkeypatch, tmp_path):
    url, specs = catalogue_db
    (tmp_path / "specs" / "envs.yaml").write_text("kind: environments\nenvironments:\n  - {name: staging, database_url_env: STAGING_DB_URL}\n")
    monkeypatch.setenv("STAGING_DB_URL", "sqlite:////nonexistent.db")
    monkeypatch.setenv("RECON_DATABASE_URL", url)
    code, out, _ = recon("audit", "--specs", specs, "--env", "staging")
    assert code == 0 and out.startswith("fingerprint 8/17")


def test_a_password_in_the_query_string_never_shows(recon, postgres_db, tmp_path):
    role = "recon_qpw_" + postgres_db.url.rsplit("_", 1)[-1][:8]
    admin = sa.create_engine(postgres_db.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'Qu3ry-Secret'")
        conn.exec_driver_sql(f"GRANT ALL ON SCHEMA public TO {role}")
    try:
        base = sa.engine.make_url(postgres_db.url).set(username=role, password=None)
        url = base.render_as_string(hide_password=False) + "?password=Qu3ry-Secret"
        specs = tmp_path / "specs"
        specs.mkdir()
        (specs / "fp.yaml").write_text("kind: fingerprint\nname: x\nchecks:\n  - table: t\n")
        (specs / "u.yaml").write_text("kind: migration\nid: U1\nscope: schema\noperations:\n"
                                      "  - create_table: {table: t, columns: [{name: id, type: integer}]}\n")
        outputs = []
        for args in (("audit", "--specs", specs), ("audit", "--format", "json", "--specs", specs),
                     ("plan", "--out", tmp_path / "p.json", "--specs", specs), ("apply", tmp_path / "p.json")):
            code, out, err = recon(*args, "--db", url)
            assert code in (0, 2), err
            outputs.append(out + err)
        outputs.append((tmp_path / "p.json").read_text())
        bad_port = url.replace(":5432/", ":1/")
        code, out, err = recon("audit", "--specs", specs, "--db", bad_port)
        assert code == 1 and "cannot connect" in err
        outputs.append(out + err)
        assert all("Qu3ry-Secret" not in text for text in outputs)
        assert "password=***" in outputs[0]
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_redaction_hides_the_whole_password_whatever_it_contains():
    from engine.target.connection import make_target, redact_text

    assert redact_text("""invalid database URL 'postgresql://u@h:1/db?password=ab'cd"e&sslmode=off'""") == \
        "invalid database URL 'postgresql://u@h:1/db?password=***&sslmode=off'"
    target = make_target("postgresql://u@h:1/db?Password=Abc'def")
    assert target.scrub("failed: Password=Abc'def and Abc'def") == "failed: Password=*** and ***"
    assert "Abc" not in target.display_url


def test_redaction_of_malformed_and_ssl_passwords():
    from engine.target.connection import redact_text

    assert redact_text("invalid database URL 'postgresql://postgres:Top Secret@127.0.0.1:notaport/x'") == \
        "invalid database URL 'postgresql://postgres:***@127.0.0.1:notaport/x'"
    assert redact_text("postgresql://postgres:p@ss@h/db") == "postgresql://postgres:***@h/db"
    assert "KeyPass1" not in redact_text("postgresql://u@h/db?sslmode=require&sslpassword=KeyPass1")
    assert "Secret" not in redact_text("postgresql://u@h:1/db?password=Top Secret")


def test_plan_help_says_strict_covers_drift_too(recon):
    """`plan --strict` fails on drift of applied units as on a changed spec (plan-apply.md), and its help says so."""
    code, out, _ = recon("plan", "--help")
    text = " ".join(out.split())
    assert code == 0
    assert ("--strict An applied unit whose spec changed, or whose effect drifted from the live schema, is an error (exit 1), "
            "not a warning.") in text


def test_a_folder_without_specs_is_an_error_not_a_vacuous_pass(recon, tmp_path, sqlite_db):
    """Before: `specs valid: DIR ()`, exit 0, and an audit of no checks passed: most likely a wrong --specs path."""
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (("validate",), ("audit", "--db", sqlite_db.url), ("plan", "--db", sqlite_db.url)):
        code, out, err = recon(*args, "--specs", empty)
        assert code == 1 and out == "" and "Traceback" not in err, args
        assert f"{empty}: no specs found: no *.yaml or *.yml file in it (give --specs PATH or set RECON_SPECS)" in err, err
    (empty / "notes.yaml").write_text("# nothing here yet\n", encoding="utf-8")
    code, out, err = recon("validate", "--specs", empty, "--format", "json")
    assert code == 1 and json.loads(out)["diagnostics"] == [{
        "file": str(empty), "line": 0, "path": "", "severity": "error",
        "message": "no specs found: its YAML files hold no document (give --specs PATH or set RECON_SPECS)"}]


def test_plan_files_and_reports_are_written_owner_only(recon, catalogue_db, tmp_path):
    """They hold row values: mode 0600 whatever the umask, also over an earlier file that was world-readable."""
    import os
    import stat

    url, specs = catalogue_db
    report, plan = tmp_path / "audit.json", tmp_path / "plan.json"
    plan.write_text("old", encoding="utf-8")
    plan.chmod(0o644)
    old = os.umask(0o000)
    try:
        assert recon("audit", "--specs", specs, "--db", url, "--report", report)[0] in (0, 2)
        assert recon("plan", "--specs", specs, "--db", url, "--out", plan)[0] == 0
    finally:
        os.umask(old)
    for path in (report, plan):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert json.loads(plan.read_text(encoding="utf-8"))["format"] == "recon.plan/v1"


def test_what_a_command_would_ignore_is_refused_in_context_too(recon, catalogue_db, tmp_path):
    """history --specs without --env, apply PLANFILE --no-env, inspect --format html: each is exit 1
    naming why, not ignored. (--override-window inside an open window is taken and not recorded, on
    purpose: tests/test_gates.py.)"""
    url, specs = catalogue_db
    code, _, err = recon("history", "--db", url, "--specs", specs)
    assert code == 1 and "history reads --specs only with --env" in err
    plan = tmp_path / "p.json"
    assert recon("plan", "--specs", specs, "--db", url, "--out", plan)[0] == 0
    code, _, err = recon("apply", plan, "--db", url, "--no-env")
    assert code == 1 and "--no-env goes with planning" in err
    code, _, err = recon("inspect", "--db", url, "--out", tmp_path / "out", "--format", "html")
    assert code == 1 and "'html' is not one of" in err and not (tmp_path / "out").exists()
    code, out, _ = recon("history", "--db", url, "--format", "json")
    assert code == 0 and json.loads(out) == []  # nothing was applied by the refused commands


def test_a_fleet_plan_given_without_targets_says_so(recon, catalogue_db, tmp_path):
    url, _ = catalogue_db
    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps({"format": "recon.fleet-plan/v1", "groups": []}), encoding="utf-8")
    code, _, err = recon("apply", fleet, "--db", url)
    assert code == 1 and "is a fleet plan (recon.fleet-plan/v1): apply it with --targets FILE" in err


def test_a_password_parameter_leaves_the_rest_of_the_message(recon):
    code, _, err = recon("audit", "--db", "postgresql://postgres@127.0.0.1:9/x?password=QueryPw55")
    assert code == 1 and "QueryPw55" not in err and "password=***" in err
    assert "connection failed" in err or "Connection refused" in err, err  # why it failed is still said
