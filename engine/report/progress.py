"""Apply's progress on a terminal: one status line on stderr, rewritten in place.

``[2/5] TER-173-products-name-canonical: statement 3/4`` while a unit runs, and once a
statement has run longer than ``after`` seconds, its elapsed time, updated every ``every``
seconds by a ticker thread: ``... statement 3/4 running 12s: CREATE INDEX ...``. The line is
cleared before each outcome line is printed. Where the stream is not a terminal (``tty``
false: a CI log, a file) nothing at all is written and no thread is started.

The clock and the terminal test are arguments, so a test drives ``tick`` with a fake clock.
"""

from __future__ import annotations

import threading
import time

from ..applying.progress import Progress

CLEAR = "\r\033[K"  # back to the line's start, erase it


class TerminalProgress(Progress):
    """A status line on ``stream`` when ``tty``; silent otherwise."""

    def __init__(self, stream, tty: bool, clock=time.monotonic, after: float = 2.0, every: float = 1.0,
                 width: int | None = None, ticker: bool = True):
        self.stream, self.tty, self.clock, self.after, self.every = stream, tty, clock, after, every
        self.width = width
        self.ticker = ticker and tty
        self._lock = threading.Lock()
        self._head = ""
        self._step: tuple[int, int, str] | None = None
        self._started = 0.0
        self._stop: threading.Event | None = None
        self._shown = False

    def unit(self, number: int, total: int, label: str) -> None:
        self._halt()
        self._head, self._step = f"[{number}/{total}] {label}", None
        self._show(self._head)

    def statement(self, number: int, total: int, sql: str) -> None:
        self._halt()
        self._step, self._started = (number, total, " ".join(sql.split())), self.clock()
        self._show(self.line())
        if self.ticker:
            self._stop = stop = threading.Event()
            threading.Thread(target=self._tick_until, args=(stop,), daemon=True, name="recon-progress").start()

    def idle(self) -> None:
        self._halt()
        with self._lock:
            if self.tty and self._shown:
                self.stream.write(CLEAR)
                self.stream.flush()
            self._shown = False

    def line(self) -> str:
        """The status line now: the unit, the statement, and its elapsed time once it is long."""
        if self._step is None:
            return self._head
        number, total, sql = self._step
        text = f"{self._head}: statement {number}/{total}"
        elapsed = self.clock() - self._started
        return text + (f" running {elapsed:.0f}s: {sql}" if elapsed >= self.after else "")

    def tick(self) -> None:
        """Rewrite the line (the ticker thread calls this every ``every`` seconds)."""
        self._show(self.line())

    def _tick_until(self, stop: threading.Event) -> None:
        while not stop.wait(self.every):
            self.tick()

    def _halt(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self._stop = None

    def _show(self, text: str) -> None:
        if not self.tty:
            return
        width = self.width or _columns()
        with self._lock:
            self.stream.write(CLEAR + (text if len(text) < width else text[: max(width - 2, 1)] + "…"))
            self.stream.flush()
            self._shown = True


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns
