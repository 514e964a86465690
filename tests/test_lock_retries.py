"""Lock retries: a unit whose statement fails on its lock_timeout is tried again, with backoff, up to
``lock_retries`` times in the same run, each try a ledger row (the pattern of GitLab's
``with_lock_retries``).

Another session holds a lock on ``items`` (PostgreSQL: ACCESS SHARE from an open read, which an
``ALTER TABLE`` waits for; MariaDB: the metadata lock of an open transaction). The test releases
it once the ledger shows the first ``retried`` try, so the outcome does not depend on how fast
the machine is. SQLite has no lock to wait for inside a run: ``apply`` takes its one lock
(``BEGIN IMMEDIATE``) before the first unit, and a held lock is "lock held", exit 3 (tested in
test_apply.py); there a unit is tried once whatever ``lock_retries`` says.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time

from support import recon_bin, stored_rows

import engine

UNIT = """kind: migration
id: L1-extra
scope: schema
lock_timeout: {timeout}
lock_retries: {retries}
operations:
  - create_table: {{table: side, columns: [{{name: id, type: integer, primary_key: true}}]}}
  - add_column: {{table: items, name: extra, type: integer, nullable: true}}
"""


def _setup(db, specs, retries: int):
    db.run("CREATE TABLE items (id integer PRIMARY KEY, name varchar(20))")
    timeout = "1s" if db.dialect == "mysql" else "300ms"  # MySQL's lock_wait_timeout is whole seconds
    (specs / "unit.yaml").write_text(UNIT.format(timeout=timeout, retries=retries), encoding="utf-8")


def _ledger(db) -> list[tuple]:
    try:
        return stored_rows(db, "SELECT status, statements, error FROM recon_ledger ORDER BY seq")
    except Exception:  # noqa: BLE001 - not created yet
        return []


def _hold(db, release_when):
    """A session holding a lock on items until ``release_when()`` is true (or 60 s pass)."""
    eng = db.engine()
    conn = eng.connect()
    if db.dialect == "mysql":
        conn.exec_driver_sql("START TRANSACTION")
    conn.exec_driver_sql("SELECT * FROM items").fetchall()  # PostgreSQL ACCESS SHARE / MariaDB metadata lock

    def run():
        deadline = time.monotonic() + 60
        while not release_when() and time.monotonic() < deadline:
            time.sleep(0.05)
        conn.rollback()
        conn.close()
        eng.dispose()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_lock_timeout_is_tried_again_and_each_try_is_in_the_ledger(server_db, specs):
    db = server_db
    _setup(db, specs, retries=3)
    holder = _hold(db, lambda: any(row[0] == "retried" for row in _ledger(db)))
    try:
        done = subprocess.run([recon_bin(), "apply", "--specs", str(specs), "--db", db.url, "--auto-approve"],
                              capture_output=True, text=True, timeout=120)
    finally:
        holder.join()
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _ledger(db)
    assert [r[0] for r in rows] == ["retried", "applied"], rows
    assert rows[0][2].startswith("try 1 of 4: statement ") and "lock" in rows[0][2].lower(), rows
    assert rows[1][1] == 2 and rows[1][2] is None  # the last row counts the unit's statements
    assert {r[0] for r in stored_rows(db, "SELECT count(extra) FROM items")} == {0}
    history = subprocess.run([recon_bin(), "history", "--db", db.url, "--format", "json"], capture_output=True, text=True)
    assert [(h["unit"], h["status"]) for h in json.loads(history.stdout)] == [("L1-extra", "retried"), ("L1-extra", "applied")]


def test_tries_end_after_lock_retries_and_the_unit_fails(server_db, specs):
    db = server_db
    _setup(db, specs, retries=1)
    stop = threading.Event()
    holder = _hold(db, stop.is_set)
    try:
        started = time.monotonic()
        done = subprocess.run([recon_bin(), "apply", "--specs", str(specs), "--db", db.url, "--auto-approve"],
                              capture_output=True, text=True, timeout=120)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        holder.join()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "try 2 of 2: statement" in done.stderr
    rows = _ledger(db)
    assert [r[0] for r in rows] == ["retried", "failed"], rows
    assert elapsed < 30, elapsed  # two lock timeouts and one second of backoff, plus start-up
    columns = {"postgresql": "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'extra'",
               "mysql": "SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items' "
                        "AND COLUMN_NAME = 'extra'"}
    assert db.scalar(columns[db.dialect]) == 0


def test_the_environment_gives_the_default_and_the_plan_carries_it(sqlite_db, specs):
    """A unit without lock_retries takes its environment's; one with it keeps its own; the plan file holds both."""
    (specs / "envs.yaml").write_text("kind: environments\nenvironments:\n  - {name: prod, database_url_env: DB, lock_retries: 5}\n",
                                     encoding="utf-8")
    (specs / "a.yaml").write_text("kind: migration\nid: A\nscope: schema\noperations:\n"
                                  "  - create_table: {table: a, columns: [{name: id, type: integer}]}\n", encoding="utf-8")
    (specs / "b.yaml").write_text("kind: migration\nid: B\nscope: schema\nlock_retries: 0\noperations:\n"
                                  "  - create_table: {table: b, columns: [{name: id, type: integer}]}\n", encoding="utf-8")
    plan = engine.plan(engine.load_specs(str(specs)), sqlite_db.url, environment="prod")
    assert {u.id: u.lock_retries for u in plan.units} == {"A": 5, "B": 0}
    assert {u["id"]: u["lock_retries"] for u in plan.to_dict()["units"]} == {"A": 5, "B": 0}
    report = engine.apply(plan, sqlite_db.url)
    assert [o.status for o in report.outcomes] == ["applied", "applied"]
    assert stored_rows(sqlite_db, "SELECT unit, status, statements FROM recon_ledger ORDER BY seq") == [("A", "applied", 1), ("B", "applied", 1)]
    assert stored_rows(sqlite_db, "SELECT name FROM sqlite_master WHERE name IN ('a', 'b') ORDER BY name") == [("a",), ("b",)]
