"""Run one command on every target of a fleet, in a bounded pool, into one ``FleetReport``.

``run_fleet`` gives each target to ``work`` (a function of the target's URL returning the
target's own result and exit code) on at most ``parallel`` threads; the work is I/O on the
databases, and each target opens and disposes of its own engine and connection. A target
that fails (a ``ReconError``, or anything unexpected) gets exit code 1, or its error's code
(3 for a refusal), and a password-free message; it never stops the others.

The fleet's exit code is the highest of the targets' codes (3 refused > 2 differences >
1 error > 0): whatever went worst on any target is what the run says.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from ..errors import ReconError
from ..target.connection import make_target, redact_text
from .targets import FleetTarget

FLEET_FORMAT = "recon.fleet/v1"
COMMANDS = ("audit", "plan", "apply")
DEFAULT_PARALLEL = 4  # audit and plan; apply runs one target at a time unless --parallel is given


@dataclass
class FleetEntry:
    """One target's row: its name, where it is (no password), its exit code, its result or error.

    ``result`` is the target's own result object (``AuditReport``, ``Plan``, ``ApplyReport``)
    where one exists, for the views; ``report`` is its JSON document (``to_dict()``), which a
    merged report carries alone.
    """

    name: str
    target: dict
    exit_code: int
    report: dict | None = None
    error: str | None = None
    result: object = None

    def to_dict(self) -> dict:
        return {"name": self.name, "target": self.target, "exit_code": self.exit_code, "error": self.error, "report": self.report}

    @classmethod
    def from_dict(cls, data: dict) -> "FleetEntry":
        return cls(data["name"], data["target"], int(data["exit_code"]), data.get("report"), data.get("error"))


@dataclass
class FleetReport:
    """The ``recon.fleet/v1`` document: one row per target, in name order, and the totals."""

    command: str
    entries: list[FleetEntry]
    generated_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    specs_digest: str | None = None
    shards: tuple[str, ...] = ()  # the K/N parts this report covers (empty: the whole targets file)

    @property
    def exit_code(self) -> int:
        """The worst (highest) exit code of the targets; 0 for an empty fleet."""
        return max((e.exit_code for e in self.entries), default=0)

    def totals(self) -> dict:
        codes = {str(c): sum(e.exit_code == c for e in self.entries) for c in sorted({e.exit_code for e in self.entries})}
        return {"targets": len(self.entries), "exit_codes": codes, "exit_code": self.exit_code,
                "failed": [e.name for e in self.entries if e.exit_code == 1],
                "refused": [e.name for e in self.entries if e.exit_code == 3]}

    def to_dict(self) -> dict:
        return {"format": FLEET_FORMAT, "command": self.command, "generated_at": self.generated_at,
                "specs_digest": self.specs_digest, "shards": list(self.shards),
                "targets": [e.to_dict() for e in self.entries], "totals": self.totals()}


def where(target: FleetTarget, url: str | None) -> dict:
    """``{dialect, url}`` of a target as the report shows it: no password, whatever the URL holds."""
    if url is None:
        return {"dialect": None, "url": None, "url_env": target.url_env}
    try:
        made = make_target(url)
    except ReconError:
        return {"dialect": None, "url": redact_text(url)}
    return {"dialect": made.dialect, "url": made.display_url}


def failed(target: FleetTarget, url: str | None, exc: BaseException) -> FleetEntry:
    """The row of a target whose work raised: its error's exit code (1 for the unexpected), no password."""
    secrets = _secrets(url)
    if isinstance(exc, ReconError):
        message, code = str(exc), exc.exit_code
    else:
        message, code = f"internal error: {type(exc).__name__}: {exc}", 1
    report = getattr(exc, "report", None)  # an apply that failed part-way: what ran
    return FleetEntry(target.name, where(target, url), code, report.to_dict() if report is not None else None,
                      redact_text(message, secrets), report)


def _secrets(url: str | None) -> tuple[str, ...]:
    if url is None:
        return ()
    try:
        target = make_target(url)
    except ReconError:
        return ()
    return (str(target.url.password),) if target.url.password else ()


Work = Callable[[FleetTarget, str], "tuple[object, int]"]


def run_one(target: FleetTarget, work: Work) -> FleetEntry:
    """``work`` on one target, whatever happens, as its row."""
    url = None
    try:
        url = target.resolve()
        result, code = work(target, url)
    except Exception as exc:  # noqa: BLE001 - one target's failure is its row, never the fleet's
        return failed(target, url, exc)
    return FleetEntry(target.name, where(target, url), code, result.to_dict() if result is not None else None, None, result)


def run_fleet(command: str, targets, work: Work, *, parallel: int = DEFAULT_PARALLEL, specs_digest: str | None = None,
              shard: str | None = None, progress=lambda done, total, entry: None) -> FleetReport:
    """Run ``work`` on every target (at most ``parallel`` at once); rows in name order."""
    targets = sorted(targets, key=lambda t: t.name)
    entries: list[FleetEntry] = []
    if parallel <= 1 or len(targets) <= 1:
        for target in targets:
            entries.append(run_one(target, work))
            progress(len(entries), len(targets), entries[-1])
    else:
        with ThreadPoolExecutor(max_workers=min(parallel, len(targets)), thread_name_prefix="recon-fleet") as pool:
            for entry in pool.map(lambda t: run_one(t, work), targets):
                entries.append(entry)
                progress(len(entries), len(targets), entry)
    return FleetReport(command, entries, specs_digest=specs_digest, shards=(shard,) if shard else ())
