"""One root error for everything recon refuses or fails to do.

Each subclass carries the exit code the contract gives its kind, so the CLI
maps any ``ReconError`` to a message and an exit status in one place.
Messages never contain a password: target errors are built from redacted URLs
and driver messages are scrubbed before they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass


class ReconError(Exception):
    """Root of every error recon raises on purpose; ``exit_code`` is the CLI's status."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the specs, located as ``file:line: path: message``.

    ``severity`` is ``error`` (the specs are invalid: ``SpecError``) or ``warning`` (valid but
    likely wrong, e.g. an incomplete rollback: kept on ``Specs.warnings``, fatal only under
    ``recon validate --strict``).
    """

    file: str
    line: int
    path: str
    message: str
    severity: str = "error"

    def to_dict(self) -> dict:
        """The JSON form ``recon validate --format json`` prints."""
        return {"file": self.file, "line": self.line, "path": self.path, "message": self.message, "severity": self.severity}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(ReconError):
    """The specs are invalid; carries every diagnostic found, not just the first."""

    def __init__(self, diagnostics: list[Diagnostic], heading: str | None = None):
        self.diagnostics = list(diagnostics)
        count = len(self.diagnostics)
        head = heading or f"{count} problem{'s' if count != 1 else ''} in the specs"
        super().__init__(head + ":\n" + "\n".join(str(d) for d in self.diagnostics))


class UsageError(ReconError):
    """The command line or API call is inconsistent (missing target, bad option value)."""


class TargetError(ReconError):
    """The target database cannot be reached or opened (bad URL, server down, missing file)."""


class ReportError(ReconError):
    """A report or plan file given as input cannot be read or is not of the expected format."""


class SafetyRefusal(ReconError):
    """A safety gate refused the operation (stale plan, lock held, detect-only, ...)."""

    exit_code = 3


def did_you_mean(word: str, options) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options`` to ``word``, else empty."""
    import difflib

    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
