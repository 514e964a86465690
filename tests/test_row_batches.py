"""Seed and rbac rows at scale: batched statements, keys the database enforces, exact staleness.

Each test gets its own database on SQLite, PostgreSQL and MariaDB (``db``). Chunk
boundaries are crossed with a small injected bind limit; rows are read back with plain
SQL; every case ends with a plan that is empty again.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import (
    RECON_VARIABLES,
    dialect_sql,
    plan_json,
    recon_bin,
    row_changes,
    stored_rows,
    write,
)

import engine
from engine.applying.applier import ApplyError
from engine.target.connection import make_target

KV = 'CREATE TABLE kv (k varchar(20) NOT NULL, v integer, CONSTRAINT kv_pkey PRIMARY KEY (k))'


def rows(db, sql: str) -> list[tuple]:
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            return sorted(tuple(r) for r in conn.exec_driver_sql(dialect_sql(db, sql)))
    finally:
        eng.dispose()


def seed(specs: Path, rows_: list[tuple], prune: bool = False, on_conflict: str = "update") -> None:
    body = "".join(f"  - {{k: {k}, v: {v}}}\n" for k, v in rows_)
    write(specs, "kv", f"kind: seed\nname: kv\ntable: kv\nkey: [k]\non_conflict: {on_conflict}\nprune: {str(prune).lower()}\nrows:\n{body}")


def applied(db, specs: Path, limit: int) -> dict[str, int]:
    """Plan and apply with ``limit`` binds per statement; the statements each unit sent, and an empty re-plan."""
    loaded = engine.load_specs(str(specs))
    plan = engine.plan(loaded, db.url, bind_limit=limit)
    report = engine.apply(plan, db.url, specs=loaded, allow_destructive=True, bind_limit=limit)
    assert engine.plan(loaded, db.url, bind_limit=limit).empty
    return {o.unit: o.statements for o in report.outcomes}


@pytest.mark.parametrize("count, statements", [(2, 1), (3, 2)])  # at the boundary (2 rows of 2 values = 4), and one past it
def test_seed_inserts_updates_and_deletes_are_chunked_at_the_bind_limit(db, specs, count, statements):
    db.run(dialect_sql(db, KV))
    seed(specs, [(f"a{i}", i) for i in range(count)])
    assert applied(db, specs, limit=4) == {"seed:kv": statements}
    assert rows(db, "SELECT k, v FROM kv") == [(f"a{i}", i) for i in range(count)]

    seed(specs, [(f"a{i}", i + 10) for i in range(count)] + [(f"b{i}", i) for i in range(count)], prune=False)
    assert applied(db, specs, limit=4) == {"seed:kv": 2 * statements}  # the inserts, then the updates (key + value: 2 a row)
    assert rows(db, "SELECT k, v FROM kv") == sorted([(f"a{i}", i + 10) for i in range(count)] + [(f"b{i}", i) for i in range(count)])

    seed(specs, [(f"b{i}", i) for i in range(count)], prune=True)
    plan = engine.plan(engine.load_specs(str(specs)), db.url, bind_limit=4)
    assert [(a.op, len(a.rows)) for a in plan.actions] == [("delete_rows", count)]
    assert applied(db, specs, limit=2) == {"seed:kv": statements}  # a delete binds the key only: 2 keys a statement
    assert rows(db, "SELECT k, v FROM kv") == [(f"b{i}", i) for i in range(count)]


def test_planning_reads_are_chunked_too(db, specs):
    db.run(dialect_sql(db, KV + ";\nINSERT INTO kv (k, v) VALUES ('a0', 0), ('a1', 1), ('a2', 2)"))
    seed(specs, [("a0", 0), ("a1", 5), ("a2", 2)])
    plan = engine.plan(engine.load_specs(str(specs)), db.url, bind_limit=2)
    assert len(plan.reads) == 2 and [len(r.params) if db.dialect != "postgresql" else len(r.params[0]) for r in plan.reads] == [2, 1]
    assert row_changes(json.loads(json.dumps(plan.to_dict()))) == [("update_rows", "kv", ("a1", 5))]


RBAC_TABLES = """
CREATE TABLE roles (id integer NOT NULL, name varchar(100) NOT NULL, description text,
    CONSTRAINT roles_pkey PRIMARY KEY (id), CONSTRAINT roles_name_key UNIQUE (name));
CREATE TABLE permissions (id integer NOT NULL, "key" varchar(150) NOT NULL,
    CONSTRAINT permissions_pkey PRIMARY KEY (id), CONSTRAINT permissions_key_key UNIQUE ("key"));
CREATE TABLE role_permissions (role_id integer NOT NULL, permission_id integer NOT NULL,
    CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission_id),
    CONSTRAINT rp_role_fkey FOREIGN KEY (role_id) REFERENCES roles (id),
    CONSTRAINT rp_permission_fkey FOREIGN KEY (permission_id) REFERENCES permissions (id))
"""


def rbac(specs: Path, roles: dict[str, list[str]], perms: list[str], prune: bool = False) -> None:
    role_text = "".join(f"  - {{name: {r}, grants: [{', '.join(g)}]}}\n" for r, g in roles.items())
    write(specs, "rbac", "kind: rbac\nname: core\ntables:\n  roles: {table: roles, key: name}\n  permissions: {table: permissions, key: key}\n"
          "  grants: {table: role_permissions, role: role_id, permission: permission_id}\n"
          f"prune: {str(prune).lower()}\npermissions:\n" + "".join(f"  - {{key: {p}}}\n" for p in perms) + "roles:\n" + role_text)


def grants(db) -> list[tuple]:
    return rows(db, 'SELECT r.name, p."key" FROM role_permissions g JOIN roles r ON r.id = g.role_id JOIN permissions p ON p.id = g.permission_id')


@pytest.mark.parametrize("count", [2, 3])  # with 2 binds a statement: 2 roles are one chunk, 3 one past it
def test_rbac_batches_are_chunked_at_the_bind_limit(db, specs, count):
    db.run(dialect_sql(db, RBAC_TABLES))
    perms = [f"p{i}" for i in range(count)]
    rbac(specs, {f"r{i}": perms for i in range(count)}, perms)
    # permissions and roles bind 1 value a row (2 a statement); each of the count^2 grants binds 2
    chunks = -(-count // 2)
    assert applied(db, specs, limit=2) == {"rbac:core": chunks + chunks + count * count}
    assert grants(db) == sorted((f"r{i}", p) for i in range(count) for p in perms)
    # numbered after MAX(id) where the id has no default (PostgreSQL, MariaDB here), chunk after chunk
    assert rows(db, "SELECT id, name FROM roles") == [(i + 1, f"r{i}") for i in range(count)]
    assert rows(db, 'SELECT id, "key" FROM permissions') == [(i + 1, f"p{i}") for i in range(count)]

    rbac(specs, {f"r{i}": perms[:1] for i in range(count)}, perms[:1] + ["extra"], prune=True)
    # with 1 bind a statement: the new permission, each revoke, and each deleted permission twice
    # (its grants, then itself): 1 deleted is at the boundary, 2 one past it
    revoked, deleted = count * (count - 1), count - 1
    assert applied(db, specs, limit=1) == {"rbac:core": 1 + revoked + 2 * deleted}
    assert grants(db) == sorted((f"r{i}", "p0") for i in range(count))
    assert rows(db, 'SELECT "key" FROM permissions') == [("extra",), ("p0",)]


def test_apply_sends_as_many_statements_for_300_grants_as_for_30(db, specs):
    db.run(dialect_sql(db, RBAC_TABLES))
    sent = []
    for width in (1, 3, 30):  # the first apply also creates the ledger
        perms = [f"p{width}x{i}" for i in range(width)]
        rbac(specs, {f"r{width}x{i}": perms for i in range(10)}, perms)
        loaded = engine.load_specs(str(specs))
        target = make_target(db.url)
        engine.apply(engine.plan(loaded, target), target, specs=loaded)
        sent.append(target.statements)
    assert sent[1] == sent[2], sent
    assert stored_rows(db, dialect_sql(db, """SELECT count(*) FROM role_permissions g JOIN roles r ON r.id = g.role_id
        JOIN permissions p ON p.id = g.permission_id WHERE substr(r.name, 1, 4) = 'r30x' AND substr(p."key", 1, 4) = 'p30x'""")) == [(300,)]


# -- keys the database enforces --------------------------------------------------------------------


def test_a_seed_key_no_unique_constraint_covers_is_refused(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE orders (id integer NOT NULL PRIMARY KEY, status varchar(20), label text);
        INSERT INTO orders (id, status, label) VALUES (1, 'open', 'a'), (2, 'open', 'b')
        """))
    write(specs, "s", "kind: seed\nname: statuses\ntable: orders\nkey: [status]\non_conflict: update\nrows: [{status: open, label: c}]\n")
    before = rows(db, "SELECT id, status, label FROM orders")
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "Traceback" not in err
    assert "s.yaml:1: seed statuses: key: key [status] of orders is not a key the database enforces" in err
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 1 and "is not a key the database enforces" in err
    assert rows(db, "SELECT id, status, label FROM orders") == before  # two rows would have been updated


def test_a_unique_constraint_covering_the_key_or_coming_with_a_pending_unit_is_enough(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE orders (id integer NOT NULL PRIMARY KEY, status varchar(20), region varchar(5), label text);
        INSERT INTO orders (id, status, region, label) VALUES (1, 'open', 'eu', 'a')
        """))
    write(specs, "u", "kind: migration\nid: U-1\nscope: schema\noperations:\n"
                      "  - add_constraint: {name: orders_status_key, table: orders, type: unique, columns: [status]}\n")
    # the key (status, region) is covered by a unique constraint on status alone, which U-1 adds
    write(specs, "s", "kind: seed\nname: statuses\ntable: orders\nkey: [status, region]\non_conflict: update\n"
                      "rows: [{status: open, region: eu, label: c}, {status: done, region: eu, id: 2, label: d}]\n")
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    assert rows(db, "SELECT id, status, label FROM orders") == [(1, "open", "c"), (2, "done", "d")]
    assert plan_json(recon, specs, db)["units"] == []


def test_a_partial_unique_index_does_not_make_a_key(recon, db, specs):
    if db.dialect == "mysql":
        pytest.skip("MySQL and MariaDB have no partial indexes")
    db.run(dialect_sql(db, """
        CREATE TABLE orders (id integer NOT NULL PRIMARY KEY, status varchar(20), label text);
        CREATE UNIQUE INDEX orders_open ON orders (status) WHERE status = 'open'
        """))
    write(specs, "s", "kind: seed\nname: statuses\ntable: orders\nkey: [status]\nrows: [{status: done, id: 1}]\n")
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "key [status] of orders is not a key the database enforces" in err


def test_rbac_keys_the_database_does_not_enforce_are_refused(recon, db, specs):
    db.run(dialect_sql(db, RBAC_TABLES.replace(", CONSTRAINT roles_name_key UNIQUE (name)", "")
                       .replace("CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission_id),", "")))
    rbac(specs, {"admin": ["p1"]}, ["p1"])
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1
    assert "rbac core: tables: the role key [name] of roles is not a key the database enforces" in err
    assert "rbac core: tables: the grant [role_id, permission_id] of role_permissions is not a key the database enforces" in err


# -- affected rows must be what the plan says -------------------------------------------------------


def test_a_statement_affecting_other_rows_than_planned_rolls_the_row_work_back(db, specs):
    db.run(dialect_sql(db, KV + ";\nINSERT INTO kv (k, v) VALUES ('a', 1)"))
    seed(specs, [("a", 2), ("b", 3)])
    loaded = engine.load_specs(str(specs))
    plan = engine.plan(loaded, db.url)
    update = next(a for a in plan.actions if a.op == "update_rows")
    tampered = replace(plan, actions=tuple(replace(a, affected=(2,)) if a is update else a for a in plan.actions))
    with pytest.raises(ApplyError, match=r"update_rows kv affected 1 row, the plan expects 2") as failure:
        engine.apply(tampered, db.url, specs=loaded)
    assert failure.value.exit_code == 1
    assert rows(db, "SELECT k, v FROM kv") == [("a", 1)]  # the insert before it was rolled back too
    assert [o.status for o in failure.value.report.outcomes] == ["failed"]


def test_rows_a_trigger_drops_are_caught_by_their_count(recon, db, specs):
    if db.dialect == "mysql":
        pytest.skip("a MySQL trigger cannot skip a row silently (SIGNAL fails the statement, which recon reports as such)")
    trigger = {"sqlite": "CREATE TRIGGER skip_b BEFORE INSERT ON kv WHEN NEW.k = 'b' BEGIN SELECT RAISE(IGNORE); END",
               "postgresql": "CREATE FUNCTION skip_b() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN IF NEW.k = ''b'' THEN RETURN NULL; END IF; RETURN NEW; END';\n"
                             "CREATE TRIGGER skip_b BEFORE INSERT ON kv FOR EACH ROW EXECUTE FUNCTION skip_b()"}[db.dialect]
    db.run(KV + ";\n" + trigger)
    seed(specs, [("a", 1), ("b", 2)])
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 1 and "insert_rows kv affected 1 row, the plan expects 2" in err and "none was applied" in err
    assert rows(db, "SELECT k FROM kv") == []


# -- prune in foreign-key order, dangling grants ---------------------------------------------------


def test_prune_deletes_children_before_their_parents(recon, db, specs):
    db.run(dialect_sql(db, """
        CREATE TABLE countries (code char(2) NOT NULL PRIMARY KEY, name text);
        CREATE TABLE cities (name varchar(40) NOT NULL PRIMARY KEY, country char(2) NOT NULL,
            CONSTRAINT cities_country_fkey FOREIGN KEY (country) REFERENCES countries (code));
        INSERT INTO countries (code, name) VALUES ('FR', 'France'), ('XX', 'Gone');
        INSERT INTO cities (name, country) VALUES ('Paris', 'FR'), ('Nowhere', 'XX')
        """))
    write(specs, "a-cities", "kind: seed\nname: cities\ntable: cities\nkey: [name]\nprune: true\n"
                             "rows: [{name: Paris, country: FR}, {name: Tokyo, country: JP}]\n")
    write(specs, "b-countries", "kind: seed\nname: countries\ntable: countries\nkey: [code]\nprune: true\n"
                                "rows: [{code: FR, name: France}, {code: JP, name: Japan}]\n")
    plan = plan_json(recon, specs, db)
    assert [u["id"] for u in plan["units"]] == ["seed:countries", "seed:cities"]
    assert [(a["op"], a["object"]) for a in plan["actions"]] == [
        ("insert_rows", "countries"), ("insert_rows", "cities"),  # parents first
        ("delete_rows", "cities"), ("delete_rows", "countries")]  # children first
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve", "--allow-destructive")
    assert code == 0, err
    assert rows(db, "SELECT code FROM countries") == [("FR",), ("JP",)]
    assert rows(db, "SELECT name, country FROM cities") == [("Paris", "FR"), ("Tokyo", "JP")]
    assert plan_json(recon, specs, db)["units"] == []


def test_prune_deletes_grants_whose_role_or_permission_is_gone(recon, db, specs, tmp_path):
    db.run(dialect_sql(db, RBAC_TABLES.replace(",\n    CONSTRAINT rp_role_fkey FOREIGN KEY (role_id) REFERENCES roles (id),\n"
                                               "    CONSTRAINT rp_permission_fkey FOREIGN KEY (permission_id) REFERENCES permissions (id)", "")
                       + """;
        INSERT INTO roles (id, name) VALUES (1, 'admin');
        INSERT INTO permissions (id, "key") VALUES (10, 'p1');
        INSERT INTO role_permissions (role_id, permission_id) VALUES (1, 10), (1, 99), (7, 10)
        """))
    rbac(specs, {"admin": ["p1"]}, ["p1"])
    assert plan_json(recon, specs, db)["units"] == []  # without prune the dangling rows are left alone
    rbac(specs, {"admin": ["p1"]}, ["p1"], prune=True)
    path = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", db.url, "--out", path)[0] == 0
    plan = json.loads(path.read_text())
    dangling = [a for a in plan["actions"] if a["destructive"]]
    assert [(a["op"], a["object"], sorted(map(tuple, a["rows"])), a["affected"], [c["code"] for c in a["codes"]]) for a in dangling] == [
        ("delete_rows", "role_permissions", [(1, 99), (7, 10)], [2], ["RC106"])]
    code, _, err = recon("apply", path, "--db", db.url)
    assert code == 3 and "RC106" in err and len(rows(db, "SELECT role_id FROM role_permissions")) == 3
    code, _, err = recon("apply", path, "--db", db.url, "--allow-destructive")
    assert code == 0, err
    assert rows(db, "SELECT role_id, permission_id FROM role_permissions") == [(1, 10)]
    assert plan_json(recon, specs, db)["units"] == []


# -- a concurrent writer ---------------------------------------------------------------------------


installed_recon = recon_bin


def _waiting(db, conn) -> bool:
    """Whether another session is in apply's locking re-read (it cannot finish while the writer holds the row)."""
    sql = {"postgresql": "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%%FOR UPDATE%%' "
                         "AND datname = current_database()",
           "mysql": "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%%FOR UPDATE%%' AND ID <> CONNECTION_ID() "
                    "AND DB = DATABASE()"}[db.dialect]
    return conn.exec_driver_sql(sql).scalar() > 0


def test_a_row_changed_while_apply_waits_for_it_makes_the_plan_stale(db, specs, tmp_path):
    """The writer commits after apply's check under its lock but before the row transaction reads the rows
    again: the locking read sees the new row, and nothing of the plan is applied."""
    db.run(dialect_sql(db, KV + ";\nINSERT INTO kv (k, v) VALUES ('a', 1)"))
    seed(specs, [("a", 2), ("b", 3)])
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(engine.plan(engine.load_specs(str(specs)), db.url).to_dict()))
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    writer = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    if db.dialect == "sqlite":  # apply holds the whole database from its check to its commit
        with writer.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.exec_driver_sql("UPDATE kv SET v = 5 WHERE k = 'a'")
            done = subprocess.run([installed_recon(), "apply", str(path), "--db", db.url],
                                  capture_output=True, text=True, env=env, timeout=60)
            conn.exec_driver_sql("COMMIT")
        writer.dispose()
        assert done.returncode == 3 and "lock held" in done.stderr
        assert rows(db, "SELECT k, v FROM kv") == [("a", 5)]
        return
    with writer.connect() as conn, writer.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
        conn.exec_driver_sql(dialect_sql(db, "UPDATE kv SET v = 5 WHERE k = 'a'"))  # uncommitted: holds the row
        proc = subprocess.Popen([installed_recon(), "apply", str(path), "--db", db.url],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 20
        while not _waiting(db, watch) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        conn.commit()
        out, err = proc.communicate(timeout=60)
    writer.dispose()
    assert proc.returncode == 3, err
    assert "plan is stale: the rows of seed:kv changed since the plan was made" in err
    assert rows(db, "SELECT k, v FROM kv") == [("a", 5)]  # the writer's value; b was not inserted
    assert rows(db, "SELECT unit, status FROM recon_ledger") == [("seed:kv", "failed")]


def test_mysql_chunks_stay_under_the_packet_limit(mysql_db, specs):
    """PyMySQL writes values into the statement's text: a chunk is cut by bytes as well as by binds."""
    from engine.target.rowsql import PACKET_MARGIN

    mysql_db.run("CREATE TABLE doc (k varchar(10) NOT NULL PRIMARY KEY, body text)")
    body = "x'\\" * 300  # 900 characters, each of which PyMySQL may escape: counted as 2 bytes, + 2 quotes
    write(specs, "doc", "kind: seed\nname: doc\ntable: doc\nkey: [k]\nrows:\n" + "".join(
        f"  - {{k: d{i}, body: {json.dumps(body)}}}\n" for i in range(5)))
    loaded = engine.load_specs(str(specs))
    per_row = 2 * len(body) + 2 + 2 * 2 + 2 + len(", (%s, %s)")
    report = engine.apply(engine.plan(loaded, mysql_db.url), mysql_db.url, specs=loaded, packet_limit=PACKET_MARGIN + 2 * per_row)
    assert [(o.unit, o.statements) for o in report.outcomes] == [("seed:doc", 3)]  # 2 + 2 + 1 rows
    assert rows(mysql_db, "SELECT k, body FROM doc") == [(f"d{i}", body) for i in range(5)]


def test_chunks_are_cut_by_binds_and_by_bytes():
    from engine.target.rowsql import PACKET_MARGIN, Limits, chunks

    rows_ = tuple((f"k{i}", "v" * 10) for i in range(7))
    assert [len(c) for c in chunks(rows_, 2, Limits(binds=6))] == [3, 3, 1]
    cost = 2 * 2 + 2 + 2 * 10 + 2  # two values, every character counted escaped, plus quotes
    assert [len(c) for c in chunks(rows_, 2, Limits(binds=100, packet=PACKET_MARGIN + 2 * cost))] == [2, 2, 2, 1]
    assert [len(c) for c in chunks(rows_, 2, Limits(binds=100, packet=PACKET_MARGIN + 1))] == [1] * 7  # one row at least


def test_rows_of_a_table_that_references_itself_are_inserted_in_declared_order(recon, db, specs):
    db.run(dialect_sql(db, """CREATE TABLE nodes (id integer NOT NULL PRIMARY KEY, parent_id integer, label text,
        CONSTRAINT nodes_parent FOREIGN KEY (parent_id) REFERENCES nodes (id))"""))
    write(specs, "s", "kind: seed\nname: nodes\ntable: nodes\nkey: [id]\nrows:\n"
                      "  - {id: 1, parent_id: null}\n  - {id: 2, parent_id: 1, label: b}\n  - {id: 3, parent_id: 2}\n")
    plan = plan_json(recon, specs, db)
    assert [(a["columns"], a["rows"]) for a in plan["actions"]] == [  # runs of rows, in the order declared
        (["id", "parent_id"], [[1, None]]), (["id", "parent_id", "label"], [[2, 1, "b"]]), (["id", "parent_id"], [[3, 2]])]
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    assert rows(db, "SELECT id, parent_id FROM nodes") == [(1, None), (2, 1), (3, 2)]
    assert plan_json(recon, specs, db)["units"] == []


def test_a_value_longer_than_its_column_is_a_spec_error_not_cut(recon, db, specs):
    db.run(dialect_sql(db, "CREATE TABLE codes (k varchar(5) NOT NULL PRIMARY KEY, v char(3))"))
    write(specs, "s", "kind: seed\nname: codes\ntable: codes\nkey: [k]\nrows:\n  - {k: abcdefgh, v: toolong}\n  - {k: ok, v: fit}\n")
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    if db.dialect == "sqlite":  # SQLite keeps text of any length whatever the declared type
        assert code == 0, err
        return
    assert code == 1
    assert "s.yaml:6: seed codes: rows[0].k: 'abcdefgh' is longer than the 5 characters the column holds for codes.k" in err
    assert "seed codes: rows[0].v: 'toolong' is longer than the 3 characters the column holds" in err


def test_postgres_casts_keep_no_length_that_would_cut_a_value(postgres_db):
    from sqlglot import exp

    from engine.target import sqlexec
    from engine.target.rowsql import site

    at = site("postgresql", 2, ("character varying(5)", "character(3)"))
    sql = at.template(exp.select("*").from_(at.relation("v", ("a", "b")))).sql
    assert "CAST(%b AS varchar[])" in sql and "CAST(%b AS bpchar[])" in sql
    eng = sa.create_engine(postgres_db.url, poolclass=sa.pool.NullPool)
    with eng.connect() as conn:
        assert sqlexec.run_driver(conn, sql, [["abcdefgh"], ["toolong"]]).fetchall() == [("abcdefgh", "toolong")]
    eng.dispose()


def test_mysql_numeric_keys_are_bound_as_the_column_rounds_them(recon, mysql_db, specs):
    mysql_db.run("CREATE TABLE prices (k numeric(10,2) NOT NULL PRIMARY KEY, label text);\nINSERT INTO prices VALUES (1.01, 'a')")
    write(specs, "s", "kind: seed\nname: prices\ntable: prices\nkey: [k]\non_conflict: update\nprune: true\nrows: [{k: 1.005, label: a}]\n")
    assert plan_json(recon, specs, mysql_db)["units"] == []  # 1.005 is the stored 1.01: nothing to insert or prune


def test_a_plan_whose_row_templates_were_edited_is_refused(sqlite_db, specs, tmp_path):
    """A hand-edited plan with a recomputed digest (the digest is no signature) still cannot smuggle
    SQL into the part of a statement apply repeats per row."""
    from engine.errors import ReportError
    from engine.planning.planfile import content_digest

    sqlite_db.run(KV + ";\nINSERT INTO kv (k, v) VALUES ('a', 1), ('b', 2)")
    seed(specs, [("c", 3)], prune=True)
    plan = engine.plan(engine.load_specs(str(specs)), sqlite_db.url).to_dict()
    delete = next(a for a in plan["actions"] if a["op"] == "delete_rows")
    delete["batch"][0]["tail"] = ") OR (1=1"
    body = {k: v for k, v in plan.items() if k != "plan_digest"}
    path = tmp_path / "edited.json"
    path.write_text(json.dumps({**body, "plan_digest": content_digest(body)}))
    with pytest.raises(ReportError, match="do not fit their SQL"):
        engine.load_plan(str(path))


def test_mysql_limits_come_from_the_server(mysql_db):
    from engine.target.rowsql import Limits

    eng = sa.create_engine(mysql_db.url, poolclass=sa.pool.NullPool)
    with eng.connect() as conn:
        server = int(conn.exec_driver_sql("SELECT @@max_allowed_packet").scalar())
        assert Limits.of(conn) == Limits(65535, server)
        assert Limits.of(conn, binds=10, packet=server * 2) == Limits(10, server)  # a caller only lowers them
        assert Limits.of(conn, packet=5000).packet == 5000
    eng.dispose()


def test_mysql_planning_reads_are_cut_by_the_packet_limit(mysql_db, specs, monkeypatch):
    from engine.target import rowsql

    mysql_db.run("CREATE TABLE big (k varchar(200) NOT NULL PRIMARY KEY, v integer)")
    keys = [f"{i:04d}" + "k" * 150 for i in range(40)]
    write(specs, "s", "kind: seed\nname: big\ntable: big\nkey: [k]\nrows:\n" + "".join(f"  - {{k: {k}, v: 1}}\n" for k in keys))
    real = rowsql.Limits.of
    monkeypatch.setattr(rowsql.Limits, "of", classmethod(lambda cls, conn, binds=None, packet=None: real.__func__(cls, conn, binds, rowsql.PACKET_MARGIN + 3300)))
    plan = engine.plan(engine.load_specs(str(specs)), mysql_db.url)
    assert len(plan.reads) == 4  # 10 keys of 314 bytes (escaped, quoted, with the separator) fit a 3,300-byte budget
    assert [len(r.params) for r in plan.reads] == [10, 10, 10, 10]


def test_prune_counts_a_grant_between_an_undeclared_role_and_an_undeclared_permission(recon, db, specs):
    db.run(dialect_sql(db, RBAC_TABLES + """;
        INSERT INTO roles (id, name) VALUES (1, 'admin'), (2, 'gone');
        INSERT INTO permissions (id, "key") VALUES (10, 'p1'), (20, 'old');
        INSERT INTO role_permissions (role_id, permission_id) VALUES (1, 10), (2, 20), (2, 10), (1, 20)
        """))
    rbac(specs, {"admin": ["p1"]}, ["p1"], prune=True)
    plan = plan_json(recon, specs, db)
    assert [(a["op"], a["object"], a["rows"], a["affected"]) for a in plan["actions"] if a["destructive"]] == [
        ("revoke", "role_permissions", [["admin", "old"]], [1]),
        ("delete_rows", "roles", [["gone"]], [2, 1]),  # gone's grants of old and p1
        ("delete_rows", "permissions", [["old"]], [0, 1])]  # old's grants are gone already
    code, _, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve", "--allow-destructive")
    assert code == 0, err
    assert grants(db) == [("admin", "p1")]


def test_a_grants_table_named_like_the_probes_alias_prunes_dangling_rows(recon, postgres_db, specs):
    postgres_db.run(RBAC_TABLES.replace("role_permissions", "x").replace(",\n    CONSTRAINT rp_role_fkey FOREIGN KEY (role_id) REFERENCES roles (id),\n"
                                        "    CONSTRAINT rp_permission_fkey FOREIGN KEY (permission_id) REFERENCES permissions (id)", "")
                    + ";\nINSERT INTO roles (id, name) VALUES (1, 'admin');\nINSERT INTO permissions (id, key) VALUES (10, 'p1');\n"
                      "INSERT INTO x (role_id, permission_id) VALUES (1, 10), (7, 10)")
    rbac(specs, {"admin": ["p1"]}, ["p1"], prune=True)
    (specs / "rbac.yaml").write_text((specs / "rbac.yaml").read_text().replace("table: role_permissions", "table: x"))
    code, _, err = recon("apply", "--specs", specs, "--db", postgres_db.url, "--auto-approve", "--allow-destructive")
    assert code == 0, err
    assert rows(postgres_db, "SELECT role_id FROM x") == [(1,)]


def test_declared_keys_the_column_stores_alike_are_one_row(recon, postgres_db, specs):
    postgres_db.run("CREATE TABLE tokens (id uuid PRIMARY KEY, label text)")
    write(specs, "s", "kind: seed\nname: t\ntable: tokens\nkey: [id]\nrows:\n"
                      "  - {id: 6F1C0000-0000-0000-0000-00000000ABCD, label: a}\n  - {id: 6f1c0000-0000-0000-0000-00000000abcd, label: b}\n")
    code, _, err = recon("plan", "--specs", specs, "--db", postgres_db.url)
    assert code == 1 and "s.yaml:7: seed t: rows[1]: its key is the key of the row at line 6 as tokens stores it" in err
