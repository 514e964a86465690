"""Faults during apply, on every dialect, each driving the installed `recon` process.

- apply killed with SIGKILL in the middle of a unit: the unit in flight is rolled back where
  the dialect has transactional DDL (on MariaDB the ledger says precisely which statements
  ran, and the next apply marks that row `interrupted`), finished units stay, no lock is left,
  and the next apply converges;
- the server ends recon's connection mid-apply (`pg_terminate_backend`, MariaDB `KILL`):
  exit 1, the ledger truthful, nothing partial on PostgreSQL;
- `CREATE INDEX CONCURRENTLY` under the apply lock while other sessions write to the table
  finishes: recon runs it on the lock's own connection, outside any transaction, so it waits
  for no transaction of recon's own (the failure Flyway users met, with its lock in a second
  session's open transaction).

To stop recon at a known point, another session holds a lock on `items` (PostgreSQL ACCESS
SHARE, MariaDB a metadata lock) that the unit's second statement waits for; the test acts once
the server shows that wait. SQLite has no table locks and runs the whole apply in one
transaction (a unit is a savepoint in it): there a reader keeps the final COMMIT waiting, and
the kill comes then; a server ending the connection has no meaning for an embedded database.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

from support import inspected, recon_bin, stored_rows

UNITS = {
    "01-u1.yaml": "kind: migration\nid: U1\nscope: schema\noperations:\n"
                  "  - create_table: {table: first, columns: [{name: id, type: integer, primary_key: true}]}\n",
    "02-u2.yaml": "kind: migration\nid: U2\nscope: schema\ndepends_on: [U1]\nlock_timeout: 60s\noperations:\n"
                  "  - create_table: {table: second, columns: [{name: id, type: integer, primary_key: true}]}\n"
                  "  - add_column: {table: items, name: extra, type: integer, nullable: true}\n",
}
WAITING = {
    "postgresql": "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
    "mysql": "SELECT ID FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table metadata lock%%' "
             "AND DB = DATABASE()",
}


def _specs(tmp_path, db):
    db.run("CREATE TABLE items (id integer PRIMARY KEY, name varchar(20));\nINSERT INTO items (id, name) VALUES (1, 'a')")
    specs = tmp_path / "specs"
    specs.mkdir()
    for name, text in UNITS.items():
        (specs / name).write_text(text, encoding="utf-8")
    return specs


def _start(specs, db) -> subprocess.Popen:
    return subprocess.Popen([recon_bin(), "apply", "--specs", str(specs), "--db", db.url, "--auto-approve"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _waiting_session(db):
    """The session of the given database that waits for a lock (recon's), or None."""
    rows = stored_rows(db, WAITING[db.dialect])
    return rows[0][0] if rows else None


def _ledger(db) -> list[tuple]:
    return stored_rows(db, "SELECT unit, status, statements, finished_at, error FROM recon_ledger ORDER BY seq")


def _columns(db, table: str) -> set[str]:
    found = inspected(db).tables
    return {c.name for (_, t), tab in found.items() if t == table for c in tab.columns}


def _holding(db):
    """A session reading ``items`` in an open transaction, so that ALTER TABLE items waits."""
    eng = db.engine()
    conn = eng.connect()
    if db.dialect == "mysql":
        conn.exec_driver_sql("START TRANSACTION")
    conn.exec_driver_sql("SELECT * FROM items").fetchall()
    return eng, conn


def _converges(specs, db) -> None:
    """The next apply finishes the work and a plan after it has nothing left."""
    done = subprocess.run([recon_bin(), "apply", "--specs", str(specs), "--db", db.url, "--auto-approve"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    plan = subprocess.run([recon_bin(), "plan", "--specs", str(specs), "--db", db.url, "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert plan.returncode == 0 and json.loads(plan.stdout)["units"] == [], plan.stdout + plan.stderr
    assert "extra" in _columns(db, "items") and _columns(db, "second") == {"id"}


def test_apply_killed_mid_unit_on_a_server(server_db, tmp_path):
    db = server_db
    specs = _specs(tmp_path, db)
    eng, blocker = _holding(db)
    try:
        proc = _start(specs, db)
        _wait(lambda: proc.poll() is not None or _waiting_session(db), "recon's ALTER TABLE to wait for the lock")
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        blocker.rollback()
        blocker.close()
        eng.dispose()
    _wait(lambda: not _waiting_session(db) and not _recon_sessions(db), "the dead client's session to end")
    rows = _ledger(db)
    if db.dialect == "postgresql":  # the unit's transaction, its ledger row with it, went with the session
        assert [(u, s) for u, s, *_ in rows] == [("U1", "applied")]
        assert "second" not in {t for _, t in inspected(db).tables}
    else:  # MariaDB committed each DDL statement: the ledger says which ran; the ALTER ran on after the kill
        assert [(u, s, n, f) for u, s, n, f, _ in rows] == [("U1", "applied", 1, rows[0][3]), ("U2", "running", 1, None)]
    _converges(specs, db)
    rows = _ledger(db)
    if db.dialect == "mysql":
        assert rows[1][1] == "interrupted" and rows[1][3] is None and "after 1 statement(s)" in rows[1][4], rows
    assert [(u, s) for u, s, *_ in rows][-1] == ("U2", "applied")


def _recon_sessions(db) -> int:
    """Sessions of this database other than the test's own probe (the dead client's, until it ends)."""
    sql = {"postgresql": "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
           "mysql": "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()"}
    return db.scalar(sql[db.dialect])


def test_apply_killed_before_its_commit_on_sqlite(sqlite_db, tmp_path):
    """The whole run is one transaction: a reader keeps its COMMIT waiting, the kill comes then, and
    nothing stays (no unit, no ledger row, no lock: the file opens for writing at once)."""
    db = sqlite_db
    specs = _specs(tmp_path, db)
    path = db.url.split("///", 1)[1]
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM items").fetchall()  # a SHARED lock until the reader's transaction ends
    proc = _start(specs, db)
    try:
        _wait(lambda: proc.poll() is not None or os.path.exists(path + "-journal"), "the run to write its journal")
        time.sleep(1.0)  # its units ran: it is at COMMIT, waiting for the reader
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    tables = {t for _, t in inspected(db).tables}
    assert tables == {"items"}, tables  # the hot journal rolled the run back: no unit, no ledger table
    _converges(specs, db)
    assert [(u, s) for u, s, *_ in _ledger(db)] == [("U1", "applied"), ("U2", "applied")]


def test_the_server_ends_recons_connection_mid_apply(server_db, tmp_path):
    db = server_db
    specs = _specs(tmp_path, db)
    eng, blocker = _holding(db)
    try:
        proc = _start(specs, db)
        session = _wait(lambda: proc.poll() is not None or _waiting_session(db), "recon's ALTER TABLE to wait for the lock")
        assert proc.poll() is None, proc.communicate()
        db.run(f"SELECT pg_terminate_backend({int(session)})" if db.dialect == "postgresql" else f"KILL {int(session)}")
        out, err = proc.communicate(timeout=60)
    finally:
        blocker.rollback()
        blocker.close()
        eng.dispose()
    assert proc.returncode == 1, out + err
    assert "Traceback" not in err and "internal error" not in err, err
    assert "error: lost the connection to " in err and "in unit U2, statement 2: " in err, err
    left = {"postgresql": "nothing of it stayed", "mysql": "statements 1 to 1 of it ran and stay; its ledger row stays 'running'"}
    assert left[db.dialect] in err and "password" not in err.lower(), err
    rows = _ledger(db)
    if db.dialect == "postgresql":
        assert [(u, s) for u, s, *_ in rows] == [("U1", "applied")]  # U2 rolled back with its session, its row too
        assert "second" not in {t for _, t in inspected(db).tables}
    else:
        assert [(u, s, n) for u, s, n, *_ in rows] == [("U1", "applied", 1), ("U2", "running", 1)]
        assert "extra" not in _columns(db, "items")  # KILL ended the waiting ALTER too
    _converges(specs, db)


def test_create_index_concurrently_under_the_apply_lock_while_others_write(postgres_db, tmp_path):
    db = postgres_db
    db.run("CREATE TABLE items (id integer PRIMARY KEY, name varchar(20))")
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "u.yaml").write_text(
        "kind: migration\nid: C1\nscope: schema\ntransactional: false\nlock_timeout: 30s\noperations:\n"
        "  - create_index: {name: items_name_idx, table: items, columns: [name], concurrently: true}\n", encoding="utf-8")
    stop, written = threading.Event(), []

    def writer():
        eng = db.engine()
        with eng.connect() as conn:
            n = 0
            while not stop.is_set():
                n += 1
                conn.exec_driver_sql(f"INSERT INTO items (id, name) VALUES ({n}, 'w{n}')")
                conn.commit()  # short transactions, one after another, during the whole build
                written.append(n)
        eng.dispose()

    threads = [threading.Thread(target=writer)]
    threads[0].start()
    try:
        done = subprocess.run([recon_bin(), "apply", "--specs", str(specs), "--db", db.url, "--auto-approve"],
                              capture_output=True, text=True, timeout=120)
    finally:
        stop.set()
        threads[0].join()
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(written) > 10
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_idx'::regclass") is True
    assert [(u, s) for u, s, *_ in _ledger(db)] == [("C1", "applied")]
