"""The apply workflow on real servers: plan -> review -> apply exactly it, or refuse.

Every test gets its own database (tests/conftest.py). Most run on SQLite,
PostgreSQL and MariaDB/MySQL through the ``db`` fixture; what only one
dialect has (MySQL's non-transactional DDL, PostgreSQL timeouts) is tested
there. The CLI runs in-process (``main``), except where a second process is
the point (lock contention, no terminal).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import RECON_VARIABLES, ledger_rows, stored_rows

import engine
from engine.planning.planner import make_plan

ROOT = Path(__file__).resolve().parent.parent

BASE_SCHEMA = """
CREATE TABLE items (id integer NOT NULL, name varchar(50), legacy varchar(20), CONSTRAINT items_pkey PRIMARY KEY (id));
INSERT INTO items (id, name, legacy) VALUES (1, 'a', 'x'), (2, 'b', 'y')
"""

FINGERPRINT = """
kind: fingerprint
name: startup
checks:
  - column: items.note
  - table: tags
"""

U1 = """
kind: migration
id: U1-items-note
ticket: T-1
scope: schema
description: Add items.note
rollback:
  notes: Additive column; safe to drop before any writer uses it.
  operations:
    - drop_column: {table: items, name: note}
operations:
  - add_column: {table: items, name: note, type: text, nullable: true}
"""

U2 = """
kind: migration
id: U2-tags
ticket: T-2
scope: schema
description: Tags table
depends_on: [U1-items-note]
rollback:
  notes: Drops every tag.
  operations:
    - drop_table: {table: tags}
operations:
  - create_table:
      table: tags
      columns:
        - {name: id, type: integer, primary_key: true}
        - {name: label, type: varchar(50)}
  - create_index: {name: tags_label_idx, table: tags, columns: [label]}
"""



# -- helpers ---------------------------------------------------------------------------


@dataclass
class Workspace:
    """A test database holding the base schema, and a spec folder written file by file."""

    db: object
    specs: Path
    tmp: Path

    @property
    def url(self) -> str:
        return self.db.url

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def write(self, name: str, text: str) -> None:
        (self.specs / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")

    def remove(self, name: str) -> None:
        (self.specs / f"{name}.yaml").unlink()

    def snapshot(self) -> dict:
        """Every table with its columns and indexes (the schema as a comparable value)."""
        return snapshot(self.url)

    def columns(self, table: str) -> list[str]:
        return snapshot(self.url).get(table, ((), ()))[0]

    def tables(self) -> set[str]:
        return set(snapshot(self.url))

    def q(self, name: str) -> str:
        return f"`{name}`" if self.dialect == "mysql" else f'"{name}"'


SNAPSHOT_SQL = {  # (table, column) in order, then (table, index): one query each, straight from the catalog
    "sqlite": ("SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid",
               "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'"),
    "postgresql": ("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
                   "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'"),
    "mysql": ("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position",
              "SELECT DISTINCT table_name, index_name FROM information_schema.statistics WHERE table_schema = DATABASE()"),
}


def snapshot(url: str) -> dict:
    """{table: (columns in order, sorted index names)}."""
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    dialect = "mysql" if eng.dialect.name in ("mysql", "mariadb") else eng.dialect.name
    try:
        with eng.connect() as conn:
            columns, indexes = (conn.exec_driver_sql(q).fetchall() for q in SNAPSHOT_SQL[dialect])
    finally:
        eng.dispose()
    tables: dict = {}
    for table, column in columns:
        tables.setdefault(table, ([], []))[0].append(column)
    for table, index in indexes:
        if table in tables:
            tables[table][1].append(index)
    return {t: (tuple(cols), tuple(sorted(idx))) for t, (cols, idx) in tables.items()}


def make_workspace(db, tmp_path: Path, *units: str) -> Workspace:
    db.run(BASE_SCHEMA.strip().replace('"', "`") if db.dialect == "mysql" else BASE_SCHEMA.strip())
    ws = Workspace(db, tmp_path / "specs", tmp_path)
    ws.specs.mkdir()
    ws.write("00-fingerprint", FINGERPRINT)
    for i, unit in enumerate(units or (U1, U2), start=1):
        ws.write(f"{i:02d}-unit", unit)
    return ws


@pytest.fixture
def ws(db, tmp_path) -> Workspace:
    return make_workspace(db, tmp_path)


def history(recon, ws: Workspace) -> list[dict]:
    code, out, err = recon("history", "--db", ws.url, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def plan_json(recon, ws: Workspace, *extra: str) -> dict:
    code, out, err = recon("plan", "--specs", ws.specs, "--db", ws.url, "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


def save_plan(recon, ws: Workspace, name: str = "plan.json", *extra: str) -> Path:
    path = ws.tmp / name
    code, _, err = recon("plan", "--specs", ws.specs, "--db", ws.url, "--out", path, *extra)
    assert code == 0, err
    return path


def pending_units(recon, ws: Workspace) -> list[str]:
    return [u["id"] for u in plan_json(recon, ws)["units"]]


def recon_process(*args, **kwargs) -> subprocess.Popen:
    """``recon`` as a separate OS process (no terminal on stdin)."""
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    return subprocess.Popen([sys.executable, "-c", "from engine.cli import main; main()", *map(str, args)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=str(ROOT), **kwargs)


def wait_for(predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# -- 1. plan is read-only; its exit codes and its file ----------------------------------


def test_plan_is_read_only_and_writes_a_complete_plan_file(recon, ws):
    before = ws.snapshot()
    specs = engine.load_specs(str(ws.specs))
    result = make_plan(specs, ws.url)
    assert [u.id for u in result.units] == ["U1-items-note", "U2-tags"]
    assert ws.snapshot() == before  # no ledger table, no object

    out_file = ws.tmp / "plan.json"
    code, out, err = recon("plan", "--specs", ws.specs, "--db", ws.url, "--detailed-exitcode", "--out", out_file)
    assert code == 2, err
    assert "+ add_column items.note" in out and f"recon apply {out_file}" in out
    assert ws.snapshot() == before and "recon_ledger" not in ws.tables()

    data = json.loads(out_file.read_text())
    assert data["format"] == "recon.plan/v1"
    for key in ("plan_id", "created_at", "target", "specs_digest", "state_digest", "mode", "actions", "summary", "expected"):
        assert data[key], key
    assert data["target"]["dialect"] == ws.dialect and data["mode"] == "apply"
    assert data["specs_digest"] == specs.digest and data["state_digest"].startswith("sha256:")
    assert [(a["unit"], a["scope"], a["op"], a["object"]) for a in data["actions"]] == [
        ("U1-items-note", "schema", "add_column", "items.note"),
        ("U2-tags", "schema", "create_table", "tags"),
        ("U2-tags", "schema", "create_index", "tags_label_idx"),
    ]
    for action in data["actions"]:
        assert action["reason"] and action["destructive"] is False
        assert isinstance(action["sql"], list) and action["sql"]
    assert data["summary"] == {"create": 3, "update": 0, "delete": 0}
    assert data["expected"]["fingerprint"]["passed"] == 2 and data["expected"]["fingerprint"]["total"] == 2

    code, _, err = recon("apply", out_file, "--db", ws.url)
    assert code == 0, err
    after = ws.snapshot()
    code, out, _ = recon("plan", "--specs", ws.specs, "--db", ws.url, "--detailed-exitcode")
    assert code == 0 and "No changes" in out
    assert ws.snapshot() == after


def test_plan_file_carries_no_password(recon, postgres_db, tmp_path):
    ws = make_workspace(postgres_db, tmp_path)
    with_password = sa.engine.make_url(ws.url).set(password="s3cret-pw").render_as_string(hide_password=False)
    out_file = tmp_path / "plan.json"
    code, out, err = recon("plan", "--specs", ws.specs, "--db", with_password, "--out", out_file, "--format", "json")
    assert code == 0, err
    text = out_file.read_text()
    assert "s3cret-pw" not in text + out + err
    assert "***" in json.loads(text)["target"]["url"]
    # the target is the database, not the credentials: the same plan applies without the password
    code, out, err = recon("apply", out_file, "--db", ws.url)
    assert code == 0, err
    assert "s3cret-pw" not in out + err
    assert "s3cret-pw" not in json.dumps(history(recon, ws))


# -- 2. apply executes exactly the saved plan -----------------------------------------


def test_apply_executes_exactly_the_saved_plan(recon, ws):
    plan_file = save_plan(recon, ws)
    plan_id = json.loads(plan_file.read_text())["plan_id"]
    # a unit written after the plan was reviewed is not part of it
    ws.write("03-unit", """
        kind: migration
        id: U3-late
        scope: schema
        operations:
          - create_table: {table: late, columns: [{name: id, type: integer, primary_key: true}]}
    """)
    code, out, err = recon("apply", plan_file, "--db", ws.url)
    assert code == 0, err
    assert "applied U1-items-note (1 statement" in out and "applied U2-tags (2 statements" in out
    assert "note" in ws.columns("items") and "tags" in ws.tables() and "late" not in ws.tables()
    assert "tags_label_idx" in ws.snapshot()["tags"][1]

    rows = history(recon, ws)
    specs = {u.id: u for u in engine.load_specs(str(ws.specs)).units}
    assert [(r["unit"], r["status"], r["statements"]) for r in rows] == [("U1-items-note", "applied", 1), ("U2-tags", "applied", 2)]
    for row in rows:
        assert set(row) >= {"unit", "checksum", "scope", "status", "applied_at", "plan_id"}
        assert row["plan_id"] == plan_id and row["scope"] == "schema" and row["applied_at"]
        assert row["checksum"] == specs[row["unit"]].checksum
        assert row["actor"] == f"{getpass.getuser()}@{socket.gethostname()}"
        assert row["engine_version"] == engine.__version__ and row["error"] is None

    assert pending_units(recon, ws) == ["U3-late"]
    ws.remove("03-unit")
    code, _, _ = recon("plan", "--specs", ws.specs, "--db", ws.url, "--detailed-exitcode")
    assert code == 0


def test_python_api_apply(ws):
    from engine.applying.applier import apply

    specs = engine.load_specs(str(ws.specs))
    report = apply(make_plan(specs, ws.url), ws.url, specs=specs)
    assert report.ok and [(o.unit, o.status) for o in report.outcomes] == [("U1-items-note", "applied"), ("U2-tags", "applied")]
    assert report.before.fingerprint.passed == 0 and report.after.fingerprint.passed == 2
    assert ws.columns("items") == ("id", "name", "legacy", "note") and ws.snapshot()["tags"] == (("id", "label"), _tags_indexes(ws))
    assert ledger_rows(ws.db) == [("U1-items-note", "applied", 1), ("U2-tags", "applied", 2)]
    assert make_plan(specs, ws.url).empty


def _tags_indexes(ws: Workspace) -> tuple:
    """The indexes of U2's tags table as each dialect names them (an integer primary key is the rowid on SQLite: no index)."""
    return {"sqlite": ("tags_label_idx",), "postgresql": ("tags_label_idx", "tags_pkey"),
            "mysql": ("PRIMARY", "tags_label_idx")}[ws.dialect]


def test_contract_python_api_names(sqlite_db, tmp_path):
    ws = make_workspace(sqlite_db, tmp_path)
    specs = engine.load_specs(str(ws.specs))
    report = engine.apply(engine.plan(specs, ws.url), ws.url, specs=specs)
    assert report.ok and [(o.unit, o.status) for o in report.outcomes] == [("U1-items-note", "applied"), ("U2-tags", "applied")]
    assert "note" in ws.columns("items") and "tags_label_idx" in ws.snapshot()["tags"][1]
    assert ledger_rows(sqlite_db) == [("U1-items-note", "applied", 1), ("U2-tags", "applied", 2)]


# -- 3. stale plans --------------------------------------------------------------------


def test_stale_plan_after_a_schema_change_runs_nothing(recon, ws):
    plan_file = save_plan(recon, ws)
    ws.db.run(f"ALTER TABLE items ADD COLUMN {ws.q('extra')} integer")
    before = ws.snapshot()
    code, _, err = recon("apply", plan_file, "--db", ws.url)
    assert code == 3
    assert "plan is stale" in err and "nothing was executed" in err
    assert ws.snapshot() == before and "recon_ledger" not in ws.tables()


def test_stale_plan_when_an_object_it_creates_appeared(recon, ws):
    plan_file = save_plan(recon, ws)
    ws.db.run("CREATE TABLE tags (id integer NOT NULL, CONSTRAINT tags_pkey PRIMARY KEY (id))")
    before = ws.snapshot()
    code, _, err = recon("apply", plan_file, "--db", ws.url)
    assert code == 3 and "plan is stale" in err
    assert ws.snapshot() == before


def test_stale_plan_after_the_ledger_changed(recon, ws):
    first = save_plan(recon, ws, "first.json")
    second = save_plan(recon, ws, "second.json")
    code, _, err = recon("apply", second, "--db", ws.url)
    assert code == 0, err
    rows, schema = history(recon, ws), ws.snapshot()
    code, _, err = recon("apply", first, "--db", ws.url)
    assert code == 3 and "plan is stale" in err
    # the same plan cannot run twice either
    code, _, err = recon("apply", second, "--db", ws.url)
    assert code == 3 and "is already applied" in err  # the ledger holds its plan id
    assert history(recon, ws) == rows and ws.snapshot() == schema


def test_a_change_the_plan_does_not_depend_on_leaves_it_fresh(recon, ws):
    plan_file = save_plan(recon, ws)
    ws.db.run("CREATE TABLE unrelated (id integer NOT NULL)")
    code, _, err = recon("apply", plan_file, "--db", ws.url)
    assert code == 0, err
    assert "note" in ws.columns("items")


# -- 4. another target ----------------------------------------------------------------


def _second_database(db, tmp_path):
    """A second database of the same dialect with the base schema: (url, drop)."""
    import uuid

    from conftest import MYSQL_URL, POSTGRES_URL, TestDB, _server_engine, _with_driver

    if db.dialect == "sqlite":
        other = TestDB(f"sqlite:///{tmp_path / 'other.db'}", "sqlite")
        sa.create_engine(other.url).connect().close()
        return other, lambda: None
    server = POSTGRES_URL if db.dialect == "postgresql" else MYSQL_URL
    eng = _server_engine(server, db.dialect)
    name = f"recon_t_{uuid.uuid4().hex[:12]}"
    quote = (lambda n: f'"{n}"') if db.dialect == "postgresql" else (lambda n: f"`{n}`")
    with eng.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {quote(name)}")

    def drop():
        with eng.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)}" + (" WITH (FORCE)" if db.dialect == "postgresql" else ""))
        eng.dispose()

    url = sa.engine.make_url(_with_driver(server)).set(database=name).render_as_string(hide_password=False)
    return TestDB(url, db.dialect), drop


def test_plan_made_for_another_target_is_refused(recon, ws, db, tmp_path):
    plan_file = save_plan(recon, ws)
    other, drop = _second_database(db, tmp_path)
    try:
        other.run(BASE_SCHEMA.strip().replace('"', "`") if db.dialect == "mysql" else BASE_SCHEMA.strip())
        before = snapshot(other.url)
        code, _, err = recon("apply", plan_file, "--db", other.url)
        assert code == 3 and "was made for" in err and "make a plan for this target" in err
        assert snapshot(other.url) == before
    finally:
        drop()
    assert "recon_ledger" not in ws.tables()


# -- 5. the database lock ----------------------------------------------------------------


LOCKER = r"""
import sys
import sqlalchemy as sa
dialect, url, key = sys.argv[1:4]
conn = sa.create_engine(url, isolation_level="AUTOCOMMIT").connect()
if dialect == "postgresql":
    conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": int(key)})
elif dialect == "mysql":
    assert conn.execute(sa.text("SELECT GET_LOCK(:k, 10)"), {"k": key}).scalar() == 1
else:
    conn.exec_driver_sql("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.close()
"""


def _lock_key(ws: Workspace, plan_file: Path) -> str:
    from engine import load_plan
    from engine.applying.applier import EXECUTORS
    from engine.target.connection import make_target

    executor = EXECUTORS[ws.dialect](make_target(ws.url), load_plan(str(plan_file)))
    return str(executor.lock_number()) if ws.dialect == "postgresql" else executor.lock_key()


def test_apply_is_refused_while_another_process_holds_the_lock(recon, ws):
    plan_file = save_plan(recon, ws)
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, ws.dialect, ws.url, _lock_key(ws, plan_file)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = ws.snapshot()
        code, _, err = recon("apply", plan_file, "--db", ws.url)
        assert code == 3 and "lock held" in err
        assert ws.snapshot() == before
    finally:
        holder.communicate("\n", timeout=10)
    code, _, err = recon("apply", plan_file, "--db", ws.url)
    assert code == 0, err
    assert [r["status"] for r in history(recon, ws)] == ["applied", "applied"]


BLOCKED_WAIT = {
    "postgresql": "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
    "mysql": "SELECT count(*) FROM information_schema.processlist WHERE state LIKE 'Waiting for table metadata lock%%' AND db = DATABASE()",
}


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_second_apply_process_is_refused_while_the_first_runs(recon, request, tmp_path, dialect):
    db = request.getfixturevalue({"postgresql": "postgres_db", "mysql": "mysql_db"}[dialect])
    ws = make_workspace(db, tmp_path, U1.replace("scope: schema", "scope: schema\nlock_timeout: 20s"))
    plan_file = save_plan(recon, ws)
    blocker_engine = db.engine()
    blocker = blocker_engine.connect()
    try:
        blocker.exec_driver_sql("SELECT * FROM items").fetchall()  # holds a shared lock until the transaction ends
        first = recon_process("apply", plan_file, "--db", ws.url)
        watcher = db.engine()
        try:
            with watcher.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # a fresh pg_stat_activity each time
                wait_for(lambda: first.poll() is not None or conn.exec_driver_sql(BLOCKED_WAIT[dialect]).scalar() > 0,
                         "the first apply to block on the table lock")
        finally:
            watcher.dispose()
        assert first.poll() is None, first.communicate()
        second = recon_process("apply", plan_file, "--db", ws.url)
        out, err = second.communicate(timeout=30)
        assert second.returncode == 3, out + err
        assert "lock held" in err and "another recon apply is running" in err
        # it says who holds the lock, what that session runs, and how to end it
        held = {"postgresql": ("held by backend pid ", "end that backend with pg_terminate_backend("), "mysql": ("held by connection ", "KILL ")}
        assert all(part in err for part in held[dialect]) and "ALTER TABLE" in err, err
        assert re.search(r" for \d+ s", err) and "If that recon apply was killed" in err, err
    finally:
        blocker.rollback()
        blocker.close()
        blocker_engine.dispose()
    out, err = first.communicate(timeout=30)
    assert first.returncode == 0, out + err
    assert "applied U1-items-note" in out
    assert [(r["unit"], r["status"]) for r in history(recon, ws)] == [("U1-items-note", "applied")]
    assert recon("plan", "--specs", ws.specs, "--db", ws.url, "--detailed-exitcode")[0] == 0


# -- 6. detect-only ------------------------------------------------------------------------


def test_detect_only_refuses_apply_and_rollback(recon, ws, monkeypatch):
    ws.write("environments", """
        kind: environments
        environments:
          - name: production
            database_url_env: RECON_TEST_PROD_URL
            mode: detect-only
    """)
    monkeypatch.setenv("RECON_TEST_PROD_URL", ws.url)
    plan_file = save_plan(recon, ws, "plan.json", "--no-env")
    production = save_plan(recon, ws, "production.json", "--env", "production")  # made in its detect-only mode
    before = ws.snapshot()
    common = ("--specs", ws.specs, "--db", ws.url, "--no-env")
    attempts = [
        ("apply", plan_file, "--db", ws.url, "--mode", "detect-only"),
        ("apply", *common, "--mode", "detect-only", "--auto-approve"),
        ("apply", production),  # the URL from the plan's environment
        ("apply", production, "--db", ws.url),  # its gates however the URL is given
        ("apply", "--specs", ws.specs, "--env", "production", "--auto-approve"),
    ]
    for args in attempts:
        code, _, err = recon(*args)
        assert code == 3 and "detect-only" in err, args
    monkeypatch.setenv("RECON_MODE", "detect-only")
    for args in [("apply", plan_file, "--db", ws.url), ("apply", *common, "--auto-approve")]:
        code, _, err = recon(*args)
        assert code == 3 and "detect-only" in err, args
    assert ws.snapshot() == before and "recon_ledger" not in ws.tables()

    monkeypatch.delenv("RECON_MODE")
    code, _, err = recon("apply", plan_file, "--db", ws.url)
    assert code == 0, err
    applied, rows = ws.snapshot(), history(recon, ws)
    rollback = ("--auto-approve", "--allow-destructive")
    for args in [("rollback", "U2-tags", *common, "--mode", "detect-only", *rollback),
                 ("rollback", "--last", "--specs", ws.specs, "--env", "production", *rollback)]:
        code, _, err = recon(*args)
        assert code == 3 and "detect-only" in err, args
    monkeypatch.setenv("RECON_MODE", "detect-only")
    code, _, err = recon("rollback", "--last", *common, *rollback)
    assert code == 3 and "detect-only" in err
    assert ws.snapshot() == applied and history(recon, ws) == rows


# -- 7. destructive changes ----------------------------------------------------------------


DROP_LEGACY = """
kind: migration
id: D1-drop-legacy
scope: schema
{allow}
rollback:
  notes: Restores the column empty.
  operations:
    - add_column: {{table: items, name: legacy, type: varchar(20), nullable: true}}
operations:
  - drop_column: {{table: items, name: legacy}}
"""


def test_destructive_changes_are_refused_unless_allowed_by_code(recon, db, tmp_path):
    ws = make_workspace(db, tmp_path, DROP_LEGACY.format(allow=""))
    common = ("--specs", ws.specs, "--db", ws.url)
    plan_file = save_plan(recon, ws)
    assert json.loads(plan_file.read_text())["actions"][0]["destructive"] is True
    for args in [("apply", plan_file, "--db", ws.url), ("apply", *common, "--auto-approve")]:
        code, _, err = recon(*args)
        assert code == 3, err
        assert "D1-drop-legacy: RC102 drop_column items.legacy" in err and "--allow-destructive" in err
    assert "legacy" in ws.columns("items") and "recon_ledger" not in ws.tables()

    ws.write("01-unit", DROP_LEGACY.format(allow="allow: [RC101]"))  # allowing another code is not enough
    code, _, err = recon("apply", *common, "--auto-approve")
    assert code == 3 and "RC102" in err
    assert "legacy" in ws.columns("items")

    code, _, err = recon("apply", *common, "--auto-approve", "--allow-destructive")
    assert code == 0, err
    assert "legacy" not in ws.columns("items")

    code, _, err = recon("rollback", "D1-drop-legacy", *common, "--auto-approve")
    assert code == 0, err  # its rollback adds the column back: nothing destructive
    assert "legacy" in ws.columns("items")

    ws.write("01-unit", DROP_LEGACY.format(allow="allow: [RC102]"))
    plan_file = save_plan(recon, ws, "allowed.json")
    code, _, err = recon("apply", plan_file, "--db", ws.url)
    assert code == 0, err
    assert "legacy" not in ws.columns("items")
    assert [(r["unit"], r["status"]) for r in history(recon, ws)] == [
        ("D1-drop-legacy", "applied"), ("D1-drop-legacy", "rolled_back"), ("D1-drop-legacy", "applied")]


# -- 8. a unit failing half-way --------------------------------------------------------------


FAILING = """
kind: migration
id: F1-half-way
scope: schema
operations:
  - add_column: {{table: items, name: extra, type: integer, nullable: true}}
  - sql:
      dialect: postgres
      statements:
        - UPDATE items SET {column} = 1 WHERE id > 0
      guard: {{column_exists: items.id}}
"""

LATER = """
kind: migration
id: F2-later
scope: schema
depends_on: [F1-half-way]
operations:
  - create_table: {table: later, columns: [{name: id, type: integer, primary_key: true}]}
"""


def test_a_failing_statement_stops_the_run_and_is_recorded(recon, db, tmp_path):
    ws = make_workspace(db, tmp_path, FAILING.format(column="no_such_column"), LATER)
    common = ("--specs", ws.specs, "--db", ws.url)
    code, out, err = recon("apply", *common, "--auto-approve")
    assert code == 1, out + err
    assert "unit F1-half-way failed: statement 2:" in err and "no_such_column" in err
    assert "later" not in ws.tables()
    rows = history(recon, ws)
    assert [(r["unit"], r["status"]) for r in rows] == [("F1-half-way", "failed")]
    assert "statement 2" in rows[0]["error"] and "no_such_column" in rows[0]["error"]

    if db.dialect == "mysql":
        # DDL commits implicitly: the first change stayed, the ledger says how far the unit got
        assert "extra" in ws.columns("items")
        assert rows[0]["statements"] == 1
        assert "MySQL commits DDL implicitly" in err
        data = plan_json(recon, ws)
        assert [u["id"] for u in data["units"]] == ["F1-half-way", "F2-later"]
        assert [(a["op"], a["status"]) for a in data["actions"] if a["unit"] == "F1-half-way"] == [("add_column", "present"), ("sql", "pending")]
    else:
        assert "extra" not in ws.columns("items")  # the whole unit was rolled back
        assert "rolled back" in err
        data = plan_json(recon, ws)
        assert [(a["op"], a["status"]) for a in data["actions"] if a["unit"] == "F1-half-way"] == [("add_column", "pending"), ("sql", "pending")]

    ws.write("01-unit", FAILING.format(column="extra"))
    code, out, err = recon("apply", *common, "--auto-approve")
    assert code == 0, out + err
    assert "extra" in ws.columns("items") and "later" in ws.tables()
    assert [(r["unit"], r["status"]) for r in history(recon, ws)] == [
        ("F1-half-way", "failed"), ("F1-half-way", "applied"), ("F2-later", "applied")]
    eng = ws.db.engine()
    with eng.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM items WHERE extra = 1").scalar() == 2
    eng.dispose()


def test_a_violated_constraint_rolls_the_unit_back(recon, db, tmp_path):
    unit = """
        kind: migration
        id: C1-unique-name
        scope: schema
        operations:
          - add_column: {table: items, name: code, type: varchar(10), nullable: true}
          - add_constraint: {name: items_legacy_key, table: items, type: unique, columns: [legacy]}
    """
    ws = make_workspace(db, tmp_path, textwrap.dedent(unit))
    ws.db.run("UPDATE items SET legacy = 'same'")
    code, out, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 1, out + err
    assert "unit C1-unique-name failed: statement " in err
    rows = history(recon, ws)
    assert [(r["unit"], r["status"]) for r in rows] == [("C1-unique-name", "failed")]
    assert ("code" in ws.columns("items")) == (db.dialect == "mysql")
    if db.dialect == "mysql":
        assert rows[0]["statements"] >= 1


# -- 9. rollback -----------------------------------------------------------------------------


def test_rollback_by_id_and_last(recon, ws):
    common = ("--specs", ws.specs, "--db", ws.url)
    original = ws.snapshot()
    code, _, err = recon("apply", *common, "--auto-approve")
    assert code == 0, err
    applied = ws.snapshot()

    code, _, err = recon("rollback", "U1-items-note", *common, "--auto-approve", "--allow-destructive")
    assert code == 3 and "cannot roll back U1-items-note: applied units depend on it: U2-tags (roll those back first)" in err
    assert ws.snapshot() == applied

    code, _, err = recon("rollback", "U2-tags", *common, "--auto-approve")
    assert code == 3 and "RC101" in err  # dropping a table is destructive here too
    assert ws.snapshot() == applied

    code, out, err = recon("rollback", "U2-tags", *common, "--auto-approve", "--allow-destructive")
    assert code == 0, err
    assert "rolled back U2-tags" in out
    assert "tags" not in ws.tables() and "note" in ws.columns("items")
    assert pending_units(recon, ws) == ["U2-tags"]

    code, out, err = recon("rollback", "--last", *common, "--auto-approve", "--allow-destructive")
    assert code == 0, err
    assert "rolled back U1-items-note" in out and "rollback notes: Additive column" in out
    schema = ws.snapshot()
    schema.pop("recon_ledger")
    assert schema == original

    rows = history(recon, ws)
    assert [(r["unit"], r["status"]) for r in rows] == [
        ("U1-items-note", "applied"), ("U2-tags", "applied"), ("U2-tags", "rolled_back"), ("U1-items-note", "rolled_back")]
    code, out, _ = recon("history", "--db", ws.url)
    assert code == 0 and out.count("rolled_back") == 2
    assert pending_units(recon, ws) == ["U1-items-note", "U2-tags"]

    code, _, err = recon("rollback", "U2-tags", *common, "--auto-approve", "--allow-destructive")
    assert code == 1 and "unit U2-tags is not applied (ledger: rolled_back)" in err
    code, _, err = recon("rollback", "--last", *common, "--auto-approve")
    assert code == 1 and "nothing to roll back" in err
    code, _, err = recon("rollback", "NOPE-1", *common, "--auto-approve")
    assert code == 1 and "unknown unit 'NOPE-1'" in err
    assert history(recon, ws) == rows

    code, _, err = recon("apply", *common, "--auto-approve")
    assert code == 0, err
    assert ws.snapshot() == applied


def test_rollback_of_a_unit_never_applied(recon, ws):
    code, _, err = recon("rollback", "U1-items-note", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 1 and "unit U1-items-note is not applied" in err
    assert "recon_ledger" not in ws.tables()


# -- 10. checksum drift ------------------------------------------------------------------------


def test_editing_an_applied_unit_is_reported(recon, ws):
    common = ("--specs", ws.specs, "--db", ws.url)
    assert recon("apply", *common, "--auto-approve")[0] == 0
    applied = ledger_rows(ws.db)
    assert applied == [("U1-items-note", "applied", 1), ("U2-tags", "applied", 2)]
    ws.write("01-unit", U1.replace("type: text", "type: varchar(200)"))
    code, out, err = recon("plan", *common, "--detailed-exitcode")
    assert code == 0, err
    assert "warning: unit U1-items-note changed since it was applied" in out
    assert plan_json(recon, ws)["warnings"][0].startswith("unit U1-items-note changed since it was applied")
    code, out, err = recon("plan", *common, "--strict")
    assert code == 1 and "U1-items-note changed since it was applied" in err
    ws.write("01-unit", U1.replace("description: Add items.note", "description: Reworded"))
    code, out, _ = recon("plan", *common, "--strict")
    assert code == 0 and "warning" not in out  # the description is not part of the checksum
    assert ledger_rows(ws.db) == applied and "note" in ws.columns("items")  # reported, never re-applied


# -- 11. confirmation --------------------------------------------------------------------------


def test_apply_without_plan_file_needs_a_terminal_or_auto_approve(recon, ws, monkeypatch):
    common = ("--specs", ws.specs, "--db", ws.url)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    before = ws.snapshot()
    code, out, err = recon("apply", *common)
    assert code == 3 and "needs confirmation and there is no terminal" in err and "--auto-approve" in err
    assert "+ add_column items.note" in out  # the plan was shown
    code, _, err = recon("rollback", "--last", *common)
    assert code == 1  # nothing applied yet
    assert ws.snapshot() == before
    code, _, err = recon("apply", *common, "--auto-approve")
    assert code == 0, err
    code, _, err = recon("rollback", "--last", *common, "--allow-destructive")
    assert code == 3 and "no terminal" in err
    assert "tags" in ws.tables()


def test_apply_in_a_pipeline_without_terminal(sqlite_db, tmp_path):
    ws = make_workspace(sqlite_db, tmp_path)
    proc = recon_process("apply", "--specs", ws.specs, "--db", ws.url)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3 and "no terminal" in err
    assert "+ add_column items.note" in out  # the plan was shown before asking
    assert "recon_ledger" not in ws.tables()


# -- 12. PostgreSQL timeouts -------------------------------------------------------------------


def test_postgres_lock_timeout_fails_fast_and_rolls_back(recon, postgres_db, tmp_path):
    unit = """
        kind: migration
        id: T1-blocked
        scope: schema
        lock_timeout: 100ms
        operations:
          - create_table: {table: side, columns: [{name: id, type: integer, primary_key: true}]}
          - add_column: {table: items, name: extra, type: integer, nullable: true}
    """
    ws = make_workspace(postgres_db, tmp_path, textwrap.dedent(unit))
    plan_file = save_plan(recon, ws)
    eng = postgres_db.engine()
    blocker = eng.connect()
    try:
        blocker.exec_driver_sql("SELECT * FROM items").fetchall()  # ACCESS SHARE until rollback
        started = time.monotonic()
        code, out, err = recon("apply", plan_file, "--db", ws.url)
        elapsed = time.monotonic() - started
    finally:
        blocker.rollback()
        blocker.close()
        eng.dispose()
    assert code == 1, out + err
    assert elapsed < 3, elapsed
    assert "lock timeout" in err and "statement 2" in err
    assert "side" not in ws.tables() and "extra" not in ws.columns("items")
    rows = history(recon, ws)
    assert [(r["unit"], r["status"]) for r in rows] == [("T1-blocked", "failed")]
    assert "lock timeout" in rows[0]["error"]
    # once the lock is gone, a fresh plan applies
    code, _, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 0, err
    assert "extra" in ws.columns("items")


def test_postgres_statement_timeout(recon, postgres_db, tmp_path):
    unit = """
        kind: migration
        id: T2-slow
        scope: schema
        statement_timeout: 200ms
        operations:
          - sql:
              dialect: postgres
              statements: [SELECT pg_sleep(5)]
              guard: {table_exists: items}
    """
    ws = make_workspace(postgres_db, tmp_path, textwrap.dedent(unit))
    started = time.monotonic()
    code, out, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 1, out + err
    assert time.monotonic() - started < 3
    assert "statement timeout" in err
    assert [r["status"] for r in history(recon, ws)] == ["failed"]



def test_postgres_each_unit_runs_with_its_own_timeouts(recon, postgres_db, tmp_path):
    """The session's timeouts are set once for units that share them; a unit with other values gets
    its own, and the unit after it the defaults again (each unit stores what it ran with)."""
    def unit(uid: str, table: str, timeouts: str) -> str:
        return "\n".join([f"kind: migration\nid: {uid}\nscope: schema", timeouts, "operations:", "  - sql:",
                          "      dialect: postgres",
                          f"      statements: [\"CREATE TABLE {table} AS SELECT current_setting('lock_timeout') AS l, "
                          "current_setting('statement_timeout') AS s\"]",
                          f"      guard: {{table_missing: {table}}}", ""])
    ws = make_workspace(postgres_db, tmp_path, unit("T3a-default", "seen_a", ""), unit("T3b-default", "seen_b", ""),
                        unit("T3c-own", "seen_c", "lock_timeout: 2s\nstatement_timeout: 300ms"), unit("T3d-default", "seen_d", ""))
    code, out, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 0, out + err
    seen = {t: stored_rows(postgres_db, f"SELECT l, s FROM {t}") for t in ("seen_a", "seen_b", "seen_c", "seen_d")}
    assert seen == {"seen_a": [("5s", "15min")], "seen_b": [("5s", "15min")], "seen_c": [("2s", "300ms")], "seen_d": [("5s", "15min")]}
    assert [r["status"] for r in history(recon, ws)] == ["applied"] * 4
    assert plan_json(recon, ws)["actions"] == []  # converged: all four are applied

# -- raw SQL reaches the server as written -------------------------------------------------


def test_raw_sql_with_percent_signs(recon, db, tmp_path):
    unit = """
        kind: migration
        id: P1-percent
        scope: schema
        operations:
          - add_column: {table: items, name: flag, type: integer, nullable: true}
          - sql:
              dialect: postgres
              statements:
                - UPDATE items SET flag = 1 WHERE name LIKE 'a%'
              guard: {sql: "SELECT count(*) > 0 FROM items WHERE name LIKE '%a%'"}
    """
    ws = make_workspace(db, tmp_path, textwrap.dedent(unit))
    code, out, err = recon("plan", "--specs", ws.specs, "--db", ws.url)
    assert code == 0, err
    assert "LIKE 'a%'" in out  # shown as it will run, not escaped for a driver
    code, out, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 0, out + err
    eng = ws.db.engine()
    with eng.connect() as conn:
        assert conn.exec_driver_sql("SELECT id, flag FROM items ORDER BY id").fetchall() == [(1, 1), (2, None)]
    eng.dispose()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_the_lock_is_per_database(recon, request, tmp_path, dialect):
    """Applying to one database does not lock out another database on the same server."""
    db = request.getfixturevalue({"postgresql": "postgres_db", "mysql": "mysql_db"}[dialect])
    ws = make_workspace(db, tmp_path)
    other, drop = _second_database(db, tmp_path)
    try:
        (tmp_path / "other").mkdir()
        other_ws = make_workspace(other, tmp_path / "other")
        holder = subprocess.Popen([sys.executable, "-c", LOCKER, dialect, other.url, _lock_key(other_ws, save_plan(recon, other_ws))],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            code, _, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
            assert code == 0, err
            assert "note" in ws.columns("items") and ledger_rows(db) == [("U1-items-note", "applied", 1), ("U2-tags", "applied", 2)]
            code, _, err = recon("apply", "--specs", other_ws.specs, "--db", other.url, "--auto-approve")
            assert code == 3 and "lock held" in err
            assert "note" not in other_ws.columns("items") and "tags" not in other_ws.tables()
        finally:
            holder.communicate("\n", timeout=10)
    finally:
        drop()


# -- units outside a transaction -------------------------------------------------------------


CONCURRENT_UNIQUE = """
kind: migration
id: N1-unique-name
scope: schema
transactional: false
operations:
  - add_column: {table: items, name: code, type: varchar(10), nullable: true}
  - create_index: {name: items_legacy_uidx, table: items, columns: [legacy], unique: true, concurrently: true}
"""


def test_postgres_non_transactional_unit_failure_is_reported_as_partial(recon, postgres_db, tmp_path):
    ws = make_workspace(postgres_db, tmp_path, CONCURRENT_UNIQUE)
    ws.db.run("UPDATE items SET legacy = 'same'")
    code, out, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 1, out + err
    assert "unit N1-unique-name failed: statement 3:" in err  # 1: add column, 2: drop a leftover, 3: build
    assert "rolled back" not in err and "outside a transaction" in err
    assert "code" in ws.columns("items")  # statement 1 stayed, as the message says
    rows = history(recon, ws)
    assert [(r["unit"], r["status"], r["statements"]) for r in rows] == [("N1-unique-name", "failed", 2)]


def test_sqlite_runs_a_non_transactional_unit_in_its_savepoint(recon, sqlite_db, tmp_path):
    """SQLite has no CONCURRENTLY and transactional DDL: the same failing unit leaves nothing behind."""
    ws = make_workspace(sqlite_db, tmp_path, CONCURRENT_UNIQUE)
    ws.db.run("UPDATE items SET legacy = 'same'")
    code, out, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 1, out + err
    assert "unit N1-unique-name failed" in err and "the unit was rolled back" in err
    assert "code" not in ws.columns("items")
    assert [(r["unit"], r["status"]) for r in history(recon, ws)] == [("N1-unique-name", "failed")]


def test_postgres_invalid_index_is_not_present(recon, postgres_db, tmp_path):
    ws = make_workspace(postgres_db, tmp_path, CONCURRENT_UNIQUE)
    ws.db.run("UPDATE items SET legacy = 'same'")
    assert recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")[0] == 1
    actions = plan_json(recon, ws)["actions"]
    assert [(a["op"], a["status"]) for a in actions] == [("add_column", "present"), ("create_index", "pending")]
    # the leftover INVALID index is dropped before the build; once the data allows it, the index is valid
    ws.db.run("UPDATE items SET legacy = id::text")
    assert recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")[0] == 0
    assert ws.db.scalar("SELECT bool_and(x.indisvalid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relname = 'items_legacy_uidx'") is True
    assert plan_json(recon, ws)["actions"] == []


def test_apply_to_a_database_that_went_away(postgres_db, tmp_path):
    from conftest import POSTGRES_URL, _server_engine

    from engine.applying.applier import apply
    from engine.errors import TargetError

    ws = make_workspace(postgres_db, tmp_path)
    plan = make_plan(engine.load_specs(str(ws.specs)), ws.url)
    eng = _server_engine(POSTGRES_URL, "PostgreSQL")
    with eng.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{sa.engine.make_url(ws.url).database}" WITH (FORCE)')
    eng.dispose()
    with pytest.raises(TargetError, match="cannot connect to"):
        apply(plan, ws.url)


# -- a rollback that fails -----------------------------------------------------------------


BAD_ROLLBACK = """
kind: migration
id: R1-note
scope: schema
rollback:
  notes: Drops the column, then (by mistake) updates a column that does not exist.
  operations:
    - drop_column: {{table: items, name: note}}
    - sql:
        dialect: postgres
        statements: [UPDATE items SET {column} = NULL WHERE id > 0]
        guard: {{column_exists: items.id}}
operations:
  - add_column: {{table: items, name: note, type: text, nullable: true}}
"""


def test_a_failed_rollback_leaves_the_unit_applied(recon, db, tmp_path):
    ws = make_workspace(db, tmp_path, BAD_ROLLBACK.format(column="no_such_column"))
    common = ("--specs", ws.specs, "--db", ws.url)
    assert recon("apply", *common, "--auto-approve")[0] == 0
    code, out, err = recon("rollback", "R1-note", *common, "--auto-approve", "--allow-destructive")
    assert code == 1, out + err
    assert "unit R1-note failed: statement 2" in err
    assert ("note" in ws.columns("items")) == (db.dialect != "mysql")  # MySQL: the DROP COLUMN committed
    rows = history(recon, ws)
    assert [(r["unit"], r["status"]) for r in rows] == [("R1-note", "applied"), ("R1-note", "rollback_failed")]
    assert "no_such_column" in rows[-1]["error"]
    # the unit is still applied: nothing to re-apply, and the rollback can be retried once fixed
    assert pending_units(recon, ws) == []
    ws.write("01-unit", BAD_ROLLBACK.format(column="name"))
    code, out, err = recon("rollback", "R1-note", *common, "--auto-approve", "--allow-destructive")
    assert code == 0, out + err
    assert "note" not in ws.columns("items")
    assert history(recon, ws)[-1]["status"] == "rolled_back"
    assert pending_units(recon, ws) == ["R1-note"]


def test_mysql_type_change_keeps_auto_increment(recon, mysql_db, tmp_path):
    """MODIFY COLUMN restates the whole column: AUTO_INCREMENT must be restated too, or new rows lose their ids."""
    mysql_db.run("CREATE TABLE counters (id integer NOT NULL AUTO_INCREMENT, label varchar(10), CONSTRAINT PRIMARY KEY (id))")
    unit = """
        kind: migration
        id: W1-wider-ids
        scope: schema
        operations:
          - alter_column: {table: counters, name: id, type: bigint}
    """
    ws = Workspace(mysql_db, tmp_path / "specs", tmp_path)
    ws.specs.mkdir()
    ws.write("unit", unit)
    plan = plan_json(recon, ws)
    assert any("AUTO_INCREMENT" in sql for a in plan["actions"] for sql in a["sql"])
    code, _, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 0, err
    mysql_db.run("INSERT INTO counters (label) VALUES ('a');\nINSERT INTO counters (label) VALUES ('b')")
    assert mysql_db.scalar("SELECT MAX(id) FROM counters") == 2
    assert mysql_db.scalar("SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'counters' AND COLUMN_NAME = 'id'") == "auto_increment"
    assert pending_units(recon, ws) == []


def test_mysql_drop_foreign_key_takes_its_implicit_index_along(recon, mysql_db, tmp_path):
    """MySQL made an index for the foreign key; dropping the key leaves the table as it was before the key."""
    mysql_db.run("CREATE TABLE teams (id integer NOT NULL PRIMARY KEY);\n"
                 "CREATE TABLE members (id integer NOT NULL PRIMARY KEY, team_id integer, "
                 "CONSTRAINT members_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id))")
    ws = Workspace(mysql_db, tmp_path / "specs", tmp_path)
    ws.specs.mkdir()
    assert ws.snapshot()["members"][1] == ("PRIMARY", "members_team_id_fkey")
    ws.write("unit", """
        kind: migration
        id: F1-no-fk
        scope: schema
        allow: [RC104]
        operations:
          - drop_constraint: {table: members, name: members_team_id_fkey}
    """)
    code, _, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 0, err
    assert ws.snapshot()["members"][1] == ("PRIMARY",)
    assert pending_units(recon, ws) == []


def _mysql_ws(mysql_db, tmp_path, setup: str, *units: str) -> Workspace:
    mysql_db.run(setup)
    ws = Workspace(mysql_db, tmp_path / "specs", tmp_path)
    ws.specs.mkdir()
    for i, unit in enumerate(units):
        ws.write(f"unit{i}", unit)
    return ws


def test_mysql_keeps_an_index_another_foreign_key_needs(recon, mysql_db, tmp_path):
    ws = _mysql_ws(mysql_db, tmp_path, "CREATE TABLE p1 (id INT PRIMARY KEY);\nCREATE TABLE p2 (id INT PRIMARY KEY);\n"
                   "CREATE TABLE c (id INT PRIMARY KEY, x INT, CONSTRAINT fk_b FOREIGN KEY (x) REFERENCES p2 (id));\n"
                   "ALTER TABLE c ADD CONSTRAINT fk_a FOREIGN KEY (x) REFERENCES p1 (id)", """
        kind: migration
        id: K1
        scope: schema
        allow: [RC104]
        operations: [{drop_constraint: {table: c, name: fk_a}}]
    """)
    assert ws.snapshot()["c"][1] == ("PRIMARY", "fk_a")  # MariaDB named the one index x has after the later key
    code, _, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 0, err
    assert _mysql_foreign_keys(mysql_db) == [("c", "fk_b")] and ws.snapshot()["c"][1] == ("PRIMARY", "fk_a")
    assert pending_units(recon, ws) == []


def _mysql_foreign_keys(mysql_db) -> list[tuple]:
    """(table, name) of every foreign key of the test database."""
    return stored_rows(mysql_db, "SELECT table_name, constraint_name FROM information_schema.referential_constraints "
                                 "WHERE constraint_schema = DATABASE() ORDER BY table_name, constraint_name")


def test_mysql_foreign_key_indexes_are_simulated(recon, mysql_db, tmp_path):
    """The index MySQL makes for a key created earlier in the same plan goes when the key goes,
    and one that a dropped table's cascade removed can be created again in the same plan."""
    ws = _mysql_ws(mysql_db, tmp_path, "CREATE TABLE users (id INT PRIMARY KEY);\n"
                   "CREATE TABLE audit_log (id INT PRIMARY KEY, user_id INT, CONSTRAINT audit_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id))", """
        kind: migration
        id: K1-teams
        scope: schema
        operations:
          - create_table: {table: teams, columns: [{name: id, type: integer, primary_key: true}]}
          - create_table:
              table: members
              columns:
                - {name: id, type: integer, primary_key: true}
                - {name: team_id, type: integer, references: {table: teams, column: id}}
    """, """
        kind: migration
        id: K2-loose
        scope: schema
        depends_on: [K1-teams]
        allow: [RC104, RC101]
        operations:
          - drop_constraint: {table: members, name: members_team_id_fkey}
          - drop_table: {table: users, cascade: true}
          - create_index: {name: audit_log_user_id_fkey, table: audit_log, columns: [user_id]}
    """)
    ws.write("fingerprint", "kind: fingerprint\nname: f\nchecks:\n  - {index: audit_log_user_id_fkey, on: audit_log}\n")
    code, out, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 0, err
    assert "fingerprint 1/1 -> 1/1" in out
    snap = ws.snapshot()
    assert snap["members"][1] == ("PRIMARY",) and "audit_log_user_id_fkey" in snap["audit_log"][1]
    assert pending_units(recon, ws) == []


def test_mysql_two_type_changes_in_one_plan_keep_auto_increment(recon, mysql_db, tmp_path):
    ws = _mysql_ws(mysql_db, tmp_path, "CREATE TABLE t (id SMALLINT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT)",
                   "kind: migration\nid: M1\nscope: schema\noperations: [{alter_column: {table: t, name: id, type: integer}}]\n",
                   "kind: migration\nid: M2\nscope: schema\ndepends_on: [M1]\noperations: [{alter_column: {table: t, name: id, type: bigint}}]\n")
    code, _, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 0, err
    assert mysql_db.scalar("SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'id'") == "auto_increment"


def test_drop_index_without_table_must_be_unambiguous(recon, db, tmp_path):
    db.run("CREATE TABLE a (v integer);\nCREATE TABLE b (v integer);\nCREATE INDEX ix ON a (v);\nCREATE INDEX ix2 ON b (v)"
           if db.dialect != "mysql" else "CREATE TABLE a (v integer);\nCREATE TABLE b (v integer);\nCREATE INDEX ix ON a (v);\nCREATE INDEX ix ON b (v)")
    ws = Workspace(db, tmp_path / "specs", tmp_path)
    ws.specs.mkdir()
    ws.write("unit", "kind: migration\nid: D1\nscope: schema\noperations: [{drop_index: {name: ix}}]\n")
    code, _, err = recon("plan", "--specs", ws.specs, "--db", ws.url)
    if db.dialect == "mysql":  # index names are per table there
        assert code == 1 and "index ix is on several tables (a, b): name its table" in err
    else:
        assert code == 0, err


def test_mysql_refuses_to_plan_what_the_server_refuses(recon, mysql_db, tmp_path):
    ws = _mysql_ws(mysql_db, tmp_path, "CREATE TABLE p (id INT PRIMARY KEY);\nCREATE TABLE c (id INT PRIMARY KEY, p_id INT, x INT);\n"
                   "CREATE INDEX c_px_idx ON c (p_id, x);\nALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p (id)",
                   "kind: migration\nid: B2\nscope: schema\noperations: [{drop_index: {name: c_px_idx, table: c}}]\n",
                   "kind: migration\nid: D1\nscope: schema\noperations:\n"
                   "  - add_constraint: {name: c_px_idx, table: c, type: foreign_key, columns: [x], references: {table: p, columns: [id]}}\n")
    code, _, err = recon("plan", "--specs", ws.specs, "--db", ws.url)
    assert code == 1
    assert "index c_px_idx is the only index foreign key c_p_fk can use (MySQL needs one): drop the key first" in err
    assert "index c_px_idx already exists on c, and MySQL names the index it makes for a foreign key after the key" in err


def test_mysql_indexes_keys_need_are_kept_on_both_sides(recon, mysql_db, tmp_path):
    ws = _mysql_ws(mysql_db, tmp_path, "CREATE TABLE p (id INT PRIMARY KEY, code INT);\nCREATE UNIQUE INDEX p_code ON p (code);\n"
                   "CREATE TABLE c (id INT PRIMARY KEY, x INT, code INT);\nALTER TABLE c ADD CONSTRAINT c_x_key UNIQUE (x);\n"
                   "ALTER TABLE c ADD CONSTRAINT c_x_fkey FOREIGN KEY (x) REFERENCES p (id);\n"
                   "ALTER TABLE c ADD CONSTRAINT c_code_fkey FOREIGN KEY (code) REFERENCES p (code)",
                   "kind: migration\nid: K1\nscope: schema\nallow: [RC104]\noperations: [{drop_constraint: {name: c_x_key, table: c}}]\n",
                   "kind: migration\nid: L1\nscope: schema\noperations: [{drop_index: {name: p_code, table: p}}]\n")
    code, _, err = recon("plan", "--specs", ws.specs, "--db", ws.url)
    assert code == 1
    assert "c_x_key is the only index foreign key c_x_fkey can use (MySQL needs one): drop the key first" in err
    assert "index p_code is the only index foreign key c_code_fkey can use" in err


def test_mysql_foreign_key_names_clash_only_where_mysql_makes_an_index(recon, mysql_db, tmp_path):
    ws = _mysql_ws(mysql_db, tmp_path, "CREATE TABLE p (id INT PRIMARY KEY);\nCREATE TABLE c (id INT PRIMARY KEY, x INT, y INT);\n"
                   "CREATE INDEX foo ON c (y);\nCREATE INDEX ix ON c (x)",
                   "kind: migration\nid: J1\nscope: schema\noperations:\n"
                   "  - add_constraint: {name: foo, table: c, type: foreign_key, columns: [x], references: {table: p, columns: [id]}}\n"
                   "  - add_constraint: {name: Foo2, table: c, type: foreign_key, columns: [y], references: {table: p, columns: [id]}}\n")
    code, _, err = recon("apply", "--specs", ws.specs, "--db", ws.url, "--auto-approve")
    assert code == 0, err  # an index already serves x: MySQL makes none, so the name is free
    assert _mysql_foreign_keys(mysql_db) == [("c", "foo"), ("c", "Foo2")] and ws.snapshot()["c"][1] == ("PRIMARY", "foo", "ix")
    ws.write("unit1", "kind: migration\nid: Z1\nscope: schema\noperations:\n"
             "  - create_table: {table: d, columns: [{name: id, type: integer}, {name: x, type: integer}, {name: y, type: integer}]}\n"
             "  - create_index: {name: foo, table: d, columns: [y]}\n"
             "  - add_constraint: {name: Foo, table: d, type: foreign_key, columns: [x], references: {table: p, columns: [id]}}\n")
    code, _, err = recon("plan", "--specs", ws.specs, "--db", ws.url)
    assert code == 1 and "index foo already exists on d, and MySQL names the index it makes for a foreign key after the key" in err
