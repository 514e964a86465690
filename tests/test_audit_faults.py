"""An audit completes whatever one check's query does: a refused query is that check's failure.

PostgreSQL and MariaDB: a login of its own without SELECT on some tables (created here, dropped
afterwards). SQLite has no privileges; its nearest fault the catalog cannot foresee is a query
that fails at run time: a view over a table dropped since (``no such table``) and a view whose
column is computed from stored text that is not JSON (``malformed JSON``, raised only when a
row is read).
"""

from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from support import RECON_VARIABLES, dialect_sql, recon_bin, write

import engine

PASSWORD = "Audit-Secret-9"

SCHEMA = """
CREATE TABLE roles (id integer PRIMARY KEY, name varchar(50) NOT NULL UNIQUE);
CREATE TABLE permissions (id integer PRIMARY KEY, "key" varchar(50) NOT NULL UNIQUE);
CREATE TABLE role_permissions (role_id integer NOT NULL, permission_id integer NOT NULL, PRIMARY KEY (role_id, permission_id));
INSERT INTO roles (id, name) VALUES (1, 'admin'), (2, 'viewer');
INSERT INTO permissions (id, "key") VALUES (1, 'dashboard.view');
INSERT INTO role_permissions (role_id, permission_id) VALUES (1, 1)
"""

SECRET = """
CREATE TABLE secret (id integer PRIMARY KEY, name varchar(50));
INSERT INTO secret (id, name) VALUES (1, 'a')
"""

# SQLite: ``secret`` and ``role_permissions`` are views that read their rows out of JSON text,
# one row of which is not JSON: the catalog shows ordinary views, a read fails at run time.
SQLITE_FAULTS = """
DROP TABLE role_permissions;
CREATE TABLE grants_doc (id integer PRIMARY KEY, body text);
INSERT INTO grants_doc (id, body) VALUES (1, '{"role": 1, "permission": 1}'), (2, 'not json');
CREATE VIEW role_permissions AS SELECT json_extract(body, '$.role') AS role_id, json_extract(body, '$.permission') AS permission_id FROM grants_doc;
CREATE TABLE secret_doc (id integer PRIMARY KEY, body text);
INSERT INTO secret_doc (id, body) VALUES (1, '{"name": "a", "visible": true}'), (2, '{"name": "b"');
CREATE VIEW secret AS SELECT id, json_extract(body, '$.name') AS name FROM secret_doc WHERE json_extract(body, '$.visible');
"""

SPECS = {
    "fingerprint": """
        kind: fingerprint
        name: startup
        checks:
          - table: roles
          - table: secret
          - column: roles.label
    """,
    "invariants": """
        kind: invariants
        checks:
          - name: secret-count
            row_count: {table: secret}
            min: 1
          - name: secret-sql
            sql: SELECT count(*) FROM secret
            expect: 1
          - name: secret-names
            rows_exist: {table: secret, column: name, values: [a]}
          - name: two-roles
            row_count: {table: roles}
            equals: 2
    """,
    "rbac": """
        kind: rbac
        name: core
        tables:
          roles: {table: roles, key: name}
          permissions: {table: permissions, key: key}
          grants: {table: role_permissions, role: role_id, permission: permission_id}
        permissions:
          - {key: dashboard.view, critical: true}
        roles:
          - {name: admin, grants: ["*"]}
    """,
}

# What the server says when it refuses the read of ``secret`` (and of the grants).
REFUSED = {
    "postgresql": ("permission denied for table secret", "permission denied for table role_permissions"),
    "mysql": ("SELECT command denied", "SELECT command denied"),
    "sqlite": ("malformed JSON", "malformed JSON"),
}


@contextmanager
def login_without_select(db, readable: list[str], visible: list[str], creates: list[str] = ()):
    """A URL for a new login that may SELECT only ``readable`` tables (and sees ``visible`` ones in
    the catalog without reading them), and may create and use the tables ``creates`` names;
    SQLite: the database's own URL. Dropped on exit."""
    if db.dialect == "sqlite":
        yield db.url
        return
    name = f"recon_nosel_{uuid.uuid4().hex[:8]}"
    url = sa.engine.make_url(db.url)
    if db.dialect == "postgresql":
        setup = [f'CREATE ROLE "{name}" LOGIN PASSWORD \'{PASSWORD}\'', f'GRANT CONNECT ON DATABASE "{url.database}" TO "{name}"',
                 f'GRANT USAGE, CREATE ON SCHEMA public TO "{name}"'] + [f'GRANT SELECT ON "{t}" TO "{name}"' for t in readable]
        teardown = [f'DROP OWNED BY "{name}"', f'DROP ROLE "{name}"']
    else:
        user = f"'{name}'@'%%'"  # '%' doubled: the driver formats the text
        setup = [f"CREATE USER {user} IDENTIFIED BY '{PASSWORD}'"]
        setup += [f"GRANT SELECT ON `{url.database}`.`{t}` TO {user}" for t in readable]
        # INSERT only: the table is in the catalog (information_schema shows what one may touch), not readable
        setup += [f"GRANT INSERT ON `{url.database}`.`{t}` TO {user}" for t in visible]
        # a grant on a table that does not exist yet must include CREATE (PostgreSQL: the creator owns it)
        setup += [f"GRANT SELECT, CREATE, ALTER, INDEX, INSERT, UPDATE, DELETE ON `{url.database}`.`{t}` TO {user}" for t in creates]
        teardown = [f"DROP USER {user}"]
    db.run(setup[0])  # the login alone first: a failing grant below still drops it
    try:
        db.run(";\n".join(setup[1:]))
        yield url.set(username=name, password=PASSWORD).render_as_string(hide_password=False)
    finally:
        db.run(";\n".join(teardown))


def faulty(db, specs: Path) -> None:
    """The schema, its unreadable parts, and specs whose checks read them."""
    db.run(dialect_sql(db, SCHEMA))
    db.run(dialect_sql(db, SECRET) if db.dialect != "sqlite" else SQLITE_FAULTS.strip())
    for name, text in SPECS.items():
        write(specs, name, text)


def test_a_refused_invariant_query_fails_that_check_and_the_audit_completes(db, specs, recon):
    faulty(db, specs)
    with login_without_select(db, ["roles", "permissions"], ["secret", "role_permissions"]) as url:
        code, out, err = recon("audit", "--strict", "--specs", specs, "--db", url, "--format", "json")
        text_code, text_out, _ = recon("audit", "--specs", specs, "--db", url)
        api = {c.name: c for c in engine.audit(engine.load_specs(specs), url).invariants.checks}
    assert code == 2, err  # a failing check, not an error
    report = json.loads(out)
    assert PASSWORD not in out + err + text_out
    canaries = {c["name"]: c["status"] for c in report["fingerprint"]["checks"]}
    assert canaries == {"roles": "pass", "secret": "pass", "roles.label": "fail"}
    assert report["fingerprint"]["passed"] == 2 and report["fingerprint"]["total"] == 3
    checks = {c["name"]: c for c in report["invariants"]["checks"]}
    secret, grants = REFUSED[db.dialect]
    refused = ["secret-count", "secret-sql", "secret-names"]
    for name in refused:
        assert checks[name]["status"] == "fail" and api[name].passed is False
        assert checks[name]["detail"].startswith("query failed: ") and secret in checks[name]["detail"], checks[name]
    critical = checks["rbac:core:critical-granted"]
    assert critical["status"] == "fail" and grants in critical["detail"], critical
    # the checks after a refused one still run in the same read-only transaction, and pass
    for name in ("two-roles", "rbac:core:roles-exist", "rbac:core:permissions-exist"):
        assert checks[name]["status"] == "pass", checks[name]
    assert checks["two-roles"]["observed"] == 2
    assert report["invariants"]["total"] == 7 and report["invariants"]["passed"] == 3
    assert text_code == 0 and "FAIL secret-count: query failed: " in text_out and "fingerprint 2/3" in text_out


installed_recon = recon_bin


def test_the_installed_recon_reports_a_refused_query_as_a_failing_check(postgres_db, specs, tmp_path):
    import subprocess

    faulty(postgres_db, specs)
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    with login_without_select(postgres_db, ["roles", "permissions"], []) as url:
        done = subprocess.run([installed_recon(), "audit", "--strict", "--specs", str(specs), "--db", url, "--report", str(tmp_path / "r.json")],
                              check=False, capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and PASSWORD not in done.stdout + done.stderr
    assert "FAIL secret-count: query failed: permission denied for table secret" in done.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["fingerprint"]["total"] == 3 and report["ok"] is False


UNIT = """
kind: migration
id: U1-audit-note
scope: schema
operations:
  - create_table: {table: audit_note, columns: [{name: id, type: integer, primary_key: true}]}
"""


def test_apply_reports_a_refused_invariant_before_and_after_and_applies(db, specs, recon, tmp_path):
    faulty(db, specs)
    write(specs, "unit", UNIT)
    plan = tmp_path / "plan.json"
    code, _, err = recon("plan", "--specs", specs, "--db", db.url, "--scope", "schema", "--out", plan)  # the rbac rows are not its business
    assert code == 0, err
    with login_without_select(db, ["roles", "permissions"], ["secret", "role_permissions"], ["audit_note", "recon_ledger"]) as url:
        code, out, err = recon("apply", plan, "--db", url, "--format", "json")
        created = db.scalar("SELECT count(*) FROM audit_note")  # before the login goes (on PostgreSQL with what it owns)
    assert code == 0, err
    report = json.loads(out)
    assert [u["status"] for u in report["units"]] == ["applied"]
    for when in ("before", "after"):
        checks = {c["name"]: c for c in report[when]["invariants"]["checks"]}
        assert checks["secret-count"]["status"] == "fail" and REFUSED[db.dialect][0] in checks["secret-count"]["detail"]
        assert checks["two-roles"]["status"] == "pass"
    assert created == 0  # the unit ran: its table is there, empty
    assert PASSWORD not in out + err


def test_a_refused_query_leaves_the_transaction_usable(postgres_db, specs):
    """PostgreSQL aborts a transaction at a failed statement: each invariant runs in a savepoint."""
    faulty(postgres_db, specs)
    with login_without_select(postgres_db, ["roles", "permissions", "role_permissions"], []) as url:
        report = engine.audit(engine.load_specs(specs), url)
    checks = {c.name: c for c in report.invariants.checks}
    assert not checks["secret-count"].passed and not checks["secret-sql"].passed
    assert "current transaction is aborted" not in str(report.to_dict())
    assert checks["two-roles"].passed and checks["rbac:core:critical-granted"].passed, checks


def test_sqlite_a_view_over_a_dropped_table_fails_its_checks_alone(sqlite_db, specs, recon):
    """SQLite lets a table go from under its view; the catalog still lists the view."""
    sqlite_db.run(SCHEMA.strip() + ";\nCREATE TABLE gone (id integer, name text);\nCREATE VIEW secret AS SELECT id, name FROM gone;\nDROP TABLE gone;")
    for name, text in SPECS.items():
        write(specs, name, text)
    code, out, err = recon("audit", "--strict", "--specs", specs, "--db", sqlite_db.url, "--format", "json")
    assert code == 2, err
    report = json.loads(out)
    checks = {c["name"]: c for c in report["invariants"]["checks"]}
    for name in ("secret-count", "secret-sql"):
        assert checks[name]["status"] == "fail" and checks[name]["detail"] == "query failed: no such table: main.gone", checks[name]
    assert checks["two-roles"]["status"] == "pass" and checks["rbac:core:critical-granted"]["status"] == "pass"
    assert {c["name"]: c["status"] for c in report["fingerprint"]["checks"]}["secret"] == "pass"


LEDGER_SPECS = {
    "fingerprint": "kind: fingerprint\nname: startup\nchecks:\n  - table: roles\n  - column: roles.label\n",
    "invariants": "kind: invariants\nchecks:\n  - name: two-roles\n    row_count: {table: roles}\n    equals: 2\n",
    "unit": UNIT,
}
# What the server says when the login may not read the ledger. SQLite: the ledger is a view whose
# rows come out of text that is not JSON (the nearest fault a catalog cannot foresee).
LEDGER_REFUSED = {"postgresql": "permission denied for table recon_ledger", "mysql": "SELECT command denied to user",
                  "sqlite": "malformed JSON"}
SQLITE_LEDGER = """
DROP TABLE recon_ledger;
CREATE TABLE ledger_doc (body text);
INSERT INTO ledger_doc (body) VALUES ('{"seq": 1, "unit": "U1-audit-note", "status": "applied"}'), ('not json');
CREATE VIEW recon_ledger AS SELECT json_extract(body, '$.seq') AS seq, json_extract(body, '$.unit') AS unit,
  json_extract(body, '$.status') AS status FROM ledger_doc;
"""


def test_a_ledger_the_login_cannot_read_leaves_drift_unchecked_and_the_audit_completes(db, specs, recon):
    """Before: the refused ledger read ended the audit, exit 1, every result lost; on MariaDB, whose catalog
    hides the ledger from the login, no drift was reported as if there were none."""
    db.run(dialect_sql(db, SCHEMA))
    for name, text in LEDGER_SPECS.items():
        write(specs, name, text)
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    db.run("DROP TABLE audit_note")  # drift: the unit's table is gone
    code, out, _ = recon("audit", "--specs", specs, "--db", db.url, "--format", "json")
    assert [d["kind"] for d in json.loads(out)["drift"]] == ["effect_missing"] and json.loads(out)["warnings"] == []
    if db.dialect == "sqlite":
        db.run(SQLITE_LEDGER.strip())
    with login_without_select(db, ["roles", "permissions"], []) as url:
        code, out, err = recon("audit", "--specs", specs, "--db", url, "--format", "json")
        text_code, text, text_err = recon("audit", "--strict", "--specs", specs, "--db", url)
    assert code == 0, err
    report = json.loads(out)
    assert report["drift"] == [] and len(report["warnings"]) == 1, report["warnings"]
    warning = report["warnings"][0]
    assert warning.startswith("drift not checked: the ledger recon_ledger cannot be read: ") and LEDGER_REFUSED[db.dialect] in warning
    assert {c["name"]: c["status"] for c in report["fingerprint"]["checks"]} == {"roles": "pass", "roles.label": "fail"}
    assert [(c["name"], c["status"], c["observed"]) for c in report["invariants"]["checks"]] == [("two-roles", "pass", 2)]
    assert text_code == 2 and f"warning: {warning}" in text.splitlines()  # --strict: the failing canary, not the ledger
    assert "fingerprint 1/2 (missing: roles.label)" in text and "Traceback" not in err + text_err
    assert PASSWORD not in out + err + text + text_err


def test_mariadb_no_ledger_at_all_is_no_warning(mysql_db, specs, recon):
    """A database without a ledger is normal: a login that may read it hears nothing of drift. One that
    may not cannot tell (MariaDB says `SELECT command denied` of a table that does not exist too)."""
    mysql_db.run(dialect_sql(mysql_db, SCHEMA))
    for name, text in LEDGER_SPECS.items():
        write(specs, name, text)
    report = engine.audit(engine.load_specs(specs), mysql_db.url)
    assert report.warnings == () and report.drift == () and report.fingerprint.passed == 1
    with login_without_select(mysql_db, ["roles", "permissions"], []) as url:
        report = engine.audit(engine.load_specs(specs), url)
    assert len(report.warnings) == 1 and "SELECT command denied" in report.warnings[0], report.warnings
    assert report.invariants.passed == 1


def test_the_installed_recon_audits_without_the_ledger(postgres_db, specs, tmp_path):
    import subprocess

    postgres_db.run(SCHEMA)
    for name, text in LEDGER_SPECS.items():
        write(specs, name, text)
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    done = subprocess.run([installed_recon(), "apply", "--specs", str(specs), "--db", postgres_db.url, "--auto-approve"],
                          check=False, capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with login_without_select(postgres_db, ["roles", "permissions"], []) as url:
        done = subprocess.run([installed_recon(), "audit", "--specs", str(specs), "--db", url], check=False,
                              capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert ("warning: drift not checked: the ledger recon_ledger cannot be read: permission denied for table recon_ledger"
            in done.stdout.splitlines())
    assert "invariants 1/1" in done.stdout and PASSWORD not in done.stdout + done.stderr
