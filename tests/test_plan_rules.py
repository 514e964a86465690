"""Planning refuses what cannot run, and apply refuses when a raw-SQL guard changed its answer."""

from __future__ import annotations

import textwrap

import pytest

import engine
from engine.errors import SafetyRefusal, SpecError


def specs_with(tmp_path, unit: str):
    (tmp_path / "unit.yaml").write_text(textwrap.dedent(unit))
    return engine.load_specs(tmp_path)


def test_a_change_on_a_missing_table_is_a_spec_problem(sqlite_db, tmp_path):
    sqlite_db.run("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    specs = specs_with(tmp_path, """
        kind: migration
        id: U1
        scope: schema
        operations:
          - add_column: {table: itemz, name: note, type: text}
          - rename_column: {table: items, name: title, new_name: label}
          - alter_column: {table: items, name: nope, nullable: false}
    """)
    with pytest.raises(SpecError) as info:
        engine.plan(specs, sqlite_db.url)
    text = str(info.value)
    assert "unit.yaml:6: U1: add_column: cannot plan: table itemz does not exist" in text
    assert "unit.yaml:7: U1: rename_column: cannot plan: column items.title does not exist" in text
    assert "unit.yaml:8: U1: alter_column: cannot plan: column items.nope does not exist" in text


def test_a_guard_that_changed_its_answer_makes_the_plan_stale(sqlite_db, tmp_path):
    sqlite_db.run("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO items (id, name) VALUES (1, NULL)")
    specs = specs_with(tmp_path, """
        kind: migration
        id: U1
        scope: schema
        operations:
          - sql:
              dialect: postgres
              statements: ["UPDATE items SET name = 'unnamed' WHERE name IS NULL"]
              guard: {sql: "SELECT count(*) > 0 FROM items WHERE name IS NULL"}
    """)
    plan = engine.plan(specs, sqlite_db.url)
    assert [a.status for a in plan.actions] == ["pending"]
    sqlite_db.run("UPDATE items SET name = 'fixed by hand'")
    with pytest.raises(SafetyRefusal, match="plan is stale: the guard of U1"):
        engine.apply(plan, sqlite_db.url)
    assert sqlite_db.scalar("SELECT name FROM items") == "fixed by hand"
    skipped = engine.plan(specs, sqlite_db.url)
    assert [a.status for a in skipped.actions] == ["guard_false"]
    sqlite_db.run("UPDATE items SET name = NULL")
    with pytest.raises(SafetyRefusal, match="now holds"):
        engine.apply(skipped, sqlite_db.url)
    report = engine.apply(engine.plan(specs, sqlite_db.url), sqlite_db.url)
    assert report.ok and sqlite_db.scalar("SELECT name FROM items") == "unnamed"


def test_sqlite_rebuild_keeps_expression_and_partial_indexes_and_triggers(sqlite_db, tmp_path):
    sqlite_db.run(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price INT);\n"
        "CREATE INDEX items_lower_name ON items (lower(name));\n"
        "CREATE INDEX items_priced ON items (price) WHERE price > 0;\n"
        "CREATE TABLE audit_log (msg TEXT);\n"
        "CREATE TRIGGER items_ins AFTER INSERT ON items BEGIN INSERT INTO audit_log VALUES ('ins ' || NEW.name); END;\n"
        "INSERT INTO items VALUES (1, 'Tea', 5)"
    )
    specs = specs_with(tmp_path, """
        kind: migration
        id: U1
        scope: schema
        operations:
          - alter_column: {table: items, name: price, type: bigint}
    """)
    assert engine.apply(engine.plan(specs, sqlite_db.url), sqlite_db.url).ok
    eng = sqlite_db.engine()
    with eng.connect() as conn:
        objects = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'items' AND type <> 'table'").all())
        conn.exec_driver_sql("INSERT INTO items VALUES (2, 'Coffee', 7)")
        conn.commit()
        log = [r[0] for r in conn.exec_driver_sql("SELECT msg FROM audit_log")]
    eng.dispose()
    assert objects["items_priced"].endswith("WHERE price > 0") and "lower(name)" in objects["items_lower_name"]
    assert "items_ins" in objects and log == ["ins Tea", "ins Coffee"]
    assert engine.plan(specs, sqlite_db.url).empty


def test_an_index_named_without_its_table_is_covered_by_the_state_digest(sqlite_db, tmp_path):
    sqlite_db.run("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\nCREATE INDEX items_name_idx ON items (name)")
    specs = specs_with(tmp_path, """
        kind: migration
        id: U1
        scope: schema
        operations:
          - drop_index: {name: items_name_idx}
    """)
    plan = engine.plan(specs, sqlite_db.url)
    assert ["main", "items"] in [list(t) for t in plan.touched]
    sqlite_db.run("DROP INDEX items_name_idx;\nCREATE INDEX items_name_idx ON items (id, name)")
    with pytest.raises(SafetyRefusal, match="plan is stale"):
        engine.apply(plan, sqlite_db.url)
    assert sqlite_db.scalar("SELECT sql FROM sqlite_master WHERE name = 'items_name_idx'") == "CREATE INDEX items_name_idx ON items (id, name)"
    assert sqlite_db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'recon_ledger'") == 0  # refused before anything ran


def test_an_index_name_taken_by_another_table_is_refused(sqlite_db, tmp_path):
    sqlite_db.run("CREATE TABLE a (id INTEGER PRIMARY KEY, x INT);\nCREATE TABLE b (id INTEGER PRIMARY KEY, x INT);\nCREATE INDEX x_idx ON a (x)")
    specs = specs_with(tmp_path, """
        kind: migration
        id: U1
        scope: schema
        operations:
          - create_index: {name: x_idx, table: b, columns: [x]}
    """)
    with pytest.raises(SpecError, match="index name x_idx is already used by table a"):
        engine.plan(specs, sqlite_db.url)
