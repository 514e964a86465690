"""Rbac specs reconciled on real servers: roles, permissions and grants, row by row.

Each test gets its own database on SQLite, PostgreSQL and MariaDB/MySQL (the
``db`` fixture); the rows are read back with plain SQL.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import dialect_sql, ledger_rows, plan_json, row_changes, write

TABLES_UNIT = (Path(__file__).resolve().parent.parent / "specs" / "migrations" / "TER-100-rbac-tables.yaml").read_text(encoding="utf-8")

RBAC = """
kind: rbac
name: core
tables:
  roles:       {table: roles, key: name, description: description}
  permissions: {table: permissions, key: key, description: description}
  grants:      {table: role_permissions, role: role_id, permission: permission_id}
permissions:
  - {key: dashboard.view, description: View dashboards, critical: true}
  - {key: reports.view, description: Read reports}
  - {key: reports.export, description: Export reports}
roles:
  - {name: admin, description: Everything, grants: ["*"]}
  - {name: analyst, description: Reads reports, grants: [dashboard.view, "reports.*"]}
  - {name: viewer, grants: [dashboard.view]}
prune: false
"""

EXISTING = """
CREATE TABLE roles (id integer NOT NULL, name varchar(100) NOT NULL, description text,
    CONSTRAINT roles_pkey PRIMARY KEY (id), CONSTRAINT roles_name_key UNIQUE (name));
CREATE TABLE permissions (id integer NOT NULL, "key" varchar(150) NOT NULL, description text,
    CONSTRAINT permissions_pkey PRIMARY KEY (id), CONSTRAINT permissions_key_key UNIQUE ("key"));
CREATE TABLE role_permissions (role_id integer NOT NULL, permission_id integer NOT NULL,
    CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission_id),
    CONSTRAINT rp_role_fkey FOREIGN KEY (role_id) REFERENCES roles (id),
    CONSTRAINT rp_permission_fkey FOREIGN KEY (permission_id) REFERENCES permissions (id));
INSERT INTO roles (id, name, description) VALUES (10, 'admin', 'Old text'), (11, 'intern', 'Not declared');
INSERT INTO permissions (id, "key", description) VALUES (20, 'dashboard.view', 'View dashboards'), (21, 'legacy.thing', NULL);
INSERT INTO role_permissions (role_id, permission_id) VALUES (10, 20), (10, 21), (11, 20)
"""


DECLARED = {("admin", "dashboard.view"), ("admin", "reports.view"), ("admin", "reports.export"),  # what RBAC grants
            ("analyst", "dashboard.view"), ("analyst", "reports.view"), ("analyst", "reports.export"), ("viewer", "dashboard.view")}


def query(db, sql: str) -> list[tuple]:
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(dialect_sql(db, sql))]
    finally:
        eng.dispose()


def grants(db, schema: str = "") -> set[tuple[str, str]]:
    """(role name, permission key) of every grant; ``schema`` (with its dot) qualifies the tables."""
    return set(query(db, f"""SELECT r.name, p."key" FROM {schema}role_permissions g JOIN {schema}roles r ON r.id = g.role_id
                             JOIN {schema}permissions p ON p.id = g.permission_id"""))


def test_roles_permissions_and_grants_on_tables_created_in_the_same_plan(recon, db, specs):
    write(specs, "tables", TABLES_UNIT)
    write(specs, "rbac", RBAC)
    plan = plan_json(recon, specs, db)
    assert [u["id"] for u in plan["units"]] == ["TER-100-rbac-tables", "rbac:core"]
    ops = [(a["op"], a["object"], a["columns"]) for a in plan["actions"] if a["unit"] == "rbac:core"]
    assert ops == [("insert_rows", "permissions", ["key", "description"]), ("insert_rows", "roles", ["name", "description"]),
                   ("insert_rows", "roles", ["name"]), ("grant", "role_permissions", ["role", "permission"])]
    assert row_changes(plan, "rbac:core") == [
        ("insert_rows", "permissions", ("dashboard.view", "View dashboards")), ("insert_rows", "permissions", ("reports.view", "Read reports")),
        ("insert_rows", "permissions", ("reports.export", "Export reports")),
        ("insert_rows", "roles", ("admin", "Everything")), ("insert_rows", "roles", ("analyst", "Reads reports")), ("insert_rows", "roles", ("viewer",)),
        *[("grant", "role_permissions", ("admin", p)) for p in ("dashboard.view", "reports.view", "reports.export")],  # "*"
        *[("grant", "role_permissions", ("analyst", p)) for p in ("dashboard.view", "reports.view", "reports.export")],
        ("grant", "role_permissions", ("viewer", "dashboard.view"))]
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    assert "invariants 0/3 -> 3/3" in out  # the rbac spec's own invariants
    assert sorted(query(db, "SELECT id, name, description FROM roles")) == [
        (1, "admin", "Everything"), (2, "analyst", "Reads reports"), (3, "viewer", None)]
    assert grants(db) == {("admin", "dashboard.view"), ("admin", "reports.view"), ("admin", "reports.export"),
                          ("analyst", "dashboard.view"), ("analyst", "reports.view"), ("analyst", "reports.export"),
                          ("viewer", "dashboard.view")}
    assert plan_json(recon, specs, db)["units"] == []


def test_existing_rows_are_completed_and_corrected_and_kept_without_prune(recon, db, specs):
    db.run(dialect_sql(db, EXISTING))
    write(specs, "rbac", RBAC)
    plan = plan_json(recon, specs, db)
    changes = row_changes(plan)
    update = next(a for a in plan["actions"] if a["op"] == "update_rows")
    assert (update["object"], update["reason"], update["rows"], update["was"]) == ("roles", "1 role differs in description", [["admin", "Everything"]], [["Old text"]])
    assert not any(op == "insert_rows" and row[0] in ("admin", "dashboard.view") for op, _, row in changes)
    assert ("grant", "role_permissions", ("admin", "dashboard.view")) not in changes
    assert not any(a["destructive"] for a in plan["actions"])
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    assert sorted(query(db, "SELECT id, name FROM roles")) == [(10, "admin"), (11, "intern"), (12, "analyst"), (13, "viewer")]
    assert {("admin", "legacy.thing"), ("intern", "dashboard.view")} <= grants(db)  # not declared, but no prune
    assert plan_json(recon, specs, db)["units"] == []


def test_prune_revokes_and_deletes_what_is_not_declared_only_when_allowed(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, EXISTING))
    write(specs, "rbac", RBAC.replace("prune: false", "prune: true"))
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    plan = json.loads(path.read_text())
    destructive = [(a["op"], a["object"], a["rows"], a["affected"]) for a in plan["actions"] if a["destructive"]]
    assert destructive == [("revoke", "role_permissions", [["admin", "legacy.thing"]], [1]),
                           ("delete_rows", "roles", [["intern"]], [1, 1]),  # intern's one grant, then intern
                           ("delete_rows", "permissions", [["legacy.thing"]], [0, 1])]  # its one grant was revoked above
    assert all(a["codes"][0]["code"] == "RC106" for a in plan["actions"] if a["destructive"])
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 3 and "RC106" in err
    code, _, err = recon("apply", path, "--db", db.url, "--allow-destructive")
    assert code == 0, err
    assert sorted(query(db, "SELECT name FROM roles")) == [("admin",), ("analyst",), ("viewer",)]
    assert sorted(query(db, 'SELECT "key" FROM permissions')) == [("dashboard.view",), ("reports.export",), ("reports.view",)]
    assert ("intern", "dashboard.view") not in grants(db) and len(grants(db)) == 7
    assert plan_json(recon, specs, db)["units"] == []


def test_generated_ids_are_left_to_the_database(recon, db, specs):
    identity = {"postgresql": "integer GENERATED BY DEFAULT AS IDENTITY", "mysql": "integer NOT NULL AUTO_INCREMENT",
                "sqlite": "INTEGER NOT NULL"}[db.dialect]
    db.run(dialect_sql(db, EXISTING.replace("id integer NOT NULL, name", f"id {identity}, name")))
    write(specs, "rbac", RBAC)
    plan = plan_json(recon, specs, db)
    role_insert = next(a for a in plan["actions"] if a["object"] == "roles" and ["analyst", "Reads reports"] in a["rows"])
    assert "MAX(" not in role_insert["sql"][0] and role_insert["rows"] == [["analyst", "Reads reports"]]
    perm_insert = next(a for a in plan["actions"] if a["object"] == "permissions" and a["op"] == "insert_rows")
    # permissions.id has no default: recon numbers new rows, except on SQLite, where an
    # INTEGER primary key is the rowid and numbered by SQLite itself
    assert ("MAX(" in perm_insert["sql"][0]) == (db.dialect != "sqlite")
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    ids = dict(query(db, "SELECT name, id FROM roles"))
    assert len(set(ids.values())) == 4 and ids["intern"] == 11
    assert sorted(i for (i,) in query(db, "SELECT id FROM permissions")) == [20, 21, 22, 23]
    assert plan_json(recon, specs, db)["units"] == []


@pytest.mark.parametrize("change", ["DELETE FROM role_permissions WHERE role_id = 10 AND permission_id = 20",
                                    "UPDATE roles SET description = 'Edited' WHERE name = 'admin'"])
def test_a_grant_or_role_changed_after_planning_makes_the_plan_stale(recon, db, specs, tmp_path, change):
    db.run(dialect_sql(db, EXISTING))
    write(specs, "rbac", RBAC)
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    db.run(dialect_sql(db, change))
    before = grants(db)
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 3 and "plan is stale" in err and grants(db) == before


def test_grants_of_undeclared_roles_are_not_read_without_prune(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, EXISTING))
    write(specs, "rbac", RBAC)
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    db.run(dialect_sql(db, "INSERT INTO role_permissions (role_id, permission_id) VALUES (11, 21)"))  # intern is not declared
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 0, err
    assert grants(db) == DECLARED | {("admin", "legacy.thing"), ("intern", "dashboard.view"), ("intern", "legacy.thing")}
    assert sorted(query(db, "SELECT id, name, description FROM roles")) == [
        (10, "admin", "Everything"), (11, "intern", "Not declared"), (12, "analyst", "Reads reports"), (13, "viewer", None)]


def test_tables_recon_cannot_write_are_spec_errors(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE roles (code varchar(20) NOT NULL, name varchar(100) NOT NULL UNIQUE, CONSTRAINT roles_pkey PRIMARY KEY (code));
        CREATE TABLE permissions (id integer NOT NULL, "key" varchar(150) NOT NULL UNIQUE);
        CREATE TABLE role_permissions (role_id varchar(20) NOT NULL, permission_id integer NOT NULL, PRIMARY KEY (role_id, permission_id))
        """))
    write(specs, "rbac", RBAC.replace("description: description}", "}"))
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "Traceback" not in err
    assert "rbac.yaml:1: rbac core: tables: roles.code has no default and is not an integer" in err
    db.run(dialect_sql(db, "DROP TABLE roles;\nCREATE TABLE roles (id integer NOT NULL, name varchar(100) NOT NULL, CONSTRAINT roles_pkey PRIMARY KEY (id))"))
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1
    assert ("cannot tell which column of permissions role_permissions.permission_id references: declare a foreign key,"
            " or give permissions a one-column primary key") in err


def test_sqlite_without_rowid_ids_are_numbered_by_recon(recon, sqlite_db, specs):
    sqlite_db.run(EXISTING.replace("CONSTRAINT roles_name_key UNIQUE (name));", "CONSTRAINT roles_name_key UNIQUE (name)) WITHOUT ROWID;"))
    write(specs, "rbac", RBAC)
    plan = plan_json(recon, specs, sqlite_db)
    assert "MAX(" in next(a for a in plan["actions"] if a["object"] == "roles" and a["op"] == "insert_rows")["sql"][0]
    code, _, err = recon("apply", "--specs", specs, "--db", sqlite_db.url, "--auto-approve")
    assert code == 0, err
    assert sorted(query(sqlite_db, "SELECT id, name FROM roles")) == [(10, "admin"), (11, "intern"), (12, "analyst"), (13, "viewer")]
    assert sorted(query(sqlite_db, 'SELECT id, "key" FROM permissions')) == [
        (20, "dashboard.view"), (21, "legacy.thing"), (22, "reports.view"), (23, "reports.export")]
    assert DECLARED <= grants(sqlite_db)
    assert plan_json(recon, specs, sqlite_db)["units"] == []


def test_rbac_tables_in_another_schema_with_a_description_column_still_to_come(recon, postgres_db, specs):
    postgres_db.run("""CREATE SCHEMA auth;
CREATE TABLE auth.roles (id integer PRIMARY KEY, name varchar(100) NOT NULL UNIQUE);
CREATE TABLE auth.permissions (id integer PRIMARY KEY, key varchar(150) NOT NULL UNIQUE, description text);
CREATE TABLE auth.role_permissions (role_id integer NOT NULL REFERENCES auth.roles (id),
    permission_id integer NOT NULL REFERENCES auth.permissions (id), PRIMARY KEY (role_id, permission_id));
INSERT INTO auth.roles (id, name) VALUES (10, 'admin')""")
    write(specs, "unit", """
        kind: migration
        id: A-1-role-descriptions
        scope: schema
        operations:
          - add_column: {table: auth.roles, name: description, type: text}
        """)
    write(specs, "rbac", RBAC.replace("{table: roles", "{table: auth.roles").replace("{table: permissions", "{table: auth.permissions")
          .replace("{table: role_permissions", "{table: auth.role_permissions"))
    plan = plan_json(recon, specs, postgres_db)
    assert ("update_rows", "auth.roles", "1 role differs in description", [["admin", "Everything"]], [[None]]) in [
        (a["op"], a["object"], a["reason"], a["rows"], a["was"]) for a in plan["actions"]]
    code, _, err = recon("apply", "--specs", specs, "--db", postgres_db.url, "--auto-approve")
    assert code == 0, err
    assert sorted(query(postgres_db, "SELECT id, name, description FROM auth.roles")) == [
        (10, "admin", "Everything"), (11, "analyst", "Reads reports"), (12, "viewer", None)]
    assert grants(postgres_db, "auth.") == DECLARED and query(postgres_db, "SELECT count(*) FROM public.recon_ledger") == [(2,)]
    assert plan_json(recon, specs, postgres_db)["units"] == []


def test_a_key_column_a_pending_unit_adds_defers_the_rbac_spec(recon, postgres_db, specs):
    postgres_db.run("""CREATE TABLE roles (id serial PRIMARY KEY, title text);
CREATE TABLE permissions (id serial PRIMARY KEY, "key" varchar(150) NOT NULL UNIQUE, description text);
CREATE TABLE role_permissions (role_id integer NOT NULL REFERENCES roles (id), permission_id integer NOT NULL REFERENCES permissions (id),
    PRIMARY KEY (role_id, permission_id))""")
    write(specs, "unit", "kind: migration\nid: R-1\nscope: schema\noperations:\n"
                         "  - add_column: {table: roles, name: name, type: varchar(50), nullable: true, unique: true}\n"
                         "  - add_column: {table: roles, name: description, type: text}\n")
    write(specs, "rbac", RBAC)
    plan = plan_json(recon, specs, postgres_db)
    assert [u["id"] for u in plan["units"]] == ["R-1"]
    assert any("rbac core: roles.name comes with a pending unit" in w for w in plan["warnings"])
    code, _, err = recon("apply", "--specs", specs, "--db", postgres_db.url, "--auto-approve")
    assert code == 0, err
    assert [r[:2] for r in ledger_rows(postgres_db)] == [("R-1", "applied")] and query(postgres_db, "SELECT count(*) FROM roles") == [(0,)]
    code, _, err = recon("apply", "--specs", specs, "--db", postgres_db.url, "--auto-approve")
    assert code == 0, err
    assert [r[:2] for r in ledger_rows(postgres_db)] == [("R-1", "applied"), ("rbac:core", "applied")]
    assert sorted(query(postgres_db, "SELECT name, description, title FROM roles")) == [
        ("admin", "Everything", None), ("analyst", "Reads reports", None), ("viewer", None, None)]
    assert grants(postgres_db) == DECLARED
    assert plan_json(recon, specs, postgres_db)["units"] == []


def test_every_table_problem_is_reported(recon, sqlite_db, specs):
    write(specs, "rbac", RBAC.replace("{table: roles, key: name", "{table: rolez, key: name").replace("key: key, description", "key: kee, description"))
    sqlite_db.run(EXISTING)
    code, _, err = recon("plan", "--specs", specs, "--db", sqlite_db.url)
    assert code == 1
    assert "table rolez does not exist, and no pending unit creates it" in err and "permissions has no column kee" in err


def test_mysql_case_insensitive_names_satisfy_the_rbac_invariants(recon, mysql_db, specs):
    mysql_db.run(dialect_sql(mysql_db, EXISTING.replace("'admin'", "'Admin'").replace("'dashboard.view'", "'Dashboard.View'")))
    write(specs, "rbac", RBAC)
    code, out, err = recon("apply", "--specs", specs, "--db", mysql_db.url, "--auto-approve")
    assert code == 0, err
    assert re.search(r"invariants \d/3 -> 3/3", out), out
    assert sorted(query(mysql_db, "SELECT id, name, description FROM roles")) == [  # Admin is admin: no second row
        (10, "Admin", "Everything"), (11, "intern", "Not declared"), (12, "analyst", "Reads reports"), (13, "viewer", None)]
    assert {(r.lower(), p.lower()) for r, p in grants(mysql_db)} >= DECLARED
    assert query(mysql_db, 'SELECT count(*) FROM permissions WHERE "key" = \'dashboard.view\'') == [(1,)]
    assert plan_json(recon, specs, mysql_db)["units"] == []


def test_sqlite_integer_primary_key_desc_is_not_the_rowid(recon, sqlite_db, specs):
    sqlite_db.run(EXISTING.replace("CREATE TABLE roles (id integer NOT NULL, name varchar(100) NOT NULL, description text,\n    CONSTRAINT roles_pkey PRIMARY KEY (id), ",
                                   "CREATE TABLE roles (id INTEGER PRIMARY KEY DESC, name varchar(100) NOT NULL, description text,\n    "))
    write(specs, "rbac", RBAC)
    code, _, err = recon("apply", "--specs", specs, "--db", sqlite_db.url, "--auto-approve")
    assert code == 0, err
    assert sorted(query(sqlite_db, "SELECT id, name FROM roles")) == [(10, "admin"), (11, "intern"), (12, "analyst"), (13, "viewer")]
    assert DECLARED <= grants(sqlite_db)
    assert plan_json(recon, specs, sqlite_db)["units"] == []


def test_sqlite_primary_key_desc_in_any_spelling_is_not_the_rowid(recon, sqlite_db, specs):
    sqlite_db.run("""CREATE TABLE roles (id INTEGER NOT NULL CONSTRAINT roles_pk PRIMARY KEY DESC, name varchar(100) NOT NULL UNIQUE, description text);
CREATE TABLE permissions (id INTEGER NOT NULL PRIMARY KEY DESC, "key" varchar(150) NOT NULL UNIQUE, description text);
CREATE TABLE role_permissions (role_id integer NOT NULL REFERENCES roles (id), permission_id integer NOT NULL REFERENCES permissions (id),
    PRIMARY KEY (role_id, permission_id));""")
    write(specs, "rbac", RBAC)
    code, _, err = recon("apply", "--specs", specs, "--db", sqlite_db.url, "--auto-approve")
    assert code == 0, err
    assert sorted(query(sqlite_db, "SELECT id, name FROM roles")) == [(1, "admin"), (2, "analyst"), (3, "viewer")]
    assert sorted(query(sqlite_db, 'SELECT id, "key" FROM permissions')) == [  # recon numbers new rows in key order
        (1, "dashboard.view"), (2, "reports.export"), (3, "reports.view")]
    assert grants(sqlite_db) == DECLARED
    assert plan_json(recon, specs, sqlite_db)["units"] == []
