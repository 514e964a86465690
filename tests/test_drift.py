"""Drift of applied units: plan and audit report an applied unit's effect gone from the live schema
(or back after a drop), a unit the ledger holds that no spec declares, and ``recon repair``
accepts one unit's drift in the ledger.

Run on real servers (``db``: SQLite, PostgreSQL, MariaDB); one test drives the installed
``recon`` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import sqlalchemy as sa
from support import RECON_VARIABLES, dialect_sql, plan_json, recon_bin, write

BASE = """
CREATE TABLE items (id integer NOT NULL PRIMARY KEY, name varchar(50));
CREATE TABLE legacy (id integer NOT NULL PRIMARY KEY)
"""

U1 = """
kind: migration
id: U1-items-note
scope: schema
rollback: {notes: drop it, operations: [{drop_index: {name: items_note_idx, table: items}}, {drop_column: {table: items, name: note}}]}
operations:
  - add_column: {table: items, name: note, type: text, nullable: true}
  - create_index: {name: items_note_idx, table: items, columns: [note]}
"""

U2 = """
kind: migration
id: U2-tags
scope: schema
depends_on: [U1-items-note]
rollback: {notes: drop it, operations: [{drop_table: {table: tags}}]}
operations:
  - create_table:
      table: tags
      columns:
        - {name: id, type: integer, primary_key: true, nullable: false}
        - {name: label, type: varchar(40), nullable: false, unique: true}
        - {name: item_id, type: integer, references: {table: items, column: id}}
  - add_constraint: {name: tags_label_check, table: tags, type: check, check: "label <> ''"}
"""

U3 = """
kind: migration
id: U3-drop-legacy
scope: schema
allow: [RC101]
rollback: {notes: gone for good}
operations:
  - drop_table: {table: legacy}
"""

# a column added, then renamed, then dropped again by later units: none of it is drift
U4 = """
kind: migration
id: U4-scratch
scope: schema
rollback: {notes: drop it, operations: [{drop_column: {table: items, name: scratch}}]}
operations:
  - add_column: {table: items, name: scratch, type: text, nullable: true}
  - add_column: {table: items, name: old_name, type: varchar(20), nullable: true}
  - create_index: {name: items_old_name_idx, table: items, columns: [old_name]}
"""

U5 = """
kind: migration
id: U5-undo-scratch
scope: schema
depends_on: [U4-scratch]
allow: [RC102]
rollback: {notes: cannot restore the values}
operations:
  - drop_column: {table: items, name: scratch}
  - rename_column: {table: items, name: old_name, new_name: new_name}
"""

HAND_DROPS = {  # an operator's hand work: the index and the column U1 created
    "sqlite": "DROP INDEX items_note_idx;\nALTER TABLE items DROP COLUMN note",
    "postgresql": "DROP INDEX items_note_idx;\nALTER TABLE items DROP COLUMN note",
    "mysql": "DROP INDEX items_note_idx ON items;\nALTER TABLE items DROP COLUMN note",
}

MISSING = [("U1-items-note", "effect_missing", "column", "items.note"), ("U1-items-note", "effect_missing", "index", "items_note_idx")]


def project(db, specs, *units) -> tuple:
    db.run(dialect_sql(db, BASE))
    for i, text in enumerate(units or (U1, U2, U3, U4, U5)):
        write(specs, f"{i + 1:02d}-unit", text)
    return ("--specs", specs, "--db", db.url)


def applied(recon, common) -> None:
    code, _, err = recon("apply", *common, "--auto-approve")
    assert code == 0, err


def drift_of(found: list[dict]) -> list[tuple]:
    return [(d["unit"], d["kind"], d["object_type"], d["object"]) for d in found]


def audit_json(recon, common, *extra) -> tuple[int, dict]:
    code, out, err = recon("audit", *common, "--format", "json", *extra)
    assert code in (0, 2), err
    return code, json.loads(out)


def ledger_rows(db) -> list[dict]:
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM recon_ledger ORDER BY seq"))]
    finally:
        eng.dispose()


# -- no false drift ----------------------------------------------------------------------------


def test_applied_units_leave_no_drift_even_where_a_later_unit_undoes_an_earlier_one(recon, db, specs):
    common = project(db, specs)
    applied(recon, common)
    plan = plan_json(recon, specs, db)
    assert plan["drift"] == [] and plan["warnings"] == [] and plan["units"] == []
    code, out, err = recon("plan", *common, "--strict")
    assert code == 0, err
    assert "No changes. The database matches the specs and the ledger." in out and "drift" not in out
    code, report = audit_json(recon, common, "--strict")
    assert code == 0 and report["drift"] == []


# -- effect gone -------------------------------------------------------------------------------


def test_an_index_and_a_column_dropped_by_hand_are_reported_by_plan_and_audit(recon, db, specs, tmp_path):
    common = project(db, specs)
    applied(recon, common)
    _, clean = audit_json(recon, common)
    db.run(HAND_DROPS[db.dialect])

    code, out, err = recon("plan", *common)
    assert code == 0, err
    assert "warning: drift of U1-items-note: column items.note is missing from the live schema (add_column at " in out
    assert "warning: drift of U1-items-note: index items_note_idx on items is missing from the live schema (create_index at " in out
    assert "recon repair UNIT --reason TEXT" in out
    assert "The database matches the specs" not in out and "No changes to apply; the live schema has drifted" in out
    path = tmp_path / "plan.json"
    assert recon("plan", *common, "--out", path)[0] == 0
    saved = json.loads(path.read_text())
    assert drift_of(saved["drift"]) == MISSING and saved["warnings"] == []
    assert saved["drift"][0]["source"].endswith("01-unit.yaml:6") and saved["drift"][1]["source"].endswith("01-unit.yaml:7")
    import engine

    assert [d.key for d in engine.load_plan(str(path)).drift] == ["effect_missing column items.note", "effect_missing index items_note_idx"]
    _, out, _ = recon("plan", *common, "--format", "markdown")
    assert "**Drift of applied units:**" in out and "`U1-items-note` effect_missing: index items_note_idx on items" in out

    code, _, err = recon("plan", *common, "--strict")
    assert code == 1 and "01-unit.yaml:6: U1-items-note: drift: column items.note is missing" in err
    assert "error: --strict: applied units drifted or changed, 2 findings (accept a unit's with `recon repair" in err
    assert "problems in the specs" not in err
    assert "01-unit.yaml:7: U1-items-note: drift: index items_note_idx on items is missing" in err

    code, report = audit_json(recon, common)
    assert code == 0 and report["ok"] is True and drift_of(report["drift"]) == MISSING
    assert report["stats"] == clean["stats"]  # drift costs no query of its own
    code, out, _ = recon("audit", *common)
    assert "warning: drift of U1-items-note: index items_note_idx on items is missing" in out
    code, out, _ = recon("audit", *common, "--strict")
    assert code == 2 and "column items.note is missing" in out


def test_a_unit_whose_spec_was_deleted_is_reported(recon, db, specs):
    common = project(db, specs, U1, U3)
    applied(recon, common)
    (specs / "02-unit.yaml").unlink()
    plan = plan_json(recon, specs, db)
    assert drift_of(plan["drift"]) == [("U3-drop-legacy", "unit_unknown", None, None)] and plan["warnings"] == []
    assert "no spec declares it any more" in plan["drift"][0]["detail"] and plan["drift"][0]["source"] is None
    code, out, _ = recon("plan", *common)
    assert "warning: drift of U3-drop-legacy: unit U3-drop-legacy is applied (ledger #2) but no spec declares it any more" in out
    code, _, err = recon("plan", *common, "--strict")
    assert code == 1 and "recon_ledger: U3-drop-legacy: drift: unit U3-drop-legacy is applied (ledger #2)" in err
    code, report = audit_json(recon, common, "--strict")
    assert code == 2 and drift_of(report["drift"]) == [("U3-drop-legacy", "unit_unknown", None, None)]


def test_a_dropped_table_brought_back_by_hand_is_reported(recon, db, specs):
    common = project(db, specs, U3, U4, U5)
    applied(recon, common)
    db.run("CREATE TABLE legacy (id integer NOT NULL PRIMARY KEY);\nALTER TABLE items ADD COLUMN old_name varchar(20)")
    plan = plan_json(recon, specs, db)
    assert drift_of(plan["drift"]) == [("U3-drop-legacy", "effect_reverted", "table", "legacy"),
                                       ("U5-undo-scratch", "effect_reverted", "column", "items.old_name")]
    assert plan["drift"][0]["detail"].startswith("table legacy exists again in the live schema (drop_table at ")
    assert plan["drift"][1]["detail"].startswith("column items.old_name exists again in the live schema (rename_column at ")
    code, report = audit_json(recon, common, "--strict")
    assert code == 2 and drift_of(report["drift"]) == drift_of(plan["drift"])


def test_a_table_dropped_by_hand_is_reported_once_not_column_by_column(recon, db, specs):
    common = project(db, specs, U1, U2)
    applied(recon, common)
    db.run("DROP TABLE tags")
    plan = plan_json(recon, specs, db)
    assert drift_of(plan["drift"]) == [("U2-tags", "effect_missing", "table", "tags")]


# -- repair ------------------------------------------------------------------------------------


def test_repair_accepts_the_live_state_of_one_unit_and_the_ledger_says_who_and_why(recon, db, specs, monkeypatch):
    common = project(db, specs)
    applied(recon, common)
    db.run(HAND_DROPS[db.dialect])
    before = ledger_rows(db)
    code, _, err = recon("repair", "U1-items-note", *common)
    assert code == 1 and "needs --reason TEXT" in err
    code, _, err = recon("repair", "U9-nope", *common, "--reason", "x")
    assert code == 1 and "unit U9-nope is not applied (ledger recon_ledger: never applied)" in err
    assert ledger_rows(db) == before

    monkeypatch.setenv("RECON_ACTOR", "oncall@example")
    code, out, err = recon("repair", "U1-items-note", *common, "--reason", "incident 42: the index was dropped on purpose")
    assert code == 0, err
    assert f"repaired U1-items-note (ledger #{len(before) + 1}, actor oncall@example" in out
    row = ledger_rows(db)[-1]
    import engine

    unit = next(u for u in engine.load_specs(str(specs)).units if u.id == "U1-items-note")
    assert (row["unit"], row["status"], row["actor"], row["reason"], row["checksum"], row["scope"], row["plan_id"]) == (
        "U1-items-note", "repaired", "oncall@example", "incident 42: the index was dropped on purpose", unit.checksum, "schema", None)
    assert json.loads(row["accepted"]) == ["effect_missing column items.note", "effect_missing index items_note_idx"]

    plan = plan_json(recon, specs, db, "--strict")
    assert plan["drift"] == [] and plan["units"] == []
    code, report = audit_json(recon, common, "--strict")
    assert code == 0 and report["drift"] == []
    code, out, _ = recon("history", "--db", db.url)
    assert "repaired        U1-items-note" in out and "repair: incident 42: the index was dropped on purpose (accepted: effect_missing column items.note; effect_missing index items_note_idx)" in out
    code, out, _ = recon("history", "--db", db.url, "--format", "json")
    assert json.loads(out)[-1]["accepted"] == ["effect_missing column items.note", "effect_missing index items_note_idx"]
    code, out, _ = recon("repair", "U1-items-note", *common, "--reason", "again")
    assert code == 0 and "nothing to repair" in out and len(ledger_rows(db)) == len(before) + 1

    # drifting again in a new way is reported again, and only that
    db.run("DROP TABLE tags")
    assert drift_of(plan_json(recon, specs, db)["drift"]) == [("U2-tags", "effect_missing", "table", "tags")]


def test_repair_accepts_a_changed_checksum(recon, db, specs):
    common = project(db, specs, U1)
    applied(recon, common)
    write(specs, "01-unit", U1.replace("type: text", "type: varchar(200)"))
    plan = plan_json(recon, specs, db)
    assert plan["warnings"][0].startswith("unit U1-items-note changed since it was applied")
    assert drift_of(plan["drift"]) == [("U1-items-note", "checksum_changed", None, None)]
    code, _, _ = recon("plan", *common, "--strict")
    assert code == 1
    code, out, err = recon("repair", "U1-items-note", *common, "--reason", "reworded the type; the live column is fine", "--actor", "lead")
    assert code == 0, err
    assert "repaired U1-items-note" in out and "accepted checksum_changed: unit U1-items-note changed since it was applied" in out
    import engine

    row = ledger_rows(db)[-1]
    assert (row["status"], row["actor"], row["checksum"], json.loads(row["accepted"])) == (
        "repaired", "lead", engine.load_specs(str(specs)).units[0].checksum, [])
    plan = plan_json(recon, specs, db, "--strict")
    assert plan["warnings"] == [] and plan["drift"] == []


OLD_LEDGER = """CREATE TABLE recon_ledger (seq INTEGER, unit VARCHAR(255), checksum VARCHAR(80), scope VARCHAR(16),
    status VARCHAR(16), plan_id VARCHAR(64), started_at VARCHAR(40), finished_at VARCHAR(40), actor VARCHAR(255),
    engine_version VARCHAR(40), statements INTEGER, error TEXT, CONSTRAINT recon_ledger_pkey PRIMARY KEY (seq));
INSERT INTO recon_ledger VALUES (1, 'U0-gone', 'sha256:old', 'schema', 'applied', 'p-0', '2026-11-01T10:00:00+00:00',
    '2026-11-01T10:00:01+00:00', 'someone@host', '0.1.0', 1, NULL)"""


def test_repair_upgrades_a_ledger_of_an_earlier_shape(recon, db, specs):
    common = project(db, specs, U1)
    db.run(dialect_sql(db, OLD_LEDGER))
    plan = plan_json(recon, specs, db)
    assert drift_of(plan["drift"]) == [("U0-gone", "unit_unknown", None, None)]
    code, _, err = recon("repair", "U0-gone", *common, "--reason", "retired unit", "--actor", "dba")
    assert code == 0, err
    rows = ledger_rows(db)
    assert [(r["seq"], r["unit"], r["status"], r["checksum"], r["reason"], r["accepted"]) for r in rows] == [
        (1, "U0-gone", "applied", "sha256:old", None, None),
        (2, "U0-gone", "repaired", "sha256:old", "retired unit", '["unit_unknown"]')]
    assert plan_json(recon, specs, db)["drift"] == []


LOCKER = r"""
import sys
import sqlalchemy as sa
dialect, url, key = sys.argv[1:4]
conn = sa.create_engine(url, isolation_level="AUTOCOMMIT").connect()
if dialect == "postgresql":
    conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": int(key)})
elif dialect == "mysql":
    assert conn.execute(sa.text("SELECT GET_LOCK(:k, 10)"), {"k": key}).scalar() == 1
else:
    conn.exec_driver_sql("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.close()
"""


def test_repair_takes_the_apply_lock(recon, db, specs):
    from engine.applying.executors import EXECUTORS
    from engine.target.connection import make_target

    common = project(db, specs, U1)
    applied(recon, common)
    db.run(HAND_DROPS[db.dialect])
    executor = EXECUTORS[db.dialect](make_target(db.url), None, table="recon_ledger")
    key = str(executor.lock_number()) if db.dialect == "postgresql" else executor.lock_key()
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, db.dialect, db.url, key], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, _, err = recon("repair", "U1-items-note", *common, "--reason", "x")
        assert code == 3 and "lock held" in err
    finally:
        holder.communicate("\n", timeout=10)
    assert [r["status"] for r in ledger_rows(db)] == ["applied"]
    code, _, err = recon("repair", "U1-items-note", *common, "--reason", "x", "--mode", "detect-only")
    assert code == 3 and "detect-only mode: repair writes the ledger" in err
    assert [r["status"] for r in ledger_rows(db)] == ["applied"]


installed_recon = recon_bin


def test_repair_as_the_installed_recon_process(db, specs, tmp_path):
    common = project(db, specs, U1)
    env = {**{k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}, "RECON_ACTOR": "ci-bot"}

    def run(*args):
        return subprocess.run([installed_recon(), *map(str, args)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)

    assert run("apply", *common, "--auto-approve").returncode == 0
    db.run(HAND_DROPS[db.dialect])
    strict = run("plan", *common, "--strict")
    assert strict.returncode == 1 and "drift: index items_note_idx on items is missing" in strict.stderr
    done = run("repair", "U1-items-note", *common, "--reason", "accepted by the release ticket", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["format"], result["unit"], result["actor"], result["seq"]) == ("recon.repair/v1", "U1-items-note", "ci-bot", 2)
    assert result["accepted"] == ["effect_missing column items.note", "effect_missing index items_note_idx"]
    row = ledger_rows(db)[-1]
    assert (row["status"], row["actor"], row["reason"]) == ("repaired", "ci-bot", "accepted by the release ticket")
    assert run("plan", *common, "--strict").returncode == 0
    assert run("audit", *common, "--strict").returncode == 0
