"""``--unit ID`` and ``--exclude ID`` on plan and apply: what comes along, what is refused, what the plan records.

The example specs of the repository (specs/): TER-173 (products.nameCanonical) depends on
TER-101 (products, settings); TER-100 makes the rbac tables; seed:default-settings writes
settings, rbac:core the rbac tables. Run as the installed ``recon`` on each engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from support import RECON_VARIABLES, stored_rows

ROOT = Path(__file__).resolve().parent.parent
SPECS = str(ROOT / "specs")
T173, T101, T100 = "TER-173-products-name-canonical", "TER-101-products", "TER-100-rbac-tables"


def run(*args, cwd=None) -> tuple[int, str, str]:
    """The installed ``recon`` with ``args``; no RECON_* variable of the caller leaks in."""
    recon = shutil.which("recon") or str(Path(sys.executable).parent / "recon")
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    done = subprocess.run([recon, *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False)
    return done.returncode, done.stdout, done.stderr


def ledger(db) -> list[tuple[str, str]]:
    return stored_rows(db, "SELECT unit, status FROM recon_ledger ORDER BY seq")


def test_a_selected_unit_brings_its_dependency_and_nothing_else(db, tmp_path):
    out = tmp_path / "plan.json"
    code, text, err = run("plan", "--specs", SPECS, "--db", db.url, "--no-env", "--unit", T173, "--out", out)
    assert code == 0, err
    assert f"selection: came along: {T101} ({T173} depends on it)" in text
    assert f"selection: left out: {T100} (not selected)" in text and "left out: rbac:core (not selected)" in text
    plan = json.loads(out.read_text())
    assert [u["id"] for u in plan["units"]] == [T101, T173]
    assert plan["selection"]["units"] == [T173] and plan["selection"]["added"] == [{"id": T101, "because": f"{T173} depends on it"}]
    assert {d["id"] for d in plan["selection"]["left_out"]} == {T100, "seed:default-settings", "rbac:core"}
    code, _, err = run("apply", out, "--db", db.url)
    assert code == 0, err
    assert ledger(db) == [(T101, "applied"), (T173, "applied")]
    code, text, err = run("plan", "--specs", SPECS, "--db", db.url, "--no-env", "--format", "json")
    assert code == 0, err
    assert [u["id"] for u in json.loads(text)["units"]] == [T100, "seed:default-settings", "rbac:core"]
    assert json.loads(text)["selection"] == {"units": [], "exclude": [], "applied": [], "added": [], "left_out": []}


def test_an_excluded_unit_stays_pending_through_apply(db):
    code, text, err = run("apply", "--specs", SPECS, "--db", db.url, "--no-env", "--exclude", T173, "--auto-approve")
    assert code == 0, err
    assert f"selection: left out: {T173} (excluded)" in text
    assert ledger(db) == [(T100, "applied"), (T101, "applied"), ("seed:default-settings", "applied"), ("rbac:core", "applied")]
    assert stored_rows(db, "SELECT count(*) FROM roles")[0][0] == 5  # rbac:core's rows, applied with the rest
    code, text, err = run("plan", "--specs", SPECS, "--db", db.url, "--no-env", "--format", "json")
    assert code == 0, err
    assert [u["id"] for u in json.loads(text)["units"]] == [T173]


def test_excluding_what_remaining_work_needs_is_refused_naming_both(db):
    code, out, err = run("plan", "--specs", SPECS, "--db", db.url, "--no-env", "--exclude", T101)
    assert code == 1 and out == ""
    assert f"--exclude {T101} leaves out what remaining work needs: {T173} depends on it;" in err
    assert "seed:default-settings writes settings, which it creates" in err
    code, _, err = run("plan", "--specs", SPECS, "--db", db.url, "--no-env", "--unit", T173, "--exclude", T101)
    assert code == 1 and f"{T173} depends on it" in err and "Traceback" not in err
    assert _tables(db) == set()  # plan wrote nothing, not even the ledger


def _tables(db) -> set[str]:
    from support import inspected

    return {name for _, name in inspected(db).tables}


def test_a_seed_or_rbac_spec_is_selected_by_its_ledger_name_with_the_units_that_make_its_tables(sqlite_db, tmp_path):
    code, text, err = run("plan", "--specs", SPECS, "--db", sqlite_db.url, "--no-env", "--unit", "rbac:core", "--format", "markdown")
    assert code == 0, err
    assert f"- came along: {T100} (rbac:core writes roles, which it creates)" in text
    assert "**rbac:core** (seed)" in text and f"**{T101}**" not in text and "seed:default-settings**" not in text
    code, _, err = run("apply", "--specs", SPECS, "--db", sqlite_db.url, "--no-env", "--unit", "rbac:core", "--auto-approve")
    assert code == 0, err
    assert ledger(sqlite_db) == [(T100, "applied"), ("rbac:core", "applied")]


def test_selection_errors_name_what_is_wrong(sqlite_db, tmp_path):
    base = ("plan", "--specs", SPECS, "--db", sqlite_db.url, "--no-env")
    code, _, err = run(*base, "--unit", "TER-999", "--exclude", "seed:nope")
    assert code == 1 and "unknown unit: --unit TER-999, --exclude seed:nope" in err and "rbac:core" in err
    code, _, err = run(*base, "--unit", T101, "--exclude", T101)
    assert code == 1 and f"{T101} given to both --unit and --exclude" in err
    code, _, err = run(*base, "--unit", "seed:default-settings", "--scope", "schema")
    assert code == 1 and "--unit seed:default-settings: seed work, and --scope schema" in err
    code, _, err = run(*base, "--unit", T101, "--scope", "seed")
    assert code == 1 and f"--unit {T101}: schema work, and --scope seed leaves it out" in err
    code, _, err = run(*base, "--unit", "seed:default-settings", "--skip-seeding")
    assert code == 1 and "(or --skip-seeding) leaves it out" in err
    out = tmp_path / "plan.json"
    assert run(*base, "--unit", T101, "--out", out)[0] == 0
    code, _, err = run("apply", out, "--db", sqlite_db.url, "--unit", T173)
    assert code == 1 and "carries its selection" in err
    assert "recon_ledger" not in _tables(sqlite_db)


def test_an_applied_unit_selected_again_plans_nothing_and_says_so(sqlite_db):
    assert run("apply", "--specs", SPECS, "--db", sqlite_db.url, "--no-env", "--unit", T101, "--auto-approve")[0] == 0
    assert ledger(sqlite_db) == [(T101, "applied")]
    code, text, err = run("plan", "--specs", SPECS, "--db", sqlite_db.url, "--no-env", "--unit", T101, "--detailed-exitcode")
    assert code == 0, err
    assert f"selection: already applied, nothing to plan: {T101}" in text and "No changes." in text
    assert run("apply", "--specs", SPECS, "--db", sqlite_db.url, "--no-env", "--unit", "seed:default-settings", "--auto-approve")[0] == 0
    assert ledger(sqlite_db) == [(T101, "applied"), ("seed:default-settings", "applied")]
    assert stored_rows(sqlite_db, "SELECT count(*) FROM settings")[0][0] > 0
    code, _, err = run("plan", "--specs", SPECS, "--db", sqlite_db.url, "--no-env", "--unit", "seed:default-settings", "--scope", "schema")
    assert code == 1 and "--unit seed:default-settings: seed work" in err  # a seed spec is never "applied already"


def test_the_python_api_takes_the_selection(sqlite_db):
    import engine
    from engine.planning.selection import choose

    specs = engine.load_specs(SPECS)
    plan = engine.plan(specs, sqlite_db.url, no_env=True, units=("rbac:core",), exclude=(T173,))
    assert [u.id for u in plan.units] == [T100, "rbac:core"]
    assert plan.selection.added == ((T100, "rbac:core writes roles, which it creates"),)
    assert engine.Plan.from_dict(plan.to_dict()).selection == plan.selection
    chosen = choose(specs, [], "all", units=(T173,), exclude=())
    assert [u.id for u in chosen.units] == [T101, T173] and chosen.seeds == () and chosen.rbac == ()
    chosen = choose(specs, [], "seed")
    assert chosen.units == [] and [s.name for s in chosen.seeds] == ["default-settings"] and not chosen.selection.asked
