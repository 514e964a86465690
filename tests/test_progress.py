"""Apply's progress on a terminal: unit n/m, a long statement's elapsed time, nothing elsewhere."""

from __future__ import annotations

import io
import os
import time

from support import RECON_VARIABLES, recon_bin, write

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


SLOW = """
    kind: migration
    id: U1-slow
    ticket: T-1
    scope: schema
    operations:
      - create_table: {table: items, columns: [{name: id, type: integer}], primary_key: [id]}
    ---
    kind: migration
    id: U2-slow-copy
    ticket: T-2
    scope: schema
    depends_on: [U1-slow]
    operations:
      - sql:
          dialect: sqlite
          statements:
            - CREATE TABLE counted AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 12000000) SELECT count(*) AS n FROM c
          guard: {table_missing: counted}
    """


def test_the_installed_recon_shows_progress_on_a_terminal_and_none_in_a_pipe(sqlite_db, specs, tmp_path):
    """stderr on a real pty: unit n/m and the long statement's elapsed time; stdout, a pipe, keeps
    only the outcome lines. A second run with stderr a pipe writes no progress at all."""
    import pty
    import subprocess

    write(specs, "units", SLOW)
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    master, slave = pty.openpty()
    run = subprocess.Popen([recon_bin(), "apply", "--specs", str(specs), "--db", sqlite_db.url, "--auto-approve"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env, cwd=tmp_path)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the pty
            break
        if not chunk:
            break
        seen += chunk
    out = run.stdout.read().decode()
    assert run.wait(timeout=120) == 0, seen
    os.close(master)
    terminal = seen.decode()
    assert "[1/2] U1-slow" in terminal and "[2/2] U2-slow-copy: statement 1/1" in terminal
    assert "[2/2] U2-slow-copy: statement 1/1 running 2s: CREATE TABLE counted AS WITH RECURSIVE" in terminal, terminal
    assert terminal.endswith(CLEAR)  # the line is cleared when the run is over
    assert "applied U1-slow" in out and "applied U2-slow-copy" in out and "\033[K" not in out and "[1/2]" not in out

    quick = tmp_path / "quick"
    quick.mkdir()
    write(quick, "units", SLOW.split("---")[0])
    import sqlite3

    sqlite3.connect(tmp_path / "other.db").close()
    done = subprocess.run([recon_bin(), "apply", "--specs", str(quick), "--db", f"sqlite:///{tmp_path / 'other.db'}", "--auto-approve"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "applied U1-slow" in done.stdout, done.stderr
    assert "\033[K" not in done.stderr + done.stdout and "[1/" not in done.stderr + done.stdout
