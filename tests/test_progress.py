"""Apply's progress on a terminal: unit n/m, a long statement's elapsed time, nothing elsewhere."""

from __future__ import annotations

import io
import os
import time

from support import RECON_VARIABLES, ledger_rows, recon_bin, stored_rows, write

from engine.report.progress import CLEAR, TerminalProgress


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_status_line_shows_the_unit_then_a_long_statements_elapsed_time():
    stream, clock = io.StringIO(), Clock()
    shown = TerminalProgress(stream, tty=True, clock=clock, after=2.0, width=200, ticker=False)
    shown.unit(2, 5, "TER-173-products")
    assert stream.getvalue() == CLEAR + "[2/5] TER-173-products"
    shown.statement(1, 3, "CREATE INDEX\n  products_idx ON products (name)")
    assert stream.getvalue().endswith(CLEAR + "[2/5] TER-173-products: statement 1/3")
    clock.now += 1.5
    shown.tick()
    assert stream.getvalue().endswith(CLEAR + "[2/5] TER-173-products: statement 1/3")  # not long yet: no time shown
    clock.now += 11.0
    shown.tick()
    assert stream.getvalue().endswith(CLEAR + "[2/5] TER-173-products: statement 1/3 running 12s: CREATE INDEX products_idx ON products (name)")
    shown.statement(2, 3, "UPDATE products SET x = 1")
    assert stream.getvalue().endswith(": statement 2/3")  # a new statement starts its own clock
    shown.idle()
    assert stream.getvalue().endswith(CLEAR)


def test_a_long_line_is_cut_to_the_terminal_width():
    stream = io.StringIO()
    TerminalProgress(stream, tty=True, width=20, ticker=False).unit(1, 1, "a-very-long-unit-identifier-indeed")
    assert stream.getvalue() == CLEAR + "[1/1] a-very-long-…"  # 19 columns: the cursor never wraps


def test_nothing_is_written_and_no_thread_started_when_the_stream_is_not_a_terminal():
    import threading

    stream, clock = io.StringIO(), Clock()
    shown = TerminalProgress(stream, tty=False, clock=clock, after=0.0, every=0.01)
    before = threading.active_count()
    shown.unit(1, 2, "U1")
    shown.statement(1, 1, "SELECT 1")
    clock.now += 60
    shown.tick()
    shown.idle()
    assert stream.getvalue() == "" and threading.active_count() == before


def test_the_ticker_thread_updates_the_line_while_a_statement_runs():
    stream = io.StringIO()
    shown = TerminalProgress(stream, tty=True, after=0.05, every=0.02, width=200)
    shown.unit(1, 1, "U1")
    shown.statement(1, 1, "SELECT slow()")
    time.sleep(0.3)
    shown.idle()
    text = stream.getvalue()
    assert "[1/1] U1: statement 1/1 running 0s: SELECT slow()" in text and text.endswith(CLEAR)
    settled = len(text)
    time.sleep(0.1)
    assert len(stream.getvalue()) == settled  # idle stopped the ticker


NOTE = """
    kind: migration
    id: U1-items-note
    ticket: T-1
    scope: schema
    operations:
      - add_column: {table: items, name: note, type: text, nullable: true}
    ---
    kind: migration
    id: U2-items-tag
    ticket: T-2
    scope: schema
    depends_on: [U1-items-note]
    operations:
      - add_column: {table: items, name: tag, type: text, nullable: true}
    """


def _read_until(master: int, wanted: bytes, seconds: float) -> bytes:
    """What the pty shows until ``wanted`` appears (or ``seconds`` pass, or the child closes it)."""
    import select

    seen, end = b"", time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the pty
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_the_installed_recon_shows_progress_on_a_terminal(postgres_db, specs, tmp_path):
    """stderr on a real pty: unit n/m, then the elapsed time of a statement kept waiting by a lock
    the test holds (released once the line shows it); stdout, a pipe, keeps only the outcome lines."""
    import pty
    import subprocess

    import sqlalchemy as sa

    postgres_db.run("CREATE TABLE items (id integer PRIMARY KEY)")
    write(specs, "units", NOTE)
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    holder = sa.create_engine(postgres_db.url)
    conn = holder.connect()
    conn.exec_driver_sql("LOCK TABLE items IN ACCESS EXCLUSIVE MODE")  # in the connection's open transaction
    master, slave = pty.openpty()
    try:
        run = subprocess.Popen([recon_bin(), "apply", "--specs", str(specs), "--db", postgres_db.url, "--auto-approve"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env, cwd=tmp_path)
        os.close(slave)
        seen = _read_until(master, b"running 2s", 30)
    finally:
        conn.rollback()  # the lock goes: the ALTER goes on (well within recon's 5 s lock_timeout)
        conn.close()
        holder.dispose()
    seen += _read_until(master, b"\0", 60)  # the rest, until the child closes the pty
    out = run.stdout.read().decode()
    assert run.wait(timeout=60) == 0, seen
    os.close(master)
    terminal = seen.decode()
    assert "[1/2] U1-items-note" in terminal and "[1/2] U1-items-note: statement 1/1" in terminal
    assert '[1/2] U1-items-note: statement 1/1 running 2s: ALTER TABLE "items" ADD COLUMN' in terminal, terminal
    assert "[2/2] U2-items-tag: statement 1/1" in terminal and terminal.endswith(CLEAR)  # cleared when the run is over
    assert "applied U1-items-note" in out and "applied U2-items-tag" in out and "\033[K" not in out and "[1/2]" not in out
    assert stored_rows(postgres_db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position") \
        == [("id",), ("note",), ("tag",)]
    assert ledger_rows(postgres_db) == [("U1-items-note", "applied", 1), ("U2-items-tag", "applied", 1)]


def test_the_installed_recon_writes_no_progress_when_stderr_is_not_a_terminal(sqlite_db, specs, tmp_path):
    import subprocess

    sqlite_db.run("CREATE TABLE items (id integer PRIMARY KEY)")
    write(specs, "units", NOTE)
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    done = subprocess.run([recon_bin(), "apply", "--specs", str(specs), "--db", sqlite_db.url, "--auto-approve"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "applied U1-items-note" in done.stdout and "applied U2-items-tag" in done.stdout, done.stderr
    assert "\033[K" not in done.stderr + done.stdout and "[1/" not in done.stderr + done.stdout
    assert stored_rows(sqlite_db, "SELECT name FROM pragma_table_info('items')") == [("id",), ("note",), ("tag",)]
    assert ledger_rows(sqlite_db) == [("U1-items-note", "applied", 1), ("U2-items-tag", "applied", 1)]
