"""Raw `sql` operations: each guard of the check vocabulary runs the statements exactly where it holds,
and destructive raw SQL (RC105) is refused at apply unless allowed, on every dialect.

The statements write a marker row, so each case reads back which operations ran.
"""

from __future__ import annotations

from support import inspected, plan_json, stored_rows

BASE = """
CREATE TABLE items (id integer PRIMARY KEY, name varchar(40), CONSTRAINT items_name_key UNIQUE (name));
CREATE INDEX items_id_name_idx ON items (id, name);
CREATE TABLE marks (guard varchar(40) PRIMARY KEY)
"""

GUARDS = {  # guard -> whether it holds on BASE
    "table_exists: items": True, "table_missing: items": False, "table_missing: nope": True, "table_exists: nope": False,
    "column_exists: items.name": True, "column_missing: items.name": False, "column_missing: items.nope": True,
    "column_exists: items.nope": False,
    "index_exists: items.items_id_name_idx": True, "index_missing: items.items_id_name_idx": False,
    "index_missing: items.nope_idx": True, "index_exists: items.nope_idx": False,
    "constraint_exists: items.items_name_key": True, "constraint_missing: items.items_name_key": False,
    "constraint_missing: items.nope_key": True, "constraint_exists: items.nope_key": False,
}


def _unit(specs, body: str, allow: str = "", scope: str = "schema") -> None:
    (specs / "unit.yaml").write_text(f"kind: migration\nid: R1\nscope: {scope}\n{allow}operations:\n{body}", encoding="utf-8")


def _operation(guard: str) -> str:
    return (f"  - sql:\n      dialect: postgres\n      statements: [\"INSERT INTO marks (guard) VALUES ('{guard}')\"]\n"
            f"      guard: {{{guard}}}\n")


def test_each_schema_guard_runs_its_statements_exactly_where_it_holds(recon, specs, db):
    db.run(BASE)
    _unit(specs, "".join(_operation(g) for g in GUARDS), scope="seed")  # its statements write rows
    plan = plan_json(recon, specs, db)
    assert [a["status"] for a in plan["actions"]] == ["pending" if holds else "guard_false" for holds in GUARDS.values()]
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    ran = {row[0] for row in stored_rows(db, "SELECT guard FROM marks")}
    assert ran == {g for g, holds in GUARDS.items() if holds}


DROPS = {
    "DROP TABLE old_items": True, "TRUNCATE TABLE old_items": True, "DELETE FROM old_items": True,
    "UPDATE old_items SET name = 'x'": True, "ALTER TABLE old_items DROP COLUMN name": True,
    "DELETE FROM old_items WHERE id = 1": False, "UPDATE old_items SET name = 'x' WHERE id = 1": False,
}


def test_destructive_raw_sql_is_refused_unless_allowed(recon, specs, db):
    """RC105: DROP, TRUNCATE, ALTER ... DROP, and DELETE/UPDATE without WHERE; with a WHERE it is no loss."""
    db.run(BASE + ";\nCREATE TABLE old_items (id integer PRIMARY KEY, name varchar(40));\n"
           "INSERT INTO old_items (id, name) VALUES (1, 'a')")
    for statement, destructive in DROPS.items():
        scope = "seed" if statement.startswith(("DELETE", "UPDATE")) else "schema"
        _unit(specs, f"  - sql:\n      dialect: postgres\n      statements: [\"{statement}\"]\n      guard: {{table_exists: old_items}}\n",
              scope=scope)
        action = plan_json(recon, specs, db)["actions"][0]
        assert action["destructive"] is destructive, statement
        assert ("RC105" in [c["code"] for c in action.get("codes", [])]) is destructive, action
    _unit(specs, "  - sql:\n      dialect: postgres\n      statements: [\"DROP TABLE old_items\"]\n      guard: {table_exists: old_items}\n")
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 3 and "RC105" in err, out + err
    assert db.scalar("SELECT count(*) FROM old_items") == 1  # refused before anything ran
    _unit(specs, "  - sql:\n      dialect: postgres\n      statements: [\"DROP TABLE old_items\"]\n      guard: {table_exists: old_items}\n",
          allow="allow: [RC105]\n")
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    assert {t for _, t in inspected(db).tables} == {"items", "marks", "recon_ledger"}  # old_items is gone, nothing else
    assert [a["status"] for a in plan_json(recon, specs, db)["actions"]] == []  # applied: nothing left to plan
