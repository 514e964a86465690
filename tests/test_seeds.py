"""Seed specs reconciled row by row on real servers: plan, apply, re-plan empty.

Each test gets its own database on SQLite, PostgreSQL and MariaDB/MySQL (the
``db`` fixture). The rows are read back with plain SQL, not through recon.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from support import dialect_sql, ledger_rows, plan_json, row_changes, stored_rows, write

import engine
from engine.target.connection import make_target

SETTINGS = """
CREATE TABLE settings (
    "key" varchar(50) NOT NULL, value text, enabled boolean NOT NULL DEFAULT false,
    weight numeric(10,2), starts_at timestamp, CONSTRAINT settings_pkey PRIMARY KEY ("key"));
INSERT INTO settings ("key", value, enabled, weight, starts_at) VALUES
    ('theme', 'light', false, 1.50, '2026-01-01 00:00:00'),
    ('page_size', '50', true, 2, NULL),
    ('legacy', 'x', false, NULL, NULL)
"""

SEED = """
kind: seed
name: defaults
table: settings
key: [key]
rows:
  - {key: theme, value: dark, enabled: false, weight: 1.5, starts_at: "2026-01-01 00:00:00"}
  - {key: page_size, value: 50, enabled: true, weight: 2.00}
  - {key: currency, value: "50% off; DROP TABLE settings; --'\\"", enabled: true}
on_conflict: update
prune: true
"""


def rows(db, table: str = "settings", order: str = "key") -> list[tuple]:
    q = (lambda n: f"`{n}`") if db.dialect == "mysql" else (lambda n: f'"{n}"')
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {q(table)} ORDER BY {q(order)}")]
    finally:
        eng.dispose()


def values(db) -> dict:
    """{key: value} of every row of settings."""
    return {r[0]: r[1] for r in rows(db)}


CURRENCY = "50% off; DROP TABLE settings; --'\""  # SEED's value of the currency row


def test_seed_rows_are_inserted_corrected_and_pruned_then_converge(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED)
    plan = plan_json(recon, specs, db)
    assert [u["id"] for u in plan["units"]] == ["seed:defaults"]
    assert row_changes(plan) == [
        ("insert_rows", "settings", ("currency", "50% off; DROP TABLE settings; --'\"", True)),
        ("update_rows", "settings", ("theme", "dark")),     # value differs; 1.5 = 1.50 and the timestamp match
        ("delete_rows", "settings", ("legacy",)),
    ]  # page_size matches: '50' = 50, true = 1, 2.00 = 2
    assert [(a["op"], a["object"]) for a in plan["actions"]] == [("insert_rows", "settings"), ("update_rows", "settings"), ("delete_rows", "settings")]
    update = next(a for a in plan["actions"] if a["op"] == "update_rows")
    assert update["reason"] == "1 row differs in value" and update["columns"] == ["key", "value"] and update["was"] == [["light"]]
    delete = next(a for a in plan["actions"] if a["op"] == "delete_rows")
    assert delete["destructive"] and [c["code"] for c in delete["codes"]] == ["RC106"]
    assert plan["summary"] == {"create": 1, "update": 1, "delete": 1}
    assert all("DROP TABLE" not in sql for a in plan["actions"] for sql in a["sql"])  # values are bound, never pasted
    before = rows(db)

    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 3 and "RC106" in err and rows(db) == before  # prune is destructive: refused, nothing ran

    code, out, err = recon("apply", path, "--db", db.url, "--allow-destructive")
    assert code == 0, err
    assert "applied seed:defaults (3 statements" in out
    got = {r[0]: r[1:] for r in rows(db)}
    assert set(got) == {"currency", "page_size", "theme"}
    assert got["currency"][0] == "50% off; DROP TABLE settings; --'\"" and bool(got["currency"][1]) is True
    assert got["theme"][0] == "dark" and Decimal(str(got["theme"][2])) == Decimal("1.5")
    assert got["page_size"][0] == "50"  # matched, so never rewritten

    assert plan_json(recon, specs, db)["units"] == []  # converged
    code, out, _ = recon("history", "--db", db.url, "--format", "json")
    assert [(h["unit"], h["scope"], h["status"]) for h in json.loads(out)] == [("seed:defaults", "seed", "applied")]


def test_on_conflict_keep_inserts_only_and_prune_false_keeps_undeclared_rows(recon, db, specs):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED.replace("on_conflict: update", "on_conflict: keep").replace("prune: true", "prune: false"))
    plan = plan_json(recon, specs, db)
    assert row_changes(plan) == [("insert_rows", "settings", ("currency", "50% off; DROP TABLE settings; --'\"", True))]
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    got = {r[0]: r[1] for r in rows(db)}
    assert got["theme"] == "light" and "legacy" in got and "currency" in got
    assert plan_json(recon, specs, db)["units"] == []


def test_a_seed_row_changed_after_planning_makes_the_plan_stale(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED.replace("prune: true", "prune: false"))
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    db.run(dialect_sql(db, """UPDATE settings SET value = 'blue' WHERE "key" = 'theme'"""))
    before = rows(db)
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 3 and "plan is stale" in err
    assert rows(db) == before


def test_rows_the_plan_did_not_read_leave_it_fresh(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED.replace("prune: true", "prune: false"))
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    db.run(dialect_sql(db, """UPDATE settings SET value = 'y' WHERE "key" = 'legacy'"""))  # not declared, not read
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 0, err
    assert values(db) == {"currency": CURRENCY, "legacy": "y", "page_size": "50", "theme": "dark"}


def test_a_failing_row_rolls_the_whole_seed_back(recon, db, specs):
    """The second batch collides with a stored row the plan did not read (a unique value, not the key):
    the server refuses it at apply, and the first batch goes back with it."""
    db.run(dialect_sql(db, SETTINGS))
    db.run(f"CREATE UNIQUE INDEX settings_value_key ON settings ({'value(20)' if db.dialect == 'mysql' else 'value'})")
    write(specs, "seed", """
        kind: seed
        name: defaults
        table: settings
        key: key
        rows:
          - {key: a_first, value: ok}
          - {key: b_second, value: light, enabled: true}
        """)
    before = rows(db)
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 1 and "seed:defaults failed" in err and "rolled back" in err
    assert "0/0" not in out  # specs without canaries or invariants print no "fingerprint 0/0 -> 0/0"
    assert rows(db) == before  # the first insert was rolled back with the second, MySQL included
    code, out, _ = recon("history", "--db", db.url, "--format", "json")
    assert [h["status"] for h in json.loads(out)] == ["failed"]


def test_a_table_created_by_a_pending_unit_is_seeded_in_the_same_plan(recon, db, specs):
    write(specs, "unit", """
        kind: migration
        id: T-1-flags
        scope: schema
        rollback: {notes: drop it, operations: [{drop_table: {table: flags}}]}
        operations:
          - create_table:
              table: flags
              columns:
                - {name: name, type: varchar(40), primary_key: true}
                - {name: "on", type: boolean, nullable: false, default: false}
        """)
    write(specs, "seed", """
        kind: seed
        name: flags
        table: flags
        key: [name]
        rows:
          - {name: search, "on": true}
          - {name: export, "on": false}
        """)
    plan = plan_json(recon, specs, db)
    assert [u["id"] for u in plan["units"]] == ["T-1-flags", "seed:flags"]
    assert plan["reads"] == []  # the table does not exist yet: nothing to read
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    assert [(r[0], bool(r[1])) for r in rows(db, "flags", "name")] == [("export", False), ("search", True)]
    assert plan_json(recon, specs, db)["units"] == []


def test_composite_keys_and_awkward_identifiers(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE "Price List" ("region code" varchar(10) NOT NULL, "select" integer NOT NULL, "amount;x" integer,
            CONSTRAINT pl_pkey PRIMARY KEY ("region code", "select"));
        INSERT INTO "Price List" ("region code", "select", "amount;x") VALUES ('eu', 1, 10), ('eu', 2, 20)
        """))
    write(specs, "seed", """
        kind: seed
        name: prices
        table: Price List
        key: [region code, select]
        rows:
          - {region code: eu, select: 1, "amount;x": 11}
          - {region code: eu, select: 2, "amount;x": 20}
          - {region code: us, select: 1, "amount;x": 30}
        on_conflict: update
        """)
    plan = plan_json(recon, specs, db)
    assert row_changes(plan) == [("insert_rows", "Price List", ("us", 1, 30)), ("update_rows", "Price List", ("eu", 1, 11))]
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    assert rows(db, "Price List", "amount;x") == [("eu", 1, 11), ("eu", 2, 20), ("us", 1, 30)]
    assert plan_json(recon, specs, db)["units"] == []


def test_scope_schema_and_skip_seeding_leave_seeds_out(recon, db, specs, monkeypatch):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED)
    assert plan_json(recon, specs, db, "--scope", "schema")["units"] == []
    assert plan_json(recon, specs, db, "--skip-seeding")["units"] == []
    monkeypatch.setenv("RECON_SKIP_SEEDING", "true")
    assert plan_json(recon, specs, db)["units"] == []
    monkeypatch.delenv("RECON_SKIP_SEEDING")
    assert [u["id"] for u in plan_json(recon, specs, db, "--scope", "seed")["units"]] == ["seed:defaults"]


def test_a_seed_on_a_missing_table_or_column_is_a_spec_error(recon, db, specs):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED.replace("weight: 1.5", "wieght: 1.5"))
    write(specs, "other", """
        kind: seed
        name: nowhere
        table: nowhere
        key: id
        rows: [{id: 1}]
        """)
    code, out, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "Traceback" not in err
    assert "seed.yaml:1: seed defaults: table: settings has no column wieght" in err
    assert "other.yaml:1: seed nowhere: table: table nowhere does not exist, and no pending unit creates it" in err


def test_seed_reads_are_set_based(db, specs):
    """One SELECT per seed whatever the number of rows: 3 rows and 300 rows cost the same statements."""
    db.run(dialect_sql(db, """CREATE TABLE kv (k varchar(20) NOT NULL, v integer, CONSTRAINT kv_pkey PRIMARY KEY (k))"""))
    counts = []
    for n in (3, 300):
        write(specs, "seed", "kind: seed\nname: kv\ntable: kv\nkey: k\nrows:\n" + "".join(f"  - {{k: k{i}, v: {i}}}\n" for i in range(n)))
        target = make_target(db.url)
        plan = engine.plan(engine.load_specs(str(specs)), target)
        assert [len(a.rows) for a in plan.actions] == [n]  # one batch, whatever the number of rows
        counts.append(target.statements)
    assert counts[0] == counts[1]


def test_python_api_applies_seed_rows(db, specs):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED.replace("prune: true", "prune: false"))
    loaded = engine.load_specs(str(specs))
    report = engine.apply(engine.plan(loaded, db.url), db.url, specs=loaded)
    assert report.ok and [o.unit for o in report.outcomes] == ["seed:defaults"]
    assert engine.plan(loaded, db.url).empty


def test_seed_runs_are_not_rolled_back(recon, sqlite_db, specs):
    sqlite_db.run(SETTINGS)
    write(specs, "seed", SEED.replace("prune: true", "prune: false"))
    assert recon("apply", "--specs", specs, "--db", sqlite_db.url, "--auto-approve")[0] == 0
    code, _, err = recon("rollback", "--last", "--specs", specs, "--db", sqlite_db.url, "--auto-approve")
    assert code == 1 and "nothing to roll back: no unit is applied" in err
    code, _, err = recon("rollback", "seed:defaults", "--specs", specs, "--db", sqlite_db.url, "--auto-approve")
    assert code == 1 and "seed:defaults is a seed spec: it has no rollback" in err
    assert values(sqlite_db) == {"currency": CURRENCY, "legacy": "x", "page_size": "50", "theme": "dark"}  # the seed's rows stay
    assert [r[:2] for r in ledger_rows(sqlite_db)] == [("seed:defaults", "applied")]


def test_keys_compare_as_the_database_compares_them(recon, mysql_db, specs):
    """MariaDB's default collation ignores case: a declared `Theme` is the stored `theme`, never a second row."""
    mysql_db.run(dialect_sql(mysql_db, SETTINGS))
    write(specs, "seed", SEED.replace("key: theme", "key: Theme").replace("prune: true", "prune: false"))
    plan = plan_json(recon, specs, mysql_db)
    assert ("update_rows", "settings", ("Theme", "dark")) in row_changes(plan)
    assert not any(op == "insert_rows" and "heme" in row[0] for op, _, row in row_changes(plan))
    code, _, err = recon("apply", "--specs", specs, "--db", mysql_db.url, "--auto-approve")
    assert code == 0, err
    assert [r[:2] for r in rows(mysql_db) if r[0].lower() == "theme"] == [("theme", "dark")]
    assert plan_json(recon, specs, mysql_db)["units"] == []


# -- values compare by the column's type, keys too (found in review) -------------------------


def converges(recon, specs, db) -> None:
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve", "--allow-destructive")
    assert code == 0, err
    again = plan_json(recon, specs, db)
    assert again["units"] == [], again["actions"]


def test_declared_scalars_into_text_columns_settle(recon, db, specs):
    db.run(dialect_sql(db, 'CREATE TABLE kv ("key" varchar(20) NOT NULL PRIMARY KEY, value text)'))
    write(specs, "seed", """
        kind: seed
        name: kv
        table: kv
        key: [key]
        rows:
          - {key: dark_mode, value: true}
          - {key: ratio, value: 1.5}
          - {key: pages, value: 50}
        on_conflict: update
        """)
    converges(recon, specs, db)
    assert sorted(rows(db, "kv")) == [("dark_mode", "true"), ("pages", "50"), ("ratio", "1.5")]


def test_keys_of_another_type_than_their_column_match(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE codes (code varchar(10) NOT NULL PRIMARY KEY, label text);
        INSERT INTO codes (code, label) VALUES ('404', 'Not found');
        CREATE TABLE events (at timestamp NOT NULL PRIMARY KEY, label text);
        INSERT INTO events (at, label) VALUES ('2026-01-01 10:00:00', 'launch')
        """))
    write(specs, "codes", """
        kind: seed
        name: codes
        table: codes
        key: [code]
        rows: [{code: 404, label: Not found}, {code: 500, label: Server error}]
        on_conflict: update
        """)
    write(specs, "events", """
        kind: seed
        name: events
        table: events
        key: [at]
        rows: [{at: "2026-01-01T10:00:00", label: launch}]
        on_conflict: update
        """)
    plan = plan_json(recon, specs, db)
    expected = [("insert_rows", "codes", ("500", "Server error"))]  # bound as text, as the column takes it
    if db.dialect == "sqlite":  # a SQLite timestamp is text, and its key is that text: 'T' is another key
        expected.append(("insert_rows", "events", ("2026-01-01T10:00:00", "launch")))
    assert row_changes(plan) == expected
    converges(recon, specs, db)
    assert rows(db, "codes", "code") == [("404", "Not found"), ("500", "Server error")]
    assert len(rows(db, "events", "at")) == (2 if db.dialect == "sqlite" else 1)


def test_typed_values_settle(recon, db, specs):
    types = {"postgresql": ("timestamptz", "jsonb", "uuid", "time"), "mysql": ("datetime", "json", "char(36)", "time"),
             "sqlite": ("timestamp", "text", "text", "time")}[db.dialect]
    db.run(dialect_sql(db, f"""CREATE TABLE typed (id integer NOT NULL PRIMARY KEY, at {types[0]}, doc {types[1]}, u {types[2]},
        t {types[3]}, price numeric(10,2), flag boolean)"""))
    write(specs, "seed", """
        kind: seed
        name: typed
        table: typed
        key: [id]
        rows:
          - {id: 1, at: "2026-01-01 10:00:00", doc: '{"a": 1}', u: 6F1C0000-0000-0000-0000-00000000ABCD, t: "10:00",
             price: 1.005, flag: true}
        on_conflict: update
        """)
    converges(recon, specs, db)
    (id_, at, doc, u, t, _, flag), = rows(db, "typed", "id")
    assert (id_, str(at)[:19], str(u).lower(), str(t)[:5], bool(flag)) == (1, "2026-01-01 10:00:00", "6f1c0000-0000-0000-0000-00000000abcd", "10:00", True)
    assert (doc if isinstance(doc, dict) else json.loads(doc)) == {"a": 1}


def test_prune_deletes_a_row_whose_key_is_null(recon, sqlite_db, specs):
    sqlite_db.run("CREATE TABLE t (k text UNIQUE, v text); INSERT INTO t VALUES (NULL, 'orphan'), ('a', 'x')")
    write(specs, "seed", "kind: seed\nname: s\ntable: t\nkey: [k]\nrows: [{k: a, v: x}]\nprune: true\n")
    plan = plan_json(recon, specs, sqlite_db)
    assert [(a["op"], a["reason"], a["sql"], a["affected"]) for a in plan["actions"]] == [
        ("delete_rows", "1 row with k NULL is not declared (prune: true)", ['DELETE FROM "t" WHERE "k" IS NULL'], [1])]
    converges(recon, specs, sqlite_db)
    assert rows(sqlite_db, "t", "k") == [("a", "x")]


def test_seed_tables_in_another_schema(recon, postgres_db, specs):
    postgres_db.run("CREATE SCHEMA app;\nCREATE TABLE app.settings (key text PRIMARY KEY, value text)")
    write(specs, "seed", "kind: seed\nname: app\ntable: app.settings\nkey: [key]\nrows: [{key: theme, value: dark}]\n")
    assert row_changes(plan_json(recon, specs, postgres_db)) == [("insert_rows", "app.settings", ("theme", "dark"))]
    converges(recon, specs, postgres_db)


def test_a_column_a_pending_unit_adds_reads_as_null(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE prefs (name varchar(50) NOT NULL PRIMARY KEY, value text);
        INSERT INTO prefs (name, value) VALUES ('theme', 'light')
        """))
    write(specs, "unit", """
        kind: migration
        id: T-1-category
        scope: schema
        operations:
          - add_column: {table: prefs, name: category, type: text}
        """)
    write(specs, "seed", """
        kind: seed
        name: prefs
        table: prefs
        key: [name]
        rows: [{name: theme, value: light, category: ui}]
        on_conflict: update
        """)
    plan = plan_json(recon, specs, db)
    assert [(a["op"], a["reason"], a["rows"], a["was"]) for a in plan["actions"] if a["unit"] == "seed:prefs"] == [
        ("update_rows", "1 row differs in category", [["theme", "ui"]], [[None]])]
    converges(recon, specs, db)
    assert rows(db, "prefs", "name") == [("theme", "light", "ui")]


def test_seeds_run_parents_first(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE countries (code char(2) NOT NULL PRIMARY KEY, name text);
        CREATE TABLE cities (name varchar(40) NOT NULL PRIMARY KEY, country char(2) NOT NULL,
            CONSTRAINT cities_country_fkey FOREIGN KEY (country) REFERENCES countries (code))
        """))
    write(specs, "a-cities", "kind: seed\nname: cities\ntable: cities\nkey: [name]\nrows: [{name: Paris, country: FR}]\n")
    write(specs, "b-countries", "kind: seed\nname: countries\ntable: countries\nkey: [code]\nrows: [{code: FR, name: France}]\n")
    assert [u["id"] for u in plan_json(recon, specs, db)["units"]] == ["seed:countries", "seed:cities"]
    converges(recon, specs, db)
    assert rows(db, "countries", "code") == [("FR", "France")] and rows(db, "cities", "name") == [("Paris", "FR")]


def test_keep_plans_do_not_depend_on_values_they_do_not_change(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED.replace("on_conflict: update", "on_conflict: keep").replace("prune: true", "prune: false"))
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    db.run(dialect_sql(db, """UPDATE settings SET value = 'blue' WHERE "key" = 'theme'"""))  # an operator's change: kept anyway
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 0, err
    assert values(db) == {"currency": CURRENCY, "legacy": "x", "page_size": "50", "theme": "blue"}


def test_the_session_time_zone_does_not_make_a_plan_stale(recon, postgres_db, specs, tmp_path, monkeypatch):
    postgres_db.run("CREATE TABLE ev (id integer PRIMARY KEY, at timestamptz);\nINSERT INTO ev VALUES (1, '2026-01-01 10:00:00+00')")
    write(specs, "seed", "kind: seed\nname: ev\ntable: ev\nkey: [id]\nrows: [{id: 1, at: '2026-01-01 10:00:00+00:00'}, {id: 2}]\non_conflict: update\n")
    path = tmp_path / "plan.json"
    monkeypatch.setenv("PGTZ", "UTC")
    assert recon("plan", "--specs", specs, "--db", postgres_db.url, "--out", path)[0] == 0
    monkeypatch.setenv("PGTZ", "Asia/Tokyo")
    code, _, err = recon("apply", path, "--db", postgres_db.url)
    assert code == 0, err
    assert stored_rows(postgres_db, "SELECT id, at FROM ev ORDER BY id") == [(1, datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc)), (2, None)]
    assert ledger_rows(postgres_db) == [("seed:ev", "applied", 1)]  # the insert of row 2 only: row 1 matched


def test_seed_units_take_the_environment_lock_timeout(sqlite_db, specs):
    sqlite_db.run(SETTINGS)
    write(specs, "seed", SEED.replace("prune: true", "prune: false"))
    plan = engine.plan(engine.load_specs(str(specs)), sqlite_db.url, lock_timeout="30s")
    assert [(u.id, u.lock_timeout) for u in plan.units] == [("seed:defaults", "30s")]


# -- second review: what columns do to values, binding, ordering, pending renames --------------


def test_values_the_column_pads_rounds_or_narrows_settle(recon, db, specs):
    cols = {"postgresql": "c char(5), i integer, s smallint, f real, ts timestamp(0), tz timestamptz",
            "mysql": "c char(5), i integer, s smallint, f float, ts datetime, tz datetime",
            "sqlite": "c char(5), i integer, s smallint, f real, ts timestamp, tz timestamp"}[db.dialect]
    db.run(dialect_sql(db, f"CREATE TABLE odd (k varchar(10) NOT NULL PRIMARY KEY, {cols})"))
    write(specs, "seed", """
        kind: seed
        name: odd
        table: odd
        key: [k]
        rows:
          - {k: a, c: ab, i: 1.5, s: 3.7, f: 1.5e10, ts: "2026-01-01 10:00:00.6", tz: "2026-01-01 10:00:00+02:00"}
        on_conflict: update
        """)
    converges(recon, specs, db)
    if db.dialect == "mysql":  # MariaDB takes no offset in a DATETIME: recon stored the UTC instant
        assert str(db.scalar("SELECT tz FROM odd")) == "2026-01-01 08:00:00"


def test_char_keys_with_prune_settle(recon, postgres_db, specs):
    postgres_db.run("CREATE TABLE t (code char(5) PRIMARY KEY, name text);\nINSERT INTO t VALUES ('ab', 'x')")
    write(specs, "seed", "kind: seed\nname: t\ntable: t\nkey: code\nrows: [{code: ab, name: x}]\nprune: true\n")
    assert plan_json(recon, specs, postgres_db)["units"] == []


def test_mysql_time_is_a_duration(recon, mysql_db, specs):
    mysql_db.run("CREATE TABLE t (k varchar(20) NOT NULL PRIMARY KEY, tm time)")
    write(specs, "seed", 'kind: seed\nname: t\ntable: t\nkey: [k]\nrows: [{k: b, tm: "-01:00:00"}, {k: c, tm: "25:00:00"}]\non_conflict: update\n')
    converges(recon, specs, mysql_db)
    assert rows(mysql_db, "t", "k") == [("b", timedelta(hours=-1)), ("c", timedelta(hours=25))]


def test_values_are_bound_as_their_column_takes_them(recon, db, specs):
    json_type = {"postgresql": "jsonb", "mysql": "json", "sqlite": "text"}[db.dialect]
    db.run(dialect_sql(db, f"CREATE TABLE b (k varchar(10) NOT NULL PRIMARY KEY, flag boolean, n integer, j {json_type})"))
    write(specs, "seed", """
        kind: seed
        name: b
        table: b
        key: [k]
        rows: [{k: one, flag: 1, n: true, j: 5}, {k: two, flag: "yes", n: false, j: '{"a": [1, 2]}'}]
        on_conflict: update
        """)
    converges(recon, specs, db)
    assert [(k, bool(flag), n, json.loads(j) if isinstance(j, str) else j) for k, flag, n, j in rows(db, "b", "k")] == [
        ("one", True, 1, 5), ("two", True, 0, {"a": [1, 2]})]


def test_values_a_column_cannot_hold_are_spec_errors_at_their_line(recon, db, specs):
    db.run(dialect_sql(db, "CREATE TABLE t (id integer NOT NULL PRIMARY KEY, v text);\nCREATE TABLE u (id integer NOT NULL PRIMARY KEY, v text)"))
    write(specs, "s", """
        kind: seed
        name: s
        table: t
        key: [id]
        rows:
          - {id: 1, v: a}
          - {id: x1, v: b}
        ---
        kind: seed
        name: s2
        table: u
        key: [id]
        rows: [{id: 1, wieght: 2}]
        """)
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "Traceback" not in err
    assert "s.yaml:7: seed s: rows[1].id: 'x1' is not a valid integer value for t.id" in err  # names the seed
    assert "s.yaml:9: seed s2: table: u has no column wieght" in err


def test_an_explicit_null_for_a_not_null_column_is_refused_at_plan(recon, db, specs):
    """Every server refuses the row (and null is not "the default"): before, plan showed + and apply
    failed, rolling back all seed work. The other seed's rows are not written either."""
    db.run(dialect_sql(db, "CREATE TABLE users (id integer NOT NULL PRIMARY KEY, email varchar(50) NOT NULL UNIQUE, "
                           "is_active boolean NOT NULL DEFAULT true, name varchar(20) NOT NULL);\n"
                           "CREATE TABLE tags (id integer NOT NULL PRIMARY KEY, label text)"))
    write(specs, "s", """
        kind: seed
        name: users
        table: users
        key: [email]
        rows:
          - {email: a@x.io, id: 1, name: A}
          - {email: z@x.io, id: 2, is_active: null, name: Z}
          - {email: n@x.io, id: 3, name: null}
        on_conflict: update
        ---
        kind: seed
        name: tags
        table: tags
        key: [id]
        rows: [{id: 1, label: null}]
        """)
    code, out, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "Traceback" not in err
    assert ("s.yaml:7: seed users: rows[1].is_active: null, but users.is_active is NOT NULL: the server refuses the row "
            "(email 'z@x.io'); a null is not the column's default: leave the column out of the row to take it") in err
    assert ("s.yaml:8: seed users: rows[2].name: null, but users.name is NOT NULL: the server refuses the row (email 'n@x.io'): "
            "give it a value") in err
    assert err.count("problem") == 1 and "2 problems in the specs" in err  # the nullable tags.label is fine
    assert db.scalar("SELECT count(*) FROM users") == 0 and db.scalar("SELECT count(*) FROM tags") == 0


def test_a_seed_on_a_view_says_it_is_a_view(recon, db, specs):
    db.run(dialect_sql(db, "CREATE TABLE users (id integer NOT NULL PRIMARY KEY, email varchar(50));\n"
                           "CREATE VIEW user_emails AS SELECT id, email FROM users"))
    write(specs, "s", "kind: seed\nname: emails\ntable: user_emails\nkey: [id]\nrows: [{id: 1, email: a@x.io}]\n")
    code, out, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "Traceback" not in err
    assert ("s.yaml:1: seed emails: table: user_emails is a view: a seed writes its rows into a table (seed the table the "
            "view reads)") in err
    assert "not a key the database enforces" not in err
    assert db.scalar("SELECT count(*) FROM users") == 0


def test_keys_the_database_refuses_are_spec_errors(recon, postgres_db, specs):
    postgres_db.run("CREATE TABLE t (id inet PRIMARY KEY, v text); CREATE TABLE u (id uuid PRIMARY KEY, v text)")
    write(specs, "s", "kind: seed\nname: s\ntable: t\nkey: [id]\nrows: [{id: not-an-address, v: a}]\n")
    code, _, err = recon("plan", "--specs", specs, "--db", postgres_db.url)
    assert code == 1 and "Traceback" not in err
    assert "s.yaml:1: seed s: key: the database refused the declared keys: invalid input syntax for type inet" in err
    write(specs, "s", "kind: seed\nname: s\ntable: u\nkey: [id]\nrows: [{id: not-a-uuid, v: a}]\n")  # a UUID recon reads itself
    code, _, err = recon("plan", "--specs", specs, "--db", postgres_db.url)
    assert code == 1 and "s.yaml:5: seed s: rows[0].id: 'not-a-uuid' is not a valid uuid value for u.id" in err


def test_every_spec_writing_a_parent_runs_before_the_child(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE countries (code char(2) NOT NULL PRIMARY KEY, name text);
        CREATE TABLE cities (name varchar(40) NOT NULL PRIMARY KEY, country char(2) NOT NULL,
            CONSTRAINT cities_country_fkey FOREIGN KEY (country) REFERENCES countries (code))
        """))
    write(specs, "a", "kind: seed\nname: cities\ntable: cities\nkey: [name]\nrows: [{name: Paris, country: FR}, {name: Tokyo, country: JP}]\n")
    write(specs, "b", "kind: seed\nname: eu\ntable: countries\nkey: [code]\nrows: [{code: FR, name: France}]\n")
    write(specs, "c", "kind: seed\nname: asia\ntable: countries\nkey: [code]\nrows: [{code: JP, name: Japan}]\n")
    assert [u["id"] for u in plan_json(recon, specs, db)["units"]] == ["seed:eu", "seed:asia", "seed:cities"]
    converges(recon, specs, db)
    assert rows(db, "countries", "code") == [("FR", "France"), ("JP", "Japan")]
    assert rows(db, "cities", "name") == [("Paris", "FR"), ("Tokyo", "JP")]


def test_a_key_column_a_pending_unit_renames_defers_the_seed(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE prefs (k varchar(20) NOT NULL PRIMARY KEY, value text);
        INSERT INTO prefs (k, value) VALUES ('theme', 'light')
        """))
    write(specs, "unit", "kind: migration\nid: R-1\nscope: schema\noperations:\n  - rename_column: {table: prefs, name: k, new_name: key}\n")
    write(specs, "seed", "kind: seed\nname: prefs\ntable: prefs\nkey: [key]\nrows: [{key: theme, value: dark}]\non_conflict: update\n")
    plan = plan_json(recon, specs, db)
    assert [u["id"] for u in plan["units"]] == ["R-1"]
    assert any("seed prefs: key column key of prefs comes with a pending unit" in w for w in plan["warnings"])
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    assert rows(db, "prefs", "key") == [("theme", "light")] and [r[:2] for r in ledger_rows(db)] == [("R-1", "applied")]
    assert row_changes(plan_json(recon, specs, db)) == [("update_rows", "prefs", ("theme", "dark"))]
    converges(recon, specs, db)
    assert rows(db, "prefs", "key") == [("theme", "dark")]


def test_a_pruning_spec_may_not_share_its_table(recon, sqlite_db, specs):
    write(specs, "a", "kind: seed\nname: a\ntable: roles\nkey: [name]\nrows: [{name: x}]\nprune: true\n")
    write(specs, "b", "kind: seed\nname: b\ntable: roles\nkey: [name]\nrows: [{name: y}]\n")
    code, _, err = recon("validate", "--specs", specs)
    assert code == 1
    assert "a.yaml:6: prune: seed a prunes roles, which seed b also writes: each apply would delete the other's rows" in err


def test_keys_equal_as_text_are_duplicates(recon, specs):
    write(specs, "a", "kind: seed\nname: a\ntable: t\nkey: [a, b]\nrows:\n  - {a: y, b: 1, v: one}\n  - {a: y, b: '1', v: two}\n")
    code, _, err = recon("validate", "--specs", specs)
    assert code == 1 and "a.yaml:7: rows[1]: duplicate row key ('y', '1') (first at line 6)" in err


def test_an_edited_plan_file_is_refused(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED)
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    original = json.loads(path.read_text())
    before = rows(db)
    edited = json.loads(path.read_text())
    for action in edited["actions"]:
        if action["op"] == "delete_rows":  # disguise a destructive statement as harmless
            action.update(op="insert_rows", action="create", destructive=False, codes=[],
                          sql=['DELETE FROM "settings" WHERE "key" <> ?'.replace('"', "`" if db.dialect == "mysql" else '"')])
    path.write_text(json.dumps(edited))
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 3 and "was changed after recon plan wrote it" in err and rows(db) == before
    original.pop("plan_digest")
    path.write_text(json.dumps(original))
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 3 and "has no plan_digest" in err and rows(db) == before


# -- third review: the apply side --------------------------------------------------------------


def test_a_failure_at_commit_is_reported_as_such_and_numbers_stay_consecutive(recon, postgres_db, specs):
    postgres_db.run("CREATE TABLE parent (id int PRIMARY KEY);\n"
                    "CREATE TABLE child (k int PRIMARY KEY, parent_id int REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)")
    write(specs, "seed", "kind: seed\nname: child\ntable: child\nkey: [k]\nrows: [{k: 1, parent_id: 42}]\n")
    code, _, err = recon("apply", "--specs", specs, "--db", postgres_db.url, "--auto-approve")
    assert code == 1 and "seed:child failed: at commit:" in err and "foreign key" in err
    code, out, _ = recon("history", "--db", postgres_db.url, "--format", "json")
    assert [(h["unit"], h["status"]) for h in json.loads(out)] == [("seed:child", "failed")]
    assert postgres_db.scalar("SELECT min(seq) FROM recon_ledger") == 1


def test_mysql_seed_rows_wait_no_longer_than_the_lock_timeout(recon, mysql_db, specs, tmp_path):
    mysql_db.run("CREATE TABLE lk (k int PRIMARY KEY, v varchar(20));\nINSERT INTO lk VALUES (1, 'old')")
    write(specs, "seed", "kind: seed\nname: lk\ntable: lk\nkey: [k]\nrows: [{k: 1, v: new}]\non_conflict: update\n")
    path = tmp_path / "plan.json"
    plan = engine.plan(engine.load_specs(str(specs)), mysql_db.url, lock_timeout="1s")
    path.write_text(json.dumps(plan.to_dict()))
    holder = sa.create_engine(mysql_db.url, poolclass=sa.pool.NullPool)
    with holder.connect() as conn:
        conn.exec_driver_sql("SELECT * FROM lk WHERE k = 1 FOR UPDATE").fetchall()  # holds the row until rollback
        started = time.monotonic()
        code, _, err = recon("apply", path, "--db", mysql_db.url)
        waited = time.monotonic() - started
        conn.rollback()
    holder.dispose()
    assert code == 1 and "Lock wait timeout" in err and waited < 10


def test_sqlite_apply_whose_commit_readers_block_applies_nothing(recon, sqlite_db, specs, tmp_path):
    sqlite_db.run(SETTINGS)
    write(specs, "seed", SEED.replace("prune: true", "prune: false"))
    path = tmp_path / "plan.json"
    plan = engine.plan(engine.load_specs(str(specs)), sqlite_db.url, lock_timeout="500ms")
    path.write_text(json.dumps(plan.to_dict()))
    before = rows(sqlite_db)
    reader = sqlite3.connect(sqlite_db.url.removeprefix("sqlite:///"), isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM settings").fetchall()  # a reader that outlasts the busy timeout
    try:
        code, out, err = recon("apply", path, "--db", sqlite_db.url)
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert code == 1 and "the run was not committed: at commit:" in err and "nothing was applied" in err
    assert "applied seed" not in out and "FAILED seed:defaults" in out
    assert rows(sqlite_db) == before
    code, out, _ = recon("history", "--db", sqlite_db.url, "--format", "json")
    assert all(h["status"] == "failed" for h in json.loads(out))


def test_apply_without_a_plan_file_prints_one_json_document(recon, sqlite_db, specs):
    sqlite_db.run(SETTINGS)
    write(specs, "seed", SEED.replace("prune: true", "prune: false"))
    ran = []
    for _ in range(2):  # with changes, then with none
        code, out, err = recon("apply", "--specs", specs, "--db", sqlite_db.url, "--auto-approve", "--format", "json")
        assert code == 0, err
        assert json.loads(out)["format"] == "recon.apply/v1"
        ran.append([(u["unit"], u["status"]) for u in json.loads(out)["units"]])
    assert ran == [[("seed:defaults", "applied")], []]
    assert values(sqlite_db) == {"currency": CURRENCY, "legacy": "x", "page_size": "50", "theme": "dark"}
    assert [r[:2] for r in ledger_rows(sqlite_db)] == [("seed:defaults", "applied")]


def test_a_plan_applies_to_its_own_ledger_only(recon, sqlite_db, specs, tmp_path):
    sqlite_db.run(SETTINGS)
    write(specs, "seed", SEED.replace("prune: true", "prune: false"))
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", sqlite_db.url, "--out", path)[0] == 0
    before = rows(sqlite_db)
    code, _, err = recon("apply", path, "--db", sqlite_db.url, "--ledger-table", "my_ledger")
    assert code == 1 and "records its run in recon_ledger, not my_ledger" in err
    assert rows(sqlite_db) == before
    assert sqlite_db.scalar("SELECT count(*) FROM sqlite_master WHERE name IN ('recon_ledger', 'my_ledger')") == 0


def test_a_detect_only_plan_is_for_review_only(recon, sqlite_db, specs, tmp_path, monkeypatch):
    sqlite_db.run(SETTINGS)
    write(specs, "seed", SEED.replace("prune: true", "prune: false"))
    path = tmp_path / "plan.json"
    monkeypatch.setenv("RECON_MODE", "detect-only")
    assert recon("plan", "--specs", specs, "--db", sqlite_db.url, "--out", path)[0] == 0
    monkeypatch.delenv("RECON_MODE")
    before = rows(sqlite_db)
    code, _, err = recon("apply", path, "--db", sqlite_db.url, "--mode", "apply")
    assert code == 3 and "was made in detect-only mode, for review only: make the plan again where apply is allowed" in err
    assert rows(sqlite_db) == before and sqlite_db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'recon_ledger'") == 0


def test_mysql_timestamp_columns_take_no_offset(recon, mysql_db, specs):
    mysql_db.run("CREATE TABLE ev (id int PRIMARY KEY, at timestamp NULL)")
    write(specs, "seed", 'kind: seed\nname: ev\ntable: ev\nkey: [id]\nrows: [{id: 1, at: "2026-01-01T10:00:00+02:00"}]\n')
    code, _, err = recon("plan", "--specs", specs, "--db", mysql_db.url)
    assert code == 1 and "has an offset, which a MySQL TIMESTAMP does not take" in err


def test_sqlite_commit_failure_keeps_each_units_own_error(recon, sqlite_db, specs, tmp_path):
    write(specs, "units", """
        kind: migration
        id: S1
        scope: schema
        lock_timeout: 500ms
        operations: [{create_table: {table: a1, columns: [{name: id, type: integer}]}}]
        ---
        kind: migration
        id: S2
        scope: schema
        depends_on: [S1]
        operations: [{sql: {dialect: sqlite, statements: ["CREATE INDEX IF NOT EXISTS ix ON nosuch (a)"]}}]
        ---
        kind: migration
        id: S3
        scope: schema
        depends_on: [S2]
        operations: [{create_table: {table: a3, columns: [{name: id, type: integer}]}}]
        """)
    sqlite_db.run("CREATE TABLE z (a int)")
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", sqlite_db.url, "--out", path)[0] == 0
    reader = sqlite3.connect(sqlite_db.url.removeprefix("sqlite:///"), isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM z").fetchall()
    try:
        code, out, err = recon("apply", path, "--db", sqlite_db.url, "--format", "json")
    finally:
        reader.execute("COMMIT")
        reader.close()
    report = json.loads(out)
    assert code == 1 and "the run was not committed" in err
    assert [(u["unit"], u["status"], u["error"].split(":")[0]) for u in report["units"]] == [("S1", "failed", "at commit"), ("S2", "failed", "statement 1")]
    assert "no such table" in report["units"][1]["error"]


def test_prune_keeps_rows_the_database_finds_equal_to_a_declared_key(recon, mysql_db, specs):
    mysql_db.run(dialect_sql(mysql_db, SETTINGS))
    write(specs, "seed", SEED.replace("key: theme", "key: Theme"))
    plan = plan_json(recon, specs, mysql_db)
    ops = row_changes(plan)
    assert ("delete_rows", "settings", ("legacy",)) in ops and not any("heme" in row[0] and op != "update_rows" for op, _, row in ops)
    converges(recon, specs, mysql_db)
    assert [r[:2] for r in rows(mysql_db) if r[0].lower() == "theme"] == [("theme", "dark")]


def test_columns_the_database_computes_cannot_be_seeded(recon, db, specs):
    computed = {"postgresql": "b int GENERATED ALWAYS AS (a + 1) STORED", "mysql": "b int AS (a + 1) VIRTUAL",
                "sqlite": "b int GENERATED ALWAYS AS (a + 1) VIRTUAL"}[db.dialect]
    db.run(f"CREATE TABLE g (k varchar(10) NOT NULL PRIMARY KEY, a int, {computed})")
    write(specs, "seed", "kind: seed\nname: g\ntable: g\nkey: [k]\nrows: [{k: x, a: 1, b: 2}]\n")
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "seed g: table: g.b is computed by the database: a seed cannot set it" in err
    write(specs, "seed", "kind: seed\nname: g\ntable: g\nkey: [k]\nrows: [{k: x, a: 1}]\n")
    converges(recon, specs, db)
    assert rows(db, "g", "k") == [("x", 1, 2)]  # b as the database computed it


def test_postgres_always_identities_cannot_be_seeded(recon, postgres_db, specs):
    postgres_db.run("CREATE TABLE i (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text UNIQUE)")
    write(specs, "seed", "kind: seed\nname: i\ntable: i\nkey: [id]\nrows: [{id: 1, name: a}]\n")
    code, _, err = recon("plan", "--specs", specs, "--db", postgres_db.url)
    assert code == 1 and "i.id is computed by the database" in err
