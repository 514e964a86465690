"""The plan file is the whole input of apply: its audits, its target's identity, its staleness,
a ledger of any earlier shape; and what ``compare`` calls a regression.

Run on real servers (``db``: SQLite, PostgreSQL, MariaDB) where a database is involved; the
working-directory test drives the installed ``recon`` process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import sqlalchemy as sa
from support import (
    RECON_VARIABLES,
    dialect_sql,
    inspected,
    ledger_rows,
    recon_bin,
    stored_rows,
    write,
)

import engine

BASE = 'CREATE TABLE items (id integer NOT NULL PRIMARY KEY, name varchar(50))'
FINGERPRINT = "kind: fingerprint\nname: startup\nchecks:\n  - column: items.note\n"
UNIT = ("kind: migration\nid: U1\nscope: schema\nrollback: {notes: drop it, operations: [{drop_column: {table: items, name: note}}]}\n"
        "operations:\n  - add_column: {table: items, name: note, type: text, nullable: true}\n")
ENVS = "kind: environments\nenvironments:\n  - name: staging\n    database_url_env: RECON_T_STAGING_URL\n"


installed_recon = recon_bin


def run(*args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    return subprocess.run([installed_recon(), *map(str, args)], cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_a_saved_plan_applies_from_any_folder_without_reading_a_spec_folder(db, tmp_path):
    db.run(dialect_sql(db, BASE))
    specs = tmp_path / "ci" / "specs"
    specs.mkdir(parents=True)
    for name, text in (("fp", FINGERPRINT), ("unit", UNIT), ("envs", ENVS)):
        write(specs, name, text)
    env = {"RECON_T_STAGING_URL": db.url}
    made = run("plan", "--specs", specs, "--env", "staging", "--out", tmp_path / "plan.json", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    assert "Apply exactly this plan with: recon apply" in made.stdout and "--env staging  (the URL from $RECON_T_STAGING_URL)" in made.stdout
    elsewhere = tmp_path / "deploy"
    (elsewhere / "specs").mkdir(parents=True)  # another spec set: another environment variable, other canaries
    write(elsewhere / "specs", "envs", "kind: environments\nenvironments:\n  - name: staging\n    database_url_env: UNSET_VARIABLE\n")
    write(elsewhere / "specs", "fp", "kind: fingerprint\nname: other\nchecks:\n  - table: a\n  - table: b\n  - table: c\n")
    refused = run("apply", tmp_path / "plan.json", "--specs", elsewhere / "specs", cwd=elsewhere, env=env)
    assert refused.returncode == 1 and "carries its specs" in refused.stderr
    done = run("apply", tmp_path / "plan.json", "--env", "staging", cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "applied U1" in done.stdout and "fingerprint 0/1 -> 1/1" in done.stdout  # the plan's canary, not the folder's
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert [c["name"] for c in plan["audit"]["canaries"]] == ["items.note"]
    assert plan["environment"]["environment"] == "staging" and plan["environment"]["database_url_env"] == "RECON_T_STAGING_URL"


def test_the_python_api_audits_from_the_plan(db, specs):
    db.run(dialect_sql(db, BASE))
    write(specs, "fp", FINGERPRINT)
    write(specs, "unit", UNIT)
    plan = engine.plan(engine.load_specs(str(specs)), db.url)
    report = engine.apply(plan, db.url)
    assert (report.before.fingerprint.passed, report.after.fingerprint.passed) == (0, 1)
    state = inspected(db)
    assert [c.name for c in state.tables[(state.default_schema, "items")].columns] == ["id", "name", "note"]
    assert ledger_rows(db) == [("U1", "applied", 1)]


def test_a_stale_plan_names_what_changed(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, BASE))
    write(specs, "unit", UNIT)
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    db.run(dialect_sql(db, "ALTER TABLE items ADD COLUMN other integer"))
    code, _, err = recon("apply", path, "--db", db.url)
    schema = {"sqlite": "main", "postgresql": "public", "mysql": db.url.rsplit("/", 1)[-1]}[db.dialect]
    assert code == 3 and "plan is stale: the database changed since plan" in err and f"table {schema}.items changed" in err
    assert "the ledger" not in err


def test_a_plan_applies_where_the_server_is_the_same_whatever_the_url_says(recon, postgres_db, specs, tmp_path):
    postgres_db.run(BASE)
    write(specs, "unit", UNIT)
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", postgres_db.url, "--out", path)[0] == 0
    assert json.loads(path.read_text())["target_id"].startswith("postgresql:system=")
    other = postgres_db.url.replace("127.0.0.1", "localhost")
    assert other != postgres_db.url
    code, out, err = recon("apply", path, "--db", other)
    assert code == 0, err
    assert stored_rows(postgres_db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position") \
        == [("id",), ("name",), ("note",)]
    assert ledger_rows(postgres_db) == [("U1", "applied", 1)]


def test_a_database_recreated_under_the_same_name_is_another_target(recon, postgres_db, specs, tmp_path):
    postgres_db.run(BASE)
    write(specs, "unit", UNIT)
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", postgres_db.url, "--out", path)[0] == 0
    name = sa.engine.make_url(postgres_db.url).database
    admin = sa.create_engine(postgres_db.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    postgres_db.run(BASE)
    code, _, err = recon("apply", path, "--db", postgres_db.url)
    assert code == 3 and "is another database" in err and "make a plan for this target" in err
    assert stored_rows(postgres_db, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                                    "ORDER BY table_name, ordinal_position") == [("items", "id"), ("items", "name")]  # no note, no ledger


def test_mariadb_names_another_schema_another_target(recon, mysql_db, specs, tmp_path):
    mysql_db.run(BASE)
    write(specs, "unit", UNIT)
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", mysql_db.url, "--out", path)[0] == 0
    assert json.loads(path.read_text())["target_id"].startswith("mariadb:host=")
    name = f"recon_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(mysql_db.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}`")
    try:
        other = mysql_db.url.rsplit("/", 1)[0] + "/" + name
        sa_engine = sa.create_engine(other, poolclass=sa.pool.NullPool)
        with sa_engine.begin() as conn:
            conn.exec_driver_sql(BASE)
        sa_engine.dispose()
        code, _, err = recon("apply", path, "--db", other)
        assert code == 3 and "is another database" in err
        for schema in (name, sa.engine.make_url(mysql_db.url).database):  # neither database was written
            assert stored_rows(mysql_db, "SELECT table_name, column_name FROM information_schema.columns "
                                         f"WHERE table_schema = '{schema}' ORDER BY table_name, ordinal_position") == [
                ("items", "id"), ("items", "name")], schema
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE `{name}`")
        admin.dispose()


def test_a_sqlite_file_is_identified_by_itself_not_by_its_path(recon, sqlite_db, specs, tmp_path):
    sqlite_db.run(BASE)
    write(specs, "unit", UNIT)
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", sqlite_db.url, "--out", path)[0] == 0
    file = Path(sqlite_db.url.removeprefix("sqlite:///"))
    replacement = tmp_path / "replacement.db"
    with sqlite3.connect(replacement) as conn:
        conn.execute(BASE)
    kept = tmp_path / "kept.db"
    file.rename(kept)
    replacement.rename(file)  # another database at the same path
    code, _, err = recon("apply", path, "--db", sqlite_db.url)
    assert code == 3 and "is another database" in err
    assert stored_rows(sqlite_db, "SELECT name FROM pragma_table_info('items')") == [("id",), ("name",)]  # the other file untouched
    file.rename(replacement)
    kept.rename(file)
    link = tmp_path / "link.db"
    link.symlink_to(file)
    code, _, err = recon("apply", path, "--db", f"sqlite:///{link}")  # the same file by another name
    assert code == 0, err
    assert stored_rows(sqlite_db, "SELECT name FROM pragma_table_info('items')") == [("id",), ("name",), ("note",)]
    assert ledger_rows(sqlite_db) == [("U1", "applied", 1)]


# -- a ledger of an earlier shape ---------------------------------------------------------------

OLD_LEDGER = """CREATE TABLE recon_ledger (seq INTEGER, unit VARCHAR(255), checksum VARCHAR(80), scope VARCHAR(16),
    status VARCHAR(16), plan_id VARCHAR(64), started_at VARCHAR(40), finished_at VARCHAR(40), actor VARCHAR(255),
    engine_version VARCHAR(40), statements INTEGER, error TEXT, CONSTRAINT recon_ledger_pkey PRIMARY KEY (seq));
INSERT INTO recon_ledger VALUES (1, 'U0', 'sha256:old', 'schema', 'applied', 'p-0', '2026-11-01T10:00:00+00:00',
    '2026-11-01T10:00:01+00:00', 'someone@host', '0.1.0', 1, NULL)"""


def ledger_columns(db) -> list[str]:
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            return [c["name"] for c in sa.inspect(conn).get_columns("recon_ledger")]
    finally:
        eng.dispose()


def test_a_ledger_of_todays_release_is_read_as_it_is_then_extended_by_apply(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, BASE + ";\n" + OLD_LEDGER))
    write(specs, "fp", FINGERPRINT)
    write(specs, "unit", UNIT)
    before = ledger_columns(db)
    assert "override" not in before
    code, out, err = recon("history", "--db", db.url, "--format", "json")
    assert code == 0, err
    assert [(r["unit"], r["status"], r["override"], r["reason"]) for r in json.loads(out)] == [("U0", "applied", None, None)]
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    assert recon("audit", "--specs", specs, "--db", db.url)[0] == 0
    assert ledger_columns(db) == before  # plan, history and audit write nothing
    code, _, err = recon("apply", path, "--db", db.url, "--actor", "deploy-job")
    assert code == 0, err
    assert ledger_columns(db) == before + ["override", "reason", "accepted", "approvers"]
    code, out, _ = recon("history", "--db", db.url, "--format", "json")
    assert [(r["seq"], r["unit"], r["actor"]) for r in json.loads(out)] == [(1, "U0", "someone@host"), (2, "U1", "deploy-job")]


# -- compare: what is a regression --------------------------------------------------------------


def report(path: Path, fingerprint: dict[str, str], invariants: dict[str, str] | None = None) -> Path:
    checks = lambda found: [{"name": n, "kind": "column", "object": n, "status": s, "detail": "", "suggestion": None} for n, s in found.items()]  # noqa: E731
    body = {"format": "recon.audit/v1", "generated_at": "2026-12-01T10:00:00+00:00", "target": {}, "specs_digest": "",
            "ok": False, "fingerprint": {"passed": sum(s == "pass" for s in fingerprint.values()), "total": len(fingerprint), "checks": checks(fingerprint)},
            "invariants": {"passed": sum(s == "pass" for s in (invariants or {}).values()), "total": len(invariants or {}),
                           "checks": [{"name": n, "status": s} for n, s in (invariants or {}).items()]}}
    path.write_text(json.dumps(body))
    return path


SIX = {f"check{i}": "pass" for i in range(6)}


def test_compare_sees_the_incident_in_both_directions(recon, tmp_path):
    before = report(tmp_path / "before.json", {**SIX, "products.product_name": "fail"})   # 6/7, the detector was wrong
    after = report(tmp_path / "after.json", {**SIX, "products.nameCanonical": "pass"})   # 7/7, the check renamed
    code, out, _ = recon("compare", before, after)
    assert code == 0
    assert "products.product_name: fail -> absent  (resolved or removed)" in out and "products.nameCanonical: absent -> pass  (added)" in out
    assert out.rstrip().endswith("regressions: 0")
    code, out, _ = recon("compare", after, before)  # what the rollback step would see after a bad deploy
    assert code == 2
    assert "products.product_name: absent -> fail  (regression)" in out and "products.nameCanonical: pass -> absent  (removed)" in out
    assert "regressions: 1 (products.product_name)" in out
    code, out, _ = recon("compare", after, before, "--format", "json")
    data = json.loads(out)
    assert data["regressions"] == 1
    assert {c["name"]: c["kind"] for c in data["changes"]} == {"products.nameCanonical": "removed", "products.product_name": "regression"}


def test_an_invariant_that_went_from_pass_to_fail_is_a_regression(recon, tmp_path):
    before = report(tmp_path / "b.json", SIX, {"required-roles": "pass", "no-orphan-grants": "fail"})
    after = report(tmp_path / "a.json", SIX, {"required-roles": "fail", "no-orphan-grants": "pass"})
    code, out, _ = recon("compare", before, after)
    assert code == 2
    assert "invariants: required-roles: pass -> fail  (regression)" in out and "no-orphan-grants: fail -> pass  (fixed)" in out
    assert "regressions: 1 (required-roles)" in out


def test_a_plan_file_carries_each_canary_as_asdict_would():
    """``canary_dict`` (the plan file's form of a canary) is ``dataclasses.asdict``, key for key, for
    every canary of the example specs and one with every field set."""
    from dataclasses import asdict

    from engine.auditing.auditset import canary_dict
    from engine.spec.model import Canary, ObjectRef, Source

    specs = engine.load_specs(Path(__file__).resolve().parent.parent / "specs")
    canaries = [c for f in specs.fingerprints for c in f.checks]
    canaries.append(Canary("fk", "constraint", "orders_customer_fkey", "app", Source("f.yaml", 3), ObjectRef("s", "orders"),
                           "integer", False, ("customer_id",), True, "foreign_key", ObjectRef(None, "customers"), "why"))
    canaries.append(Canary("ix", "index", "orders_total_idx", "app", Source("f.yaml", 4), None, columns=("total",), unique=False))
    assert {c.kind for c in canaries} == {"table", "column", "index", "constraint"}
    for canary in canaries:
        assert canary_dict(canary) == asdict(canary) and list(canary_dict(canary)) == list(asdict(canary))
