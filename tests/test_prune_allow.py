"""Prune allowed where it is declared: ``allow: [RC106]`` on a seed or rbac spec, as on a unit.

Without it apply refuses (exit 3) and says what to write on which spec, and which stored rows
the prune would delete; with it that spec's prune runs, and nothing else is unlocked. The
rows are read back with plain SQL on each of SQLite, PostgreSQL and MariaDB (``db``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import sqlalchemy as sa
from support import RECON_VARIABLES, dialect_sql, recon_bin, write

SETTINGS = """
CREATE TABLE settings ("key" varchar(50) NOT NULL, value text, CONSTRAINT settings_pkey PRIMARY KEY ("key"));
CREATE TABLE items (id integer NOT NULL PRIMARY KEY, legacy varchar(20));
INSERT INTO settings ("key", value) VALUES ('theme', 'light'), ('legacy', 'x'), ('old_1', 'a'), ('old_2', 'b'),
    ('old_3', 'c'), ('old_4', 'd'), ('old_5', 'e'), ('old_6', 'f')
"""

SEED = """
kind: seed
name: defaults
table: settings
key: [key]
rows:
  - {key: theme, value: light}
prune: true
"""

DROP_UNIT = """
kind: migration
id: D1-drop-legacy
scope: schema
operations:
  - drop_column: {table: items, name: legacy}
"""

RBAC_TABLES = """
CREATE TABLE roles (id integer NOT NULL, name varchar(100) NOT NULL,
    CONSTRAINT roles_pkey PRIMARY KEY (id), CONSTRAINT roles_name_key UNIQUE (name));
CREATE TABLE permissions (id integer NOT NULL, "key" varchar(150) NOT NULL,
    CONSTRAINT permissions_pkey PRIMARY KEY (id), CONSTRAINT permissions_key_key UNIQUE ("key"));
CREATE TABLE role_permissions (role_id integer NOT NULL, permission_id integer NOT NULL,
    CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission_id),
    CONSTRAINT rp_role_fkey FOREIGN KEY (role_id) REFERENCES roles (id),
    CONSTRAINT rp_permission_fkey FOREIGN KEY (permission_id) REFERENCES permissions (id));
INSERT INTO roles (id, name) VALUES (10, 'admin'), (11, 'intern');
INSERT INTO permissions (id, "key") VALUES (20, 'dashboard.view'), (21, 'legacy.thing');
INSERT INTO role_permissions (role_id, permission_id) VALUES (10, 20), (10, 21), (11, 20)
"""

RBAC = """
kind: rbac
name: core
tables:
  roles:       {table: roles, key: name}
  permissions: {table: permissions, key: key}
  grants:      {table: role_permissions, role: role_id, permission: permission_id}
permissions:
  - {key: dashboard.view}
roles:
  - {name: admin, grants: [dashboard.view]}
prune: true
"""


def stored(db, sql: str) -> list[tuple]:
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            return sorted(tuple(r) for r in conn.exec_driver_sql(dialect_sql(db, sql)))
    finally:
        eng.dispose()


def settings(db) -> list[tuple]:
    return stored(db, 'SELECT "key", value FROM settings')


def plan_file(recon, specs, db, path: Path) -> dict:
    code, _, err = recon("plan", "--specs", specs, "--db", db.url, "--out", path)
    assert code == 0, err
    return json.loads(path.read_text())


def test_a_seed_prune_is_refused_naming_the_spec_and_its_rows_then_allowed_on_the_spec(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED)
    before = settings(db)
    plan_file(recon, specs, db, tmp_path / "plan.json")
    code, _, err = recon("apply", tmp_path / "plan.json", "--db", db.url)
    assert code == 3, err
    assert f"allow it with allow: [RC106] on seed spec defaults ({specs / 'seed.yaml'}:1)" in err
    assert "seed:defaults: RC106 delete_rows settings" in err
    assert "deletes 7 existing rows of settings, key = 'legacy', 'old_1', 'old_2', 'old_3', 'old_4' and 2 more" in err
    assert "allow it on the unit" not in err and "--allow-destructive" in err
    assert settings(db) == before  # refused before anything ran

    write(specs, "seed", SEED + "allow: [RC106]\n")
    plan = plan_file(recon, specs, db, tmp_path / "allowed.json")
    assert [(u["id"], u["allow"]) for u in plan["units"]] == [("seed:defaults", ["RC106"])]
    code, _, err = recon("apply", tmp_path / "allowed.json", "--db", db.url)
    assert code == 0, err
    assert settings(db) == [("theme", "light")]


def test_an_rbac_prune_is_refused_naming_the_spec_and_its_keys_then_allowed_on_the_spec(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, RBAC_TABLES))
    write(specs, "rbac", RBAC)
    grants = 'SELECT r.name, p."key" FROM role_permissions g JOIN roles r ON r.id = g.role_id JOIN permissions p ON p.id = g.permission_id'
    before = stored(db, grants)
    plan_file(recon, specs, db, tmp_path / "plan.json")
    code, _, err = recon("apply", tmp_path / "plan.json", "--db", db.url)
    assert code == 3, err
    assert "rbac:core: RC106 revoke role_permissions" in err
    assert "deletes 1 existing row of role_permissions, (role, permission) = ('admin', 'legacy.thing')" in err
    assert "deletes 1 existing row of roles, name = 'intern'" in err
    assert "deletes 1 existing row of permissions, key = 'legacy.thing'" in err
    assert f"allow it with allow: [RC106] on rbac spec core ({specs / 'rbac.yaml'}:1)" in err
    assert stored(db, grants) == before and stored(db, "SELECT name FROM roles") == [("admin",), ("intern",)]

    write(specs, "rbac", RBAC + "allow: [RC106]\n")
    plan_file(recon, specs, db, tmp_path / "allowed.json")
    code, _, err = recon("apply", tmp_path / "allowed.json", "--db", db.url)
    assert code == 0, err
    assert stored(db, grants) == [("admin", "dashboard.view")]
    assert stored(db, "SELECT name FROM roles") == [("admin",)]
    assert stored(db, 'SELECT "key" FROM permissions') == [("dashboard.view",)]


def columns(db, table: str) -> list[str]:
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        return [c["name"] for c in sa.inspect(eng).get_columns(table)]
    finally:
        eng.dispose()


def test_allow_on_a_seed_spec_does_not_unlock_a_drop_in_a_unit_of_the_same_plan(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, SETTINGS))
    write(specs, "seed", SEED + "allow: [RC106]\n")
    write(specs, "unit", DROP_UNIT)
    before = settings(db)
    plan_file(recon, specs, db, tmp_path / "plan.json")
    code, _, err = recon("apply", tmp_path / "plan.json", "--db", db.url)
    assert code == 3, err
    assert "D1-drop-legacy: RC102 drop_column items.legacy" in err
    assert f"allow it with allow: [RC102] on unit D1-drop-legacy ({specs / 'unit.yaml'})" in err
    assert "seed:defaults" not in err  # its prune is allowed: not among the refusals
    assert "legacy" in columns(db, "items") and settings(db) == before  # nothing ran, the seed's prune neither

    write(specs, "unit", DROP_UNIT.replace("scope: schema", "scope: schema\nallow: [RC102]"))
    plan_file(recon, specs, db, tmp_path / "allowed.json")
    code, _, err = recon("apply", tmp_path / "allowed.json", "--db", db.url)
    assert code == 0, err
    assert "legacy" not in columns(db, "items") and settings(db) == [("theme", "light")]


installed_recon = recon_bin


def test_validate_refuses_an_allow_code_a_seed_or_rbac_spec_cannot_raise(specs, tmp_path):
    """Paths show as given: relative to the folder recon runs in."""
    write(specs, "seed", SEED + "allow: [RC106, RC102]\n")
    write(specs, "rbac", RBAC + "allow:\n  - RC999\n")
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    done = subprocess.run([installed_recon(), "validate", "--specs", str(specs)], check=False, capture_output=True, text=True,
                          env=env, timeout=60, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ("specs/seed.yaml:8: allow[1]: RC102 (column dropped: its values are lost) is not raised by a seed spec: "
            "a seed spec can allow only RC106 (rows its prune deletes)") in done.stderr
    assert "specs/rbac.yaml:13: allow[0]: unknown safety code 'RC999': an rbac spec can allow only RC106" in done.stderr

    write(specs, "rbac", RBAC + "allow: [prune]\n")
    write(specs, "seed", SEED + "allow: [RC106, RC106]\n")
    done = subprocess.run([installed_recon(), "validate", "--specs", str(specs)], check=False, capture_output=True, text=True,
                          env=env, timeout=60, cwd=tmp_path)
    assert done.returncode == 1
    assert "specs/rbac.yaml:12: allow[0]: 'prune' is not a valid safety code (RCnnn)" in done.stderr
    assert "specs/seed.yaml:8: allow:" in done.stderr  # the same code twice
