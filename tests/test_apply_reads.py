"""What apply reads of the schema: the tables its plan touches, and nothing twice.

Under the lock apply reads the tables the plan touches, those its canaries name and the
ledger, and audits before on that; after the units it reads the touched tables once more and
audits after on the lock-time state with those replaced. Every catalog query it sends is
watched here (a listener on every SQLAlchemy engine of the process) and its table filter read.
A failing canary is the exception: it names what is near it in the whole schema, so that
audit reads everything, as ``recon audit`` does.
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
    write(folder, "m1", """
        kind: migration
        id: M-001
        scope: schema
        description: orders get a note
        operations:
          - add_column: {table: orders, name: note, type: text}
        rollback:
          notes: drop the column
          operations:
            - drop_column: {table: orders, name: note}
    """)
    return engine.load_specs(folder)


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


def test_apply_reads_the_touched_and_named_tables_then_the_touched_again(db, tmp_path, catalog):
    db.run(dialect_sql(db, SCHEMA))
    specs = _specs(tmp_path)
    plan = engine.plan(specs, db.url)
    catalog.reads.clear()
    report = engine.apply(plan, db.url)
    assert report.ok and report.before.fingerprint.passed == 1 and report.after.fingerprint.passed == 2
    assert [c.status for c in report.after.fingerprint.checks] == ["pass", "pass"]
    under_lock, after_units = catalog.reads
    assert {"orders", "customers"} <= under_lock and "archive" not in under_lock
    assert "orders" in after_units and not after_units & {"customers", "archive"}
    names = [r[0] for r in stored_rows(db, "SELECT unit FROM recon_ledger")]
    assert names == ["M-001"]


def test_a_failing_canary_is_audited_on_the_whole_schema(db, tmp_path, catalog):
    db.run(dialect_sql(db, SCHEMA))
    specs = _specs(tmp_path, canary_table="customer")  # the table is customers: did you mean it?
    plan = engine.plan(specs, db.url)
    catalog.reads.clear()
    report = engine.apply(plan, db.url)
    failing = [c for c in report.before.fingerprint.checks if c.status == "fail"]
    assert [c.name for c in failing] == ["orders.note", "customer.name"]
    assert "did you mean customers" in failing[1].detail
    after = {c.name: c for c in report.after.fingerprint.checks}
    assert after["orders.note"].status == "pass" and "did you mean customers" in after["customer.name"].detail
    assert None in catalog.reads  # a whole read, for the failing checks' neighbours


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
    after = [c.to_dict() for c in report.after.fingerprint.checks]
    assert after == [c.to_dict() for c in fresh.fingerprint.checks]
    assert {c["name"]: c["status"] for c in after} == {
        "orders.note": "pass", "customers.name": "pass", "customers.id": "pass", "archive.id": "fail", "orders": "pass"}
    assert {c.name: c.status for c in report.before.fingerprint.checks} == {
        "orders.note": "fail", "customers.name": "pass", "customers.id": "pass", "archive.id": "fail", "orders": "pass"}


def test_the_apply_report_names_the_tables_each_read_covered(db, tmp_path):
    """``recon apply --format json`` lists its schema reads: under the lock the touched, the named
    and the ledger table (not archive), after the units the touched one alone; the stored rows agree."""
    db.run(dialect_sql(db, SCHEMA))
    _specs(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
    made = subprocess.run([recon_bin(), "plan", "--specs", str(tmp_path), "--db", db.url, "--out", str(tmp_path / "plan.json")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert made.returncode == 0 and "add_column" in made.stdout, made.stderr
    done = subprocess.run([recon_bin(), "apply", str(tmp_path / "plan.json"), "--db", db.url, "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    reads = json.loads(done.stdout)["reads"]
    assert [r["when"] for r in reads] == ["under the lock", "after the units"]
    under_lock = {name.rsplit(".", 1)[1] for name in reads[0]["tables"]}
    assert under_lock == {"orders", "customers", "recon_ledger"}
    assert [name.rsplit(".", 1)[1] for name in reads[1]["tables"]] == ["orders"]
    assert [r[0] for r in stored_rows(db, "SELECT unit FROM recon_ledger")] == ["M-001"]


def test_a_whole_schema_read_is_in_the_report(db, tmp_path):
    """A canary whose table is missing has the audits read the whole schema: the report says so."""
    db.run(dialect_sql(db, SCHEMA))
    plan = engine.plan(_specs(tmp_path, canary_table="customer"), db.url)
    report = engine.apply(plan, db.url)
    assert [(r.when, r.tables is None) for r in report.reads] == [
        ("under the lock", False), ("audit before", True), ("after the units", False), ("audit after", True)]
