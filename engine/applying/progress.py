"""What apply tells as it runs, for a live display: the unit it starts, each statement it sends.

``Progress`` is the no-op listener ``apply`` uses when none is given; a display (the terminal
one is ``engine.report.progress.TerminalProgress``) overrides its methods. Every method is
called from the applying thread, in order: ``unit``, then ``statement`` per statement sent,
then ``idle`` when the unit is done (before its outcome is echoed).
"""

from __future__ import annotations


class Progress:
    """Receives apply's progress; this base ignores all of it."""

    def unit(self, number: int, total: int, label: str) -> None:
        """Unit ``number`` of ``total`` starts (``label``: its id, or the row units run together)."""

    def statement(self, number: int, total: int, sql: str) -> None:
        """Statement ``number`` of ``total`` of the current unit is sent to the server."""

    def idle(self) -> None:
        """Nothing runs now (a unit finished, or the run is over): clear what is shown."""


SILENT = Progress()
