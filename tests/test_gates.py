"""Environment gates carried by the plan: windows, rollback notes, promotion, expiry, overrides.

The clock the gates read is fixed (``engine.planning.gates.clock``), never today's weekday. Each
environment is a SQLite file named by a variable; plans are saved and applied as a deploy
job would, with the URL given by ``--db`` as well as by the plan's environment.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from datetime import datetime, timedelta, timezone

import pytest

from engine.cli import main
from engine.errors import SafetyRefusal
from engine.planning.gates import Gates, check_window, in_window, next_opening
from engine.spec.model import Environment, Source, Window

UNIT = """
kind: migration
id: U1
scope: schema
{notes}
operations:
  - create_table:
      table: things
      columns: [{name: id, type: integer, primary_key: true}]
"""

ENVS = """
kind: environments
environments:
  - name: staging
    database_url_env: STAGING_URL
  - name: production
    database_url_env: PRODUCTION_URL
    {extra}
"""

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
THURSDAY_22_05 = datetime(2026, 11, 26, 22, 5, tzinfo=timezone.utc)
WINDOW = 'windows: [{days: [tue, thu], start: "22:00", end: "23:30", timezone: UTC}]'


def gates(**kw) -> Gates:
    return Gates.of(Environment("production", "PROD_URL", Source("envs.yaml", 1), **kw))


def test_windows_and_midnight_crossing():
    w = Window(("tue", "thu"), "22:00", "23:30", "UTC")
    assert in_window(w, datetime(2026, 11, 24, 22, 30, tzinfo=timezone.utc))       # Tuesday
    assert not in_window(w, datetime(2026, 11, 24, 23, 45, tzinfo=timezone.utc))
    assert not in_window(w, datetime(2026, 11, 25, 22, 30, tzinfo=timezone.utc))   # Wednesday
    night = Window(("fri",), "23:00", "01:00", "Europe/Berlin")
    assert in_window(night, datetime.fromisoformat("2026-11-28T00:30:00+01:00"))   # Saturday 00:30, Friday's window
    assert not in_window(night, datetime.fromisoformat("2026-11-29T00:30:00+01:00"))
    g = gates(windows=(w,))
    with pytest.raises(SafetyRefusal, match="window gate.*next window opens Thu 2026-11-26 22:00 UTC.*--override-window"):
        check_window(g, WEDNESDAY_NOON)
    check_window(g, THURSDAY_22_05)
    assert next_opening(g, WEDNESDAY_NOON).day == 26


def test_window_messages_speak_in_the_windows_time_zone():
    g = gates(windows=(Window(("mon",), "09:00", "10:00", "Europe/Berlin"),))
    with pytest.raises(SafetyRefusal) as refused:
        check_window(g, WEDNESDAY_NOON)
    assert "it is now Wed 13:00 Europe/Berlin" in str(refused.value)
    assert "the next window opens Mon 2026-11-30 09:00 Europe/Berlin" in str(refused.value)


@pytest.fixture
def project(tmp_path, monkeypatch, capsys):
    """Specs with staging and production, each a SQLite file named by a variable; a fixed clock."""
    specs = tmp_path / "specs"
    specs.mkdir()
    dbs = {}
    for name in ("staging", "production"):
        path = tmp_path / f"{name}.db"
        sqlite3.connect(path).close()
        dbs[name] = f"sqlite:///{path}"
        monkeypatch.setenv(f"{name.upper()}_URL", dbs[name])
    clock = {"now": WEDNESDAY_NOON}
    monkeypatch.setattr("engine.planning.gates.clock", lambda: clock["now"])

    def write(environments: str, notes: str = "rollback: {notes: Drop the table.}") -> None:
        (specs / "unit.yaml").write_text(UNIT.replace("{notes}", notes))
        (specs / "envs.yaml").write_text(textwrap.dedent(environments))

    def recon(*args):
        """The CLI in-process; ``--specs`` is added except for ``apply PLANFILE`` (a plan carries its specs) and
        ``history`` without ``--env`` (which reads none, and refuses it)."""
        with_specs = not (args[0] == "apply" and len(args) > 1 and str(args[1]).endswith(".json")) and not (
            args[0] == "history" and "--env" not in args)
        with pytest.raises(SystemExit) as info:
            main([str(a) for a in args] + (["--specs", str(specs)] if with_specs else []))
        out, err = capsys.readouterr()
        return info.value.code, out, err

    def tables(name: str) -> set[str]:
        with sqlite3.connect(dbs[name].removeprefix("sqlite:///")) as conn:
            return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def ledger(name: str) -> list[tuple]:
        with sqlite3.connect(dbs[name].removeprefix("sqlite:///")) as conn:
            return conn.execute("SELECT unit, status, actor, override, reason FROM recon_ledger ORDER BY seq").fetchall()

    return write, recon, dbs, tables, ledger, clock, tmp_path


def test_plan_needs_an_environment_or_no_env_where_the_specs_declare_them(project):
    write, recon, dbs, tables, _, _, tmp = project
    write(ENVS.replace("{extra}", ""))
    code, _, err = recon("plan", "--db", dbs["staging"])
    assert code == 1 and "the specs declare environments (staging, production): plan for one with --env NAME" in err
    code, out, err = recon("plan", "--db", dbs["staging"], "--no-env", "--out", tmp / "p.json")
    assert code == 0, err
    assert "This plan is outside every environment (--no-env): apply checks no environment gate." in out
    assert json.loads((tmp / "p.json").read_text())["environment"]["no_env"] is True
    code, _, err = recon("plan", "--env", "staging", "--no-env")
    assert code == 1 and "--env and --no-env exclude each other" in err


def test_promote_from_requires_the_unit_applied_there_first_with_the_same_checksum(project, monkeypatch):
    write, recon, dbs, tables, ledger, _, tmp = project
    write(ENVS.replace("{extra}", "promote_from: staging"))
    code, out, _ = recon("plan", "--env", "production", "--out", tmp / "prod.json")
    assert "promote_from staging: not yet applied there: U1 (not applied there)" in out
    code, _, err = recon("apply", tmp / "prod.json")
    assert code == 3 and "promote_from gate of environment 'production': not yet applied in 'staging': U1 (not applied there)" in err
    assert recon("apply", "--env", "staging", "--auto-approve")[0] == 0
    (tmp / "specs" / "unit.yaml").write_text(UNIT.replace("{notes}", "").replace("primary_key: true", "primary_key: true}, {name: x, type: text"))
    code, _, err = recon("apply", "--env", "production", "--auto-approve")
    assert code == 3 and "U1 (applied there with another checksum" in err
    assert tables("production") == set()  # each refusal came before anything was written
    (tmp / "specs" / "unit.yaml").write_text(UNIT.replace("{notes}", "rollback: {notes: Drop the table.}"))
    code, out, err = recon("apply", "--env", "production", "--auto-approve")
    assert code == 0, err
    assert "applied U1" in out and "things" in tables("production")
    assert [r[:2] for r in ledger("production")] == [("U1", "applied")]
    monkeypatch.delenv("STAGING_URL")
    code, out, _ = recon("plan", "--env", "production")
    assert code == 0  # nothing left to promote: the plan is empty


def test_promotion_is_not_checked_where_its_url_is_not_set(project, monkeypatch):
    write, recon, dbs, tables, _, _, tmp = project
    write(ENVS.replace("{extra}", "promote_from: staging"))
    monkeypatch.delenv("STAGING_URL")
    code, out, err = recon("plan", "--env", "production", "--out", tmp / "prod.json")
    assert code == 0, err
    assert "promote_from staging: not checked: $STAGING_URL is not set" in out
    code, _, err = recon("apply", tmp / "prod.json")
    assert code == 3 and "whose $STAGING_URL is not set: cannot check what was applied there" in err
    assert tables("production") == set() and tables("staging") == set()


def test_rollback_notes_required(project):
    write, recon, dbs, tables, ledger, _, tmp = project
    write(ENVS.replace("{extra}", "require_rollback_notes: true"), notes="")
    code, out, _ = recon("plan", "--env", "production", "--out", tmp / "prod.json")
    assert "rollback notes: missing on U1" in out
    code, _, err = recon("apply", "--env", "production", "--auto-approve")
    assert code == 3 and "require_rollback_notes gate of environment 'production': missing on: U1" in err
    assert tables("production") == set()
    assert recon("apply", "--env", "staging", "--auto-approve")[0] == 0  # staging does not require them
    assert tables("staging") == {"things", "recon_ledger"} and [r[:2] for r in ledger("staging")] == [("U1", "applied")]


def test_a_closed_window_refuses_and_an_override_with_a_reason_is_recorded(project, monkeypatch):
    write, recon, dbs, tables, ledger, clock, tmp = project
    write(ENVS.replace("{extra}", WINDOW))
    code, out, err = recon("plan", "--env", "production", "--out", tmp / "prod.json")
    assert code == 0, err
    assert "Gates apply checks, environment production (URL from $PRODUCTION_URL):" in out
    assert "window: closed (tue,thu 22:00-23:30 UTC); it is now Wed 12:00 UTC; the next window opens Thu 2026-11-26 22:00 UTC" in out
    assert "Apply exactly this plan with: recon apply" in out and "prod.json --env production" in out
    code, out, _ = recon("plan", "--env", "production", "--format", "markdown")
    assert "**Gates apply checks**, environment production (URL from $PRODUCTION_URL):" in out
    assert "- window: closed (tue,thu 22:00-23:30 UTC)" in out
    code, _, err = recon("apply", tmp / "prod.json")
    assert code == 3 and "window gate of environment 'production': outside the apply window" in err
    assert "things" not in tables("production")
    code, _, err = recon("apply", tmp / "prod.json", "--override-window")
    assert code == 1 and "--override-window needs --reason TEXT" in err
    monkeypatch.setenv("RECON_ACTOR", "ci-bot (approved by ops)")
    code, out, err = recon("apply", tmp / "prod.json", "--override-window", "--reason", "incident 42: hotfix")
    assert code == 0, err
    assert ledger("production") == [("U1", "applied", "ci-bot (approved by ops)", "window", "incident 42: hotfix")]
    code, out, _ = recon("history", "--db", dbs["production"])
    assert "override: window (incident 42: hotfix)" in out and "ci-bot (approved by ops)" in out


def test_inside_the_window_no_override_is_recorded(project):
    write, recon, dbs, tables, ledger, clock, tmp = project
    write(ENVS.replace("{extra}", WINDOW))
    clock["now"] = THURSDAY_22_05
    assert recon("plan", "--env", "production", "--out", tmp / "prod.json")[0] == 0
    code, _, err = recon("apply", tmp / "prod.json", "--override-window", "--reason", "not needed", "--actor", "alice")
    assert code == 0, err  # inside the window the override is not needed: taken, and not recorded
    assert ledger("production") == [("U1", "applied", "alice", None, None)]
    assert "things" in tables("production")


def test_every_gate_holds_when_the_url_is_given_with_db(project, monkeypatch):
    write, recon, dbs, tables, _, _, tmp = project
    for extra, gate in ((WINDOW, "window gate"), ("require_rollback_notes: true", "require_rollback_notes gate"),
                        ("promote_from: staging", "promote_from gate"), ("mode: detect-only", "detect-only")):
        write(ENVS.replace("{extra}", extra), notes="" if "notes" in extra else "rollback: {notes: Drop the table.}")
        assert recon("plan", "--env", "production", "--out", tmp / "prod.json")[0] == 0
        monkeypatch.delenv("PRODUCTION_URL")  # the deploy job has the URL only as --db
        code, _, err = recon("apply", tmp / "prod.json", "--db", dbs["production"])
        monkeypatch.setenv("PRODUCTION_URL", dbs["production"])
        assert code == 3 and gate in err, (extra, err)
    assert "things" not in tables("production")


def test_a_plan_for_one_environment_is_refused_in_another(project):
    write, recon, dbs, tables, _, _, tmp = project
    write(ENVS.replace("{extra}", ""))
    assert recon("plan", "--env", "staging", "--out", tmp / "staging.json")[0] == 0
    code, _, err = recon("apply", tmp / "staging.json", "--env", "production")
    assert code == 3 and "was made for environment 'staging', not for 'production'" in err and "--env production" in err
    assert recon("plan", "--no-env", "--db", dbs["staging"], "--out", tmp / "none.json")[0] == 0
    code, _, err = recon("apply", tmp / "none.json", "--env", "staging")
    assert code == 3 and "was made outside every environment, not for 'staging'" in err
    assert "things" not in tables("staging")
    code, _, err = recon("apply", tmp / "staging.json")  # the URL from the plan's environment, $STAGING_URL
    assert code == 0, err
    assert "things" in tables("staging")


def test_a_plan_older_than_its_environments_plan_max_age_is_refused(project):
    write, recon, dbs, tables, _, clock, tmp = project
    write(ENVS.replace("{extra}", "plan_max_age: 2h"))
    assert recon("plan", "--env", "production", "--out", tmp / "prod.json")[0] == 0
    made = datetime.fromisoformat(json.loads((tmp / "prod.json").read_text())["created_at"])
    assert made == WEDNESDAY_NOON  # plans are dated by the same clock
    clock["now"] = made + timedelta(hours=2, minutes=1)
    code, _, err = recon("apply", tmp / "prod.json")
    assert code == 3 and "plan_max_age gate of environment 'production'" in err and "(plan_max_age 2h); make a new plan" in err
    assert "things" not in tables("production")
    clock["now"] = made + timedelta(hours=1, minutes=59)
    code, _, err = recon("apply", tmp / "prod.json")
    assert code == 0, err


def test_the_default_plan_max_age_is_a_day_and_plans_outside_environments_do_not_expire(project):
    write, recon, dbs, tables, ledger, clock, tmp = project
    write(ENVS.replace("{extra}", ""))
    assert recon("plan", "--env", "staging", "--out", tmp / "staging.json")[0] == 0
    assert recon("plan", "--no-env", "--db", dbs["production"], "--out", tmp / "none.json")[0] == 0
    made = datetime.fromisoformat(json.loads((tmp / "staging.json").read_text())["created_at"])
    clock["now"] = made + timedelta(hours=24, minutes=1)
    code, _, err = recon("apply", tmp / "staging.json")
    assert code == 3 and "(plan_max_age 24h)" in err
    assert tables("staging") == set()
    clock["now"] = made + timedelta(days=30)
    code, _, err = recon("apply", tmp / "none.json", "--db", dbs["production"])
    assert code == 0, err
    assert tables("production") == {"things", "recon_ledger"} and [r[:2] for r in ledger("production")] == [("U1", "applied")]


def test_scope_may_not_leave_out_a_dependency(project):
    write, recon, _, _, _, _, tmp = project
    write(ENVS.replace("{extra}", ""))
    (tmp / "specs" / "seed-unit.yaml").write_text(
        "kind: migration\nid: S1\nscope: seed\noperations:\n"
        "  - sql: {dialect: postgres, statements: ['SELECT 1']}\n"
        "---\nkind: migration\nid: U2\nscope: schema\ndepends_on: [S1]\noperations:\n"
        "  - create_table: {table: more, columns: [{name: id, type: integer}]}\n")
    code, _, err = recon("plan", "--env", "staging", "--scope", "schema")
    assert code == 1 and "U2 depends on S1" in err


def test_a_detect_only_plan_says_it_is_for_review_only(project):
    write, recon, _, _, _, _, tmp = project
    write(ENVS.replace("{extra}", "mode: detect-only"))
    code, out, _ = recon("plan", "--env", "production", "--out", tmp / "prod.json")
    assert "mode: detect-only: this plan is for review only; apply refuses it" in out
    assert "It was made in detect-only mode: it is for review only, and apply refuses it." in out
