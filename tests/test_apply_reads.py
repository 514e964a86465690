"""What apply reads of the schema: the tables its plan touches, and nothing twice.

Under the lock apply reads the tables the plan touches, those its invariants look up and the
ledger, and audits before on that: a canary of a table it did not read keeps the outcome the plan
read (``from_plan``), one of a touched table is evaluated (the same, since the digest proved the
table unchanged). After the units it reads the touched tables once more and audits after on the
lock-time state with those replaced. ``--refresh`` reads every canary's table under the lock too.
Every catalog query it sends is watched here (a listener on every SQLAlchemy engine of the
process) and its table filter read.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from support import dialect_sql, recon_bin, stored_rows, write

import engine

SCHEMA = """
CREATE TABLE orders (id INTEGER NOT NULL, total INTEGER, CONSTRAINT orders_pkey PRIMARY KEY (id));
CREATE TABLE customers (id INTEGER NOT NULL, name VARCHAR(40), CONSTRAINT customers_pkey PRIMARY KEY (id));
CREATE TABLE archive (id INTEGER NOT NULL, CONSTRAINT archive_pkey PRIMARY KEY (id))
"""


def _specs(folder, canary_table="customers"):
    write(folder, "fingerprint", f"""
        kind: fingerprint
        name: app
        checks:
          - column: orders.note
            type: text
          - column: {canary_table}.name
    """)
    _add_column_unit(folder, "M-001", "note")
    return engine.load_specs(folder)


def _add_column_unit(folder, unit_id, column):
    """Unit ``unit_id``, which adds the text column ``column`` to orders."""
    write(folder, unit_id, f"""
        kind: migration
        id: {unit_id}
        scope: schema
        description: orders get a {column}
        operations:
          - add_column: {{table: orders, name: {column}, type: text}}
        rollback:
          notes: drop the column
          operations:
            - drop_column: {{table: orders, name: {column}}}
    """)


class Catalog:
    """One catalog query of each inspection the process sends, with the tables it filters to: the
    columns query on PostgreSQL and MySQL, the index query on SQLite (which reads every table's
    columns, for the parents of foreign keys)."""

    def __init__(self):
        self.reads: list[set[str] | None] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not any(mark in statement for mark in ("format_type(a.atttypid", "information_schema.COLUMNS", "pragma_index_list")):
            return
        if isinstance(parameters, dict):  # by bind name (PostgreSQL, MySQL)
            names = parameters.get("only_tables") or [v for k, v in parameters.items() if k.startswith("only_t")] or None
        else:  # SQLite binds by position: a restricted read's values are the schema and table names
            names = list(parameters) if "IN (VALUES" in statement else None
        self.reads.append(None if names is None else set(map(str, names)))


@pytest.fixture
def catalog():
    watch = Catalog()
    event.listen(Engine, "before_cursor_execute", watch)
    yield watch
    event.remove(Engine, "before_cursor_execute", watch)


def test_apply_reads_the_touched_tables_then_the_touched_again(db, tmp_path, catalog):
    db.run(dialect_sql(db, SCHEMA))
    specs = _specs(tmp_path)
    plan = engine.plan(specs, db.url)
    catalog.reads.clear()
    report = engine.apply(plan, db.url)
    assert report.ok and report.before.fingerprint.passed == 1 and report.after.fingerprint.passed == 2
    before = {c.name: (c.status, c.from_plan) for c in report.before.fingerprint.checks}
    assert before == {"orders.note": ("fail", False), "customers.name": ("pass", True)}
    assert [(c.status, c.from_plan) for c in report.after.fingerprint.checks] == [("pass", False), ("pass", True)]
    under_lock, after_units = catalog.reads
    assert "orders" in under_lock and not under_lock & {"customers", "archive"}
    assert "orders" in after_units and not after_units & {"customers", "archive"}
    assert [r[0] for r in stored_rows(db, "SELECT unit FROM recon_ledger")] == ["M-001"]
    assert "note" in {c["name"] for c in _columns(db, "orders")}


def _columns(db, table):
    from sqlalchemy import inspect as sa_inspect

    eng = db.engine()
    try:
        return sa_inspect(eng).get_columns(table)
    finally:
        eng.dispose()


def test_refresh_reads_every_canary_table_and_audits_it_as_it_is_now(db, tmp_path, catalog):
    """Between plan and apply another session drops the column a canary of an untouched table checks:
    the plan is not stale (it does not depend on that table). By default the audit before says what the
    plan read (pass, from the plan); with ``refresh`` it reads the table and says it fails."""
    db.run(dialect_sql(db, SCHEMA))
    specs = _specs(tmp_path)
    kept, fresh = engine.plan(specs, db.url), None
    db.run("ALTER TABLE customers DROP COLUMN name")
    report = engine.apply(kept, db.url)
    assert {c.name: (c.status, c.from_plan) for c in report.before.fingerprint.checks}["customers.name"] == ("pass", True)
    db.run("ALTER TABLE orders DROP COLUMN note")  # undo the unit by hand, and plan again (a new plan id)
    db.run("DELETE FROM recon_ledger")
    fresh = engine.plan(specs, db.url)
    assert fresh.audit_outcomes[1]["status"] == "fail"
    db.run("ALTER TABLE customers ADD COLUMN name VARCHAR(40)")  # after that plan: it says fail, the table says pass
    catalog.reads.clear()
    report = engine.apply(fresh, db.url, refresh=True)
    assert {c.name: (c.status, c.from_plan) for c in report.before.fingerprint.checks} == {
        "orders.note": ("fail", False), "customers.name": ("pass", False)}
    assert "customers" in catalog.reads[0] and "customers" not in catalog.reads[1]
    assert [r.when for r in report.reads] == ["under the lock", "after the units"]


def test_an_invariant_of_an_untouched_table_no_canary_names_is_checked(db, tmp_path, catalog):
    """The read under the lock holds the tables the invariants look up: a row count of ``archive``
    (which no canary names and the plan does not touch) counts its rows, before and after."""
    db.run(dialect_sql(db, SCHEMA))
    db.run("INSERT INTO archive (id) VALUES (1)")
    db.run("INSERT INTO archive (id) VALUES (2)")
    _specs(tmp_path)
    write(tmp_path, "invariants", """
        kind: invariants
        name: data
        checks:
          - name: archived
            row_count: {table: archive}
            min: 2
    """)
    plan = engine.plan(engine.load_specs(tmp_path), db.url)
    catalog.reads.clear()
    report = engine.apply(plan, db.url)
    assert [(c.status, c.observed) for c in report.before.invariants.checks] == [("pass", 2)]
    assert [(c.status, c.observed) for c in report.after.invariants.checks] == [("pass", 2)]
    assert "archive" in catalog.reads[0] and "customers" not in catalog.reads[0]
    assert stored_rows(db, "SELECT count(*) FROM archive") == [(2,)]


def _create_table_unit(folder, table):
    """Unit M-002, which creates ``table``."""
    write(folder, "m2", f"""
        kind: migration
        id: M-002
        scope: schema
        description: create {table}
        operations:
          - create_table: {{table: {table}, columns: [{{name: id, type: integer, nullable: false}}]}}
        rollback:
          notes: drop it
          operations:
            - drop_table: {{table: {table}}}
    """)


def test_a_failing_canary_keeps_the_plan_s_words_without_a_whole_read(db, tmp_path, catalog):
    """A canary of a missing table names the nearest tables of the whole schema: the plan read them,
    and apply keeps its words (no table came or went); a canary of the table a plan creates has the
    plan's words before and is evaluated after."""
    db.run(dialect_sql(db, SCHEMA))
    plan = engine.plan(_specs(tmp_path, canary_table="customer"), db.url)  # the table is customers: did you mean it?
    catalog.reads.clear()
    report = engine.apply(plan, db.url)
    before, after = report.before.fingerprint.checks[1], report.after.fingerprint.checks[1]
    assert before.from_plan and "did you mean customers" in before.detail and after == before
    assert None not in catalog.reads and len(catalog.reads) == 2
    folder = tmp_path / "tags"
    folder.mkdir()
    write(folder, "fingerprint", """
        kind: fingerprint
        name: new
        checks:
          - table: tags
          - column: customers.name
    """)
    _create_table_unit(folder, "tags")
    plan = engine.plan(engine.load_specs(folder), db.url)
    catalog.reads.clear()
    report = engine.apply(plan, db.url)
    before, after = report.before.fingerprint.checks[0], report.after.fingerprint.checks[0]
    assert before.status == "fail" and before.from_plan  # the touched table is not there: the plan's words
    assert after.status == "pass" and not after.from_plan
    assert None not in catalog.reads and len(catalog.reads) == 2
    assert [r[0] for r in stored_rows(db, "SELECT unit FROM recon_ledger ORDER BY seq")] == ["M-001", "M-002"]


def test_the_audit_after_says_what_a_fresh_audit_says(db, tmp_path, catalog):
    """The audit after keeps the outcome (before) of each canary of a table the plan did not touch and
    evaluates the others again: every check reads as a fresh ``engine.audit`` of the database reads it,
    a passing and a failing one of an untouched table, and the one the unit fixed."""
    db.run(dialect_sql(db, SCHEMA))
    specs = _specs(tmp_path)
    write(tmp_path, "fingerprint-more", """
        kind: fingerprint
        name: more
        checks:
          - column: customers.id
          - column: archive.id
            nullable: true
          - table: orders
    """)
    specs = engine.load_specs(tmp_path)
    plan = engine.plan(specs, db.url)
    report = engine.apply(plan, db.url)
    fresh = engine.audit(specs, db.url)
    after = [{k: v for k, v in c.to_dict().items() if k != "from_plan"} for c in report.after.fingerprint.checks]
    assert after == [c.to_dict() for c in fresh.fingerprint.checks]
    assert {c.name: c.from_plan for c in report.after.fingerprint.checks} == {
        "orders.note": False, "customers.name": True, "customers.id": True, "archive.id": True, "orders": False}
    assert {c["name"]: c["status"] for c in after} == {
        "orders.note": "pass", "customers.name": "pass", "customers.id": "pass", "archive.id": "fail", "orders": "pass"}
    assert {c.name: c.status for c in report.before.fingerprint.checks} == {
        "orders.note": "fail", "customers.name": "pass", "customers.id": "pass", "archive.id": "fail", "orders": "pass"}


def _recon(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
    return subprocess.run([recon_bin(), *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


def test_the_apply_report_names_the_tables_each_read_covered(db, tmp_path):
    """``recon apply --format json`` lists its schema reads: under the lock the touched and the ledger
    table (not customers, whose canary keeps the plan's outcome, marked ``from_plan``), after the units
    the touched one alone; the stored rows agree."""
    db.run(dialect_sql(db, SCHEMA))
    _specs(tmp_path)
    made = _recon(tmp_path, "plan", "--specs", str(tmp_path), "--db", db.url, "--out", str(tmp_path / "plan.json"))
    assert made.returncode == 0 and "add_column" in made.stdout, made.stderr
    assert [o["status"] for o in json.loads((tmp_path / "plan.json").read_text())["audit_outcomes"]] == ["fail", "pass"]
    done = _recon(tmp_path, "apply", str(tmp_path / "plan.json"), "--db", db.url, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [r["when"] for r in report["reads"]] == ["under the lock", "after the units"]
    assert {name.rsplit(".", 1)[1] for name in report["reads"][0]["tables"]} == {"orders", "recon_ledger"}
    assert [name.rsplit(".", 1)[1] for name in report["reads"][1]["tables"]] == ["orders"]
    assert [c.get("from_plan", False) for c in report["before"]["fingerprint"]["checks"]] == [False, True]
    assert [r[0] for r in stored_rows(db, "SELECT unit FROM recon_ledger")] == ["M-001"]


def test_recon_apply_refresh_reads_the_canary_tables_and_says_so(db, tmp_path):
    """The installed ``recon apply --refresh`` reads the canary's table under the lock (the report's
    reads say so, and no check is ``from_plan``); without it the text output says what came from the plan."""
    db.run(dialect_sql(db, SCHEMA))
    _specs(tmp_path)
    assert _recon(tmp_path, "plan", "--specs", str(tmp_path), "--db", db.url, "--out", "plan.json").returncode == 0
    done = _recon(tmp_path, "apply", "plan.json", "--db", db.url, "--format", "json", "--refresh")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {name.rsplit(".", 1)[1] for name in report["reads"][0]["tables"]} == {"orders", "customers", "recon_ledger"}
    assert not any("from_plan" in c for c in report["before"]["fingerprint"]["checks"])
    _add_column_unit(tmp_path, "M-003", "code")
    assert _recon(tmp_path, "plan", "--specs", str(tmp_path), "--db", db.url, "--out", "plan2.json").returncode == 0
    text = _recon(tmp_path, "apply", "plan2.json", "--db", db.url)
    assert text.returncode == 0, text.stderr
    assert "audit before: 1 of 2 canaries as the plan read them" in text.stdout
    assert [r[0] for r in stored_rows(db, "SELECT unit FROM recon_ledger ORDER BY seq")] == ["M-001", "M-003"]


def test_a_whole_schema_read_is_in_the_report(db, tmp_path):
    """With ``refresh``, a canary whose table is missing has the audit before read the whole schema (it
    names the nearest tables of all of it): the report says so. The audit after keeps those words, as
    no table came or went; where the plan creates one, it reads the whole schema again."""
    db.run(dialect_sql(db, SCHEMA))
    plan = engine.plan(_specs(tmp_path, canary_table="customer"), db.url)
    report = engine.apply(plan, db.url, refresh=True)
    assert [(r.when, r.tables is None) for r in report.reads] == [
        ("under the lock", False), ("audit before", True), ("after the units", False)]
    assert "did you mean customers" in report.before.fingerprint.checks[1].detail
    assert report.after.fingerprint.checks[1] == report.before.fingerprint.checks[1]
    _create_table_unit(tmp_path, "customer_notes")
    report = engine.apply(engine.plan(engine.load_specs(tmp_path), db.url), db.url, refresh=True)
    assert [(r.when, r.tables is None) for r in report.reads] == [
        ("under the lock", False), ("audit before", True), ("after the units", False), ("audit after", True)]
    assert "customer_notes" in report.after.fingerprint.checks[1].detail


def test_the_views_say_what_the_audit_before_took_from_the_plan(db, tmp_path):
    """The markdown and HTML apply reports carry the same note as the text one."""
    from engine.report.html import apply_html
    from engine.report.markdown import apply_markdown

    db.run(dialect_sql(db, SCHEMA))
    report = engine.apply(engine.plan(_specs(tmp_path), db.url), db.url)
    note = "audit before: 1 of 2 canaries as the plan read them"
    assert note in apply_markdown(report) and note in apply_html(report)


def _resealed(plan, **changes) -> dict:
    from engine.planning.planfile import content_digest

    body = {k: v for k, v in plan.to_dict().items() if k != "plan_digest"}
    body.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del body[key]
    return {**body, "plan_digest": content_digest(body)}


def test_a_plan_without_outcomes_is_applied_as_an_earlier_recon_made_it(db, tmp_path, catalog):
    """A plan file of an earlier recon has no ``audit_outcomes``: apply reads every canary's table
    under the lock and evaluates each canary there, none ``from_plan``."""
    from engine.planning.planfile import Plan

    db.run(dialect_sql(db, SCHEMA))
    old = Plan.from_dict(_resealed(engine.plan(_specs(tmp_path), db.url), audit_outcomes=None))
    assert old.audit_outcomes == ()
    catalog.reads.clear()
    report = engine.apply(old, db.url)
    assert "customers" in catalog.reads[0]
    assert [(c.status, c.from_plan) for c in report.before.fingerprint.checks] == [("fail", False), ("pass", False)]


def test_outcomes_that_do_not_fit_the_canaries_are_a_malformed_plan(db, tmp_path):
    from engine.errors import ReportError
    from engine.planning.planfile import Plan

    db.run(dialect_sql(db, SCHEMA))
    plan = engine.plan(_specs(tmp_path), db.url)
    for bad in ([{"status": "pass", "detail": "x"}], [None, {"status": "maybe", "detail": "x"}], [None, {"status": "pass"}], "pass"):
        with pytest.raises(ReportError, match="malformed plan.*audit_outcomes"):
            Plan.from_dict(_resealed(plan, audit_outcomes=bad))


def test_a_fleet_apply_passes_refresh_to_every_target(tmp_path):
    """``recon apply FLEETPLAN --targets FILE --refresh`` reads the canary's table on each target
    (its report's reads say so, no check ``from_plan``); without it each target keeps the plan's outcome."""
    import sqlite3

    folder = tmp_path / "specs"
    folder.mkdir()
    _specs(folder)
    for run, flag in enumerate(([], ["--refresh"])):
        names = [f"t{run}{k}" for k in "ab"]
        for name in names:
            with sqlite3.connect(tmp_path / f"{name}.db") as conn:
                conn.executescript(SCHEMA)
        (tmp_path / "targets.yaml").write_text("".join(f'- {{name: {n}, url: "sqlite:///{tmp_path}/{n}.db"}}\n' for n in names))
        assert _recon(tmp_path, "plan", "--specs", str(folder), "--targets", "targets.yaml", "--out", "fleet.json").returncode == 0
        done = _recon(tmp_path, "apply", "fleet.json", "--targets", "targets.yaml", "--format", "json", *flag)
        assert done.returncode == 0, done.stderr
        for entry in json.loads(done.stdout)["targets"]:
            report = entry["report"]
            read = {name.rsplit(".", 1)[1] for name in report["reads"][0]["tables"]}
            checks = {c["name"]: c.get("from_plan", False) for c in report["before"]["fingerprint"]["checks"]}
            assert (read, checks) == (({"orders", "customers", "recon_ledger"}, {"orders.note": False, "customers.name": False}) if flag
                                      else ({"orders", "recon_ledger"}, {"orders.note": False, "customers.name": True}))
        for name in names:
            with sqlite3.connect(tmp_path / f"{name}.db") as conn:
                assert [r[0] for r in conn.execute("SELECT unit FROM recon_ledger")] == ["M-001"]
