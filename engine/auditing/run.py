"""The read-only audit: inspect once, run every canary and invariant, return one report.

Everything happens inside one read-only transaction (see ``target``); the
schema is read in a constant number of catalog queries, then canaries are
evaluated in memory and invariants run as bound queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..ledger import table as ledger
from ..spec.model import Specs
from ..target.connection import Target, make_target, read_only_connection
from . import canaries as checks
from . import invariants as inv

if TYPE_CHECKING:
    from .auditset import AuditSet

AUDIT_FORMAT = "recon.audit/v1"


@dataclass(frozen=True)
class TargetInfo:
    """Which database a result is about; ``url`` never carries a password. An offline audit
    (``engine.audit_offline``) has no database: its ``url`` is ``offline``, ``files`` the DDL
    files read, ``mapped`` and ``ignored`` (by kind) the statements of them used and left out."""

    dialect: str
    url: str
    server_version: str
    offline: bool = False
    files: tuple[str, ...] = ()
    mapped: int = 0
    ignored: dict = field(default_factory=dict)
    flavor: str = ""

    def to_dict(self) -> dict:
        out = {"dialect": self.dialect, "url": self.url, "server_version": self.server_version}
        if self.offline:
            out.update(offline=True, flavor=self.flavor, files=list(self.files),
                       statements={"mapped": self.mapped, "ignored": sum(self.ignored.values()), "ignored_by_kind": dict(self.ignored)})
        return out

    def describe(self) -> str:
        """``postgresql postgresql://app@db/app (15.4)``, or ``postgresql offline (files: ...)``."""
        if not self.offline:
            return f"{self.dialect} {self.url} ({self.server_version})"
        files = ", ".join(self.files) or "no base file"
        return (f"{self.flavor or self.dialect} offline (read from {files}: {self.mapped} statements mapped, "
                f"{sum(self.ignored.values())} ignored; no database)")


@dataclass(frozen=True)
class _Results:
    """Named pass/fail results and their counts."""

    checks: tuple

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def failing(self) -> tuple:
        """Checks that failed; a ``skipped`` one (an invariant offline) is not among them."""
        return tuple(c for c in self.checks if not c.passed and c.status != "skipped")

    @property
    def skipped(self) -> int:
        return sum(c.status == "skipped" for c in self.checks)


@dataclass(frozen=True)
class FingerprintResult(_Results):
    """Canary results (``CheckResult``): ``complete`` is true when every check passed."""

    @property
    def complete(self) -> bool:
        return self.passed == self.total

    def summary(self) -> str:
        """One line a startup log can carry: ``fingerprint 6/7 (missing: products.product_name)``."""
        line = f"fingerprint {self.passed}/{self.total}"
        missing = [c.name for c in self.failing if c.missing]
        mismatched = [c.name for c in self.failing if not c.missing]
        parts = ([f"missing: {', '.join(missing)}"] if missing else []) + ([f"mismatched: {', '.join(mismatched)}"] if mismatched else [])
        return line + (f" ({'; '.join(parts)})" if parts else "")

    def to_dict(self) -> dict:
        return {"passed": self.passed, "total": self.total, "complete": self.complete, "checks": [c.to_dict() for c in self.checks]}


@dataclass(frozen=True)
class InvariantsResult(_Results):
    """Invariant results (``InvariantResult``), declared ones first, then those implied by rbac specs."""

    def summary(self) -> str:
        if self.skipped == self.total and self.total:
            return f"invariants skipped: {self.total} (offline: no rows to read)"
        line = f"invariants {self.passed}/{self.total}"
        failing = [c.name for c in self.failing]
        return line + (f" (failing: {', '.join(failing)})" if failing else "")

    def to_dict(self) -> dict:
        return {"passed": self.passed, "total": self.total, "checks": [c.to_dict() for c in self.checks]}


@dataclass(frozen=True)
class AuditReport:
    """What ``recon audit`` found; ``to_dict`` is the contract's ``recon.audit/v1`` report."""

    generated_at: str
    target: TargetInfo
    specs_digest: str
    fingerprint: FingerprintResult
    invariants: InvariantsResult
    catalog_queries: int = 0
    statements: int = 0
    fingerprint_names: tuple[str, ...] = field(default=())
    drift: tuple = ()  # ``drift.Drift`` of applied units (not part of ``ok``: ``recon audit --strict`` fails on it too)
    warnings: tuple[str, ...] = ()  # what the audit could not check (``drift not checked: ...``), for people

    @property
    def ok(self) -> bool:
        """True when every canary and every invariant passed."""
        return self.fingerprint.complete and not self.invariants.failing

    def to_dict(self) -> dict:
        return {
            "format": AUDIT_FORMAT,
            "generated_at": self.generated_at,
            "target": self.target.to_dict(),
            "specs_digest": self.specs_digest,
            "ok": self.ok,
            "fingerprint": {**self.fingerprint.to_dict(), "names": list(self.fingerprint_names)},
            "invariants": self.invariants.to_dict(),
            "drift": [d.to_dict() for d in self.drift],
            "warnings": list(self.warnings),
            "stats": {"catalog_queries": self.catalog_queries, "statements": self.statements},
        }


def schemas_read(specs: Specs) -> set[str]:
    """The non-default schemas an audit of ``specs`` must inspect."""
    from .auditset import AuditSet

    return AuditSet.of(specs).schemas()


def audit(specs: "Specs | AuditSet", url: "str | Target", *, fingerprint: str | None = None, run_invariants: bool = True,
          state=None, ledger_table: str | None = None, drift=None, unchanged_since=None, carried=()) -> AuditReport:
    """Audit ``url`` read-only: every canary (or those of one fingerprint) and every invariant of
    ``specs`` (a spec set, or the ``AuditSet`` a plan carries).

    ``state`` is a schema already inspected on this target (apply passes the one it read
    under its lock); without it the schema is inspected here. With a spec set, the ledger
    (``ledger_table``, default ``recon_ledger``) is read too, for the drift of applied units,
    and where it holds applied units ``drift`` finds their drift (``engine.diff.drift``, whose
    ``schemas`` and ``find`` replay the change vocabulary, a later stage); ``engine.audit`` passes
    it, and without it there is none. ``unchanged_since`` is ``(report, tables)`` or ``(report, tables,
    schemas)``: an audit of the same checks on a state that differs from ``state`` only in ``tables``
    (apply's audit before, and the tables its units changed); a canary that reads none of them keeps
    its outcome from ``report``, but for a missing table's in ``schemas`` (where tables came or went;
    all, if not given). ``carried``: a plan's ``audit_outcomes``, for canaries of tables ``state`` lacks.
    """
    from ..inspect import inspect_schema
    from .auditset import AuditSet

    units = None if isinstance(specs, AuditSet) or drift is None else specs
    checks_ = specs if isinstance(specs, AuditSet) else AuditSet.of(specs, fingerprint, run_invariants)
    target = url if isinstance(url, Target) else make_target(url)
    with read_only_connection(target) as conn:
        if state is None:
            state = inspect_schema(conn, sorted(checks_.schemas() | (drift.schemas(units) if units and units.units else set())))
        drifted, warnings = _drift(drift, conn, units, state, ledger_table, target.scrub) if units else ((), ())
        canary_results = _evaluate(checks_.canaries, state, unchanged_since, carried)
        invariant_results = tuple(inv.run(checks_.invariants, conn, state, checks_.rbac_tables, target.scrub))
    return AuditReport(
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        target=TargetInfo(target.dialect, target.display_url, state.server_version),
        specs_digest=checks_.specs_digest,
        fingerprint=FingerprintResult(canary_results),
        invariants=InvariantsResult(invariant_results),
        catalog_queries=state.queries,
        statements=target.statements,
        fingerprint_names=checks_.fingerprint_names,
        drift=drifted,
        warnings=warnings,
    )


def _evaluate(canaries, state, unchanged_since=None, carried=()) -> tuple:
    """Each canary's outcome on ``state``, but for those ``_keeper`` keeps (see ``audit``)."""
    kept = _keeper(canaries, state, unchanged_since, carried)
    return tuple(kept(i, c) or checks.evaluate(c, state) for i, c in enumerate(canaries))


def whole_schema_needed(canaries, state, unchanged_since=None, carried=()) -> bool:
    """Whether an audit on ``state``, a schema read restricted to some tables, needs all of it: a
    canary to evaluate looks its name up in the whole schema, or its table is not there (its message
    names the nearest tables of the whole schema)."""
    if state.only is None:
        return False
    kept = _keeper(canaries, state, unchanged_since, carried)
    return any(kept(i, c) is None and (c.ref is None or checks.find_table(state, c.ref) is None) for i, c in enumerate(canaries))


def _keeper(canaries, state, unchanged_since, carried):
    """``kept(i, canary)``: the outcome the ``i``-th canary keeps without being evaluated on ``state``, else None.

    After the units (``unchanged_since``): its earlier outcome, if it reads none of the changed
    tables (a missing table's is evaluated again where tables of its schema came or went: it names the
    nearest ones). Before them (``carried``, a plan's outcomes): the plan's, for a table not in
    ``state``. Either is ignored unless it holds one outcome per canary."""
    default = state.default_schema
    if unchanged_since is not None and len(unchanged_since[0].fingerprint.checks) == len(canaries):
        earlier, tables, *names = unchanged_since
        changed, moved = {(s or default, t) for s, t in tables}, names[0] if names else None

        def since(i, c):
            e = earlier.fingerprint.checks[i]
            went = moved is None or (c.ref is not None and (c.ref.schema or default) in moved)
            return e if e.name == c.name and checks.reads_only(c, changed, default) and not (e.missing and went) else None
        return since
    if carried and len(carried) == len(canaries) and state.only is not None:
        return lambda i, c: (checks.CheckResult.planned(c, carried[i])
                             if carried[i] is not None and checks.find_table(state, c.ref) is None else None)
    return lambda i, c: None


def _drift(drift, conn, units: Specs, state, ledger_table: str | None, scrub) -> tuple[tuple, tuple[str, ...]]:
    """The drift of applied units, read in a savepoint: a ledger the login may not read is a warning
    (drift not checked, with the server's words), and the rest of the audit goes on in the same
    transaction."""
    from sqlalchemy.exc import DBAPIError

    from ..target.connection import driver_message

    table = ledger_table or ledger.DEFAULT_TABLE
    savepoint = conn.begin_nested()
    try:
        rows = ledger.read(conn, state, table, probe=True)
    except DBAPIError as exc:
        savepoint.rollback()
        return (), (f"drift not checked: the ledger {table} cannot be read: {scrub(driver_message(exc))}",)
    savepoint.commit()
    # no applied unit, no drift: the finder (and the change vocabulary it replays) is not even imported
    return (drift.find(units, rows, state) if ledger.applied(rows) else ()), ()
