"""Environment gates: apply windows, required rollback notes, promotion from another environment."""

from __future__ import annotations

import sqlite3
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import SafetyRefusal
from engine.gates import check_window, in_window, next_opening
from engine.model import Environment, Source, Window

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


def env(**kw) -> Environment:
    return Environment("production", "PROD_URL", Source("envs.yaml", 1), **kw)


def test_windows_and_midnight_crossing():
    w = Window(("tue", "thu"), "22:00", "23:30", "UTC")
    assert in_window(w, datetime(2026, 11, 24, 22, 30, tzinfo=timezone.utc))       # Tuesday
    assert not in_window(w, datetime(2026, 11, 24, 23, 45, tzinfo=timezone.utc))
    assert not in_window(w, datetime(2026, 11, 25, 22, 30, tzinfo=timezone.utc))   # Wednesday
    night = Window(("fri",), "23:00", "01:00", "Europe/Berlin")
    assert in_window(night, datetime.fromisoformat("2026-11-28T00:30:00+01:00"))   # Saturday 00:30, Friday's window
    assert not in_window(night, datetime.fromisoformat("2026-11-29T00:30:00+01:00"))
    e = env(windows=(w,))
    with pytest.raises(SafetyRefusal, match="outside the apply window.*next window opens Thu 2026-11-26 22:00"):
        check_window(e, datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc))
    check_window(e, datetime(2026, 11, 26, 22, 5, tzinfo=timezone.utc))
    assert next_opening(e, datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)).day == 26


@pytest.fixture
def project(tmp_path, monkeypatch, capsys):
    """Specs with staging and production environments, each a SQLite file named by a variable."""
    specs = tmp_path / "specs"
    specs.mkdir()
    dbs = {}
    for name in ("staging", "production"):
        path = tmp_path / f"{name}.db"
        sqlite3.connect(path).close()
        dbs[name] = f"sqlite:///{path}"
        monkeypatch.setenv(f"{name.upper()}_URL", dbs[name])
    monkeypatch.delenv("RECON_DATABASE_URL", raising=False)

    def write(environments: str, notes: str = "rollback: {notes: Drop the table.}") -> None:
        (specs / "unit.yaml").write_text(UNIT.replace("{notes}", notes))
        (specs / "envs.yaml").write_text(textwrap.dedent(environments))

    def recon(*args):
        with pytest.raises(SystemExit) as info:
            main(list(args) + ["--specs", str(specs)])
        out, err = capsys.readouterr()
        return info.value.code, out, err

    return write, recon, dbs


ENVS = """
kind: environments
environments:
  - name: staging
    database_url_env: STAGING_URL
  - name: production
    database_url_env: PRODUCTION_URL
    {extra}
"""


def test_promote_from_requires_the_unit_applied_there_first(project):
    write, recon, _ = project
    write(ENVS.replace("{extra}", "promote_from: staging"))
    code, _, err = recon("apply", "--env", "production", "--auto-approve")
    assert code == 3 and "not yet applied in 'staging' (promote_from): U1" in err
    assert recon("apply", "--env", "staging", "--auto-approve")[0] == 0
    code, out, err = recon("apply", "--env", "production", "--auto-approve")
    assert code == 0, err
    assert "applied U1" in out


def test_rollback_notes_required(project):
    write, recon, _ = project
    write(ENVS.replace("{extra}", "require_rollback_notes: true"), notes="")
    code, _, err = recon("apply", "--env", "production", "--auto-approve")
    assert code == 3 and "requires rollback notes; missing on: U1" in err
    assert recon("apply", "--env", "staging", "--auto-approve")[0] == 0  # staging does not require them


def test_closed_window_refuses_apply(project):
    write, recon, dbs = project
    tomorrow = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.now(timezone.utc).weekday() + 1) % 7]
    write(ENVS.replace("{extra}", f'windows: [{{days: [{tomorrow}], start: "00:00", end: "00:01", timezone: UTC}}]'))
    code, _, err = recon("apply", "--env", "production", "--auto-approve")
    assert code == 3 and "outside the apply window of environment 'production'" in err
    path = Path(dbs["production"].removeprefix("sqlite:///"))
    assert "things" not in {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}


def test_an_environment_in_detect_only_cannot_be_talked_out_of_it(project, monkeypatch):
    write, recon, _ = project
    write(ENVS.replace("{extra}", "mode: detect-only"))
    code, _, err = recon("apply", "--env", "production", "--auto-approve", "--mode", "apply")
    assert code == 3 and "detect-only" in err
    monkeypatch.setenv("RECON_MODE", "apply")
    assert recon("apply", "--env", "production", "--auto-approve")[0] == 3
    assert recon("apply", "--env", "staging", "--auto-approve")[0] == 0


def test_scope_may_not_leave_out_a_dependency(project, tmp_path):
    write, recon, _ = project
    write(ENVS.replace("{extra}", ""))
    (tmp_path / "specs" / "seed-unit.yaml").write_text(
        "kind: migration\nid: S1\nscope: seed\noperations:\n"
        "  - sql: {dialect: postgres, statements: ['SELECT 1']}\n"
        "---\nkind: migration\nid: U2\nscope: schema\ndepends_on: [S1]\noperations:\n"
        "  - create_table: {table: more, columns: [{name: id, type: integer}]}\n")
    code, _, err = recon("plan", "--env", "staging", "--scope", "schema")
    assert code == 1 and "U2 depends on S1" in err
