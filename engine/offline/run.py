"""The offline audit and validation: base DDL files plus every migration unit, no database.

``offline_state`` reads the base files (``ddl.Builder``), then plans every unit in dependency
order against that state with the planner itself (``diff.migrations.plan_units``): a change
whose effect is present is skipped, one the server would refuse is a located error (the
planner's refusal rules), and every other change is simulated. A raw ``sql`` operation that
would run is read as DDL too (its DML is ignored); a ``guard: {sql: ...}`` cannot be evaluated
without a database, so it is taken to hold, and the report says so. ``audit_offline`` then runs
the fingerprint canaries on the result, as a live audit does on the inspected schema;
invariants read rows and are reported as skipped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ..auditing import canaries as checks
from ..auditing.auditset import AuditSet
from ..auditing.invariants import InvariantResult
from ..auditing.run import AuditReport, FingerprintResult, InvariantsResult, TargetInfo
from ..diff.migrations import PENDING, order_units, plan_units
from ..errors import SpecError, UsageError
from ..inspect.state import SchemaState
from ..render import renderer_for
from ..spec.model import Specs
from . import spelling
from .catalog import as_catalog
from .ddl import Builder, parse_dialect
from .statements import split

NOTHING_CREATES = "offline: no base file and no migration unit creates it, yet the fingerprint expects it"
SKIPPED = "skipped offline: an invariant reads rows, and there is no database"


@dataclass
class OfflineState:
    """The schema once every unit is applied on the base files; what was read, ignored and assumed."""

    state: SchemaState
    flavor: str
    files: tuple[str, ...]
    mapped: int = 0
    ignored: Counter = field(default_factory=Counter)
    units: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)

    def target(self) -> TargetInfo:
        """The report's target: ``offline``, the dialect and the files read."""
        return TargetInfo(self.state.dialect, "offline", self.state.server_version, offline=True, files=self.files,
                          mapped=self.mapped, ignored=dict(sorted(self.ignored.items())), flavor=self.flavor)


def check_flavor(dialect: str) -> str:
    if dialect not in spelling.FLAVORS:
        raise UsageError(f"unknown --dialect {dialect!r} (one of {', '.join(spelling.FLAVORS)})")
    return dialect


def offline_state(specs: Specs, bases=(), dialect: str = "postgresql") -> OfflineState:
    """The state of the base DDL files (``bases``, in order) with every unit of ``specs`` applied."""
    flavor = check_flavor(dialect)
    builder = Builder(flavor)
    for path in bases:
        builder.read(str(path))
    base = builder.state
    kept = {id(c) for t in base.tables.values() for c in t.columns} | {id(c) for c in base.constraints.values()}
    found = OfflineState(base, flavor, tuple(str(p) for p in bases), builder.mapped, Counter(builder.ignored))
    sim, problems = base, []
    for unit in order_units(list(specs.units)):
        guards: list[str] = []
        try:
            plans, after = plan_units([(unit, "apply")], sim, renderer_for(sim), _assumed(unit, guards))
        except SpecError as exc:
            problems.extend(exc.diagnostics)
            continue
        found.warnings.extend(guards)
        sim = _raw_effects(plans, after, flavor, found)
    if problems:
        n = len(problems)
        raise SpecError(problems, f"{n} operation{'s' if n != 1 else ''} cannot apply to the offline schema "
                                  f"({', '.join(found.files) or 'no base file'} and the units before them)")
    found.state = as_catalog(sim, kept, flavor)
    found.units = tuple(u.id for u in order_units(list(specs.units)))
    return found


def _assumed(unit, notes: list[str]):
    """A ``guard: {sql: ...}`` offline: taken to hold (the unit runs, as on a database it is pending on)."""
    def guard(query: str, dialect: str) -> bool:
        notes.append(f"unit {unit.id} ({unit.source}): its sql guard cannot be evaluated offline; its statements are taken to run")
        return True
    return guard


def _raw_effects(plans, sim: SchemaState, flavor: str, found: OfflineState) -> SchemaState:
    """The DDL a unit's raw ``sql`` operations run, read onto the simulated state (DML is counted as ignored)."""
    from ..changes.rawsql import RawSQL

    builder = None
    for plan in plans:
        for action in plan.actions:
            if not isinstance(action.change, RawSQL) or action.status != PENDING:
                continue
            builder = builder or Builder(flavor, sim)
            source = action.change.source
            for text in action.sql:
                for stmt in split(text, f"{source.file}:{source.line} (unit {plan.unit.id})", parse_dialect(flavor)):
                    builder.apply(replace(stmt, file=source.file, line=source.line))
    if builder is not None:
        found.ignored.update({f"{k} (in units)": v for k, v in builder.ignored.items()})
    return sim


def audit_offline(specs: Specs, bases=(), dialect: str = "postgresql", *, fingerprint: str | None = None) -> AuditReport:
    """The fingerprint of ``specs`` against the offline state (base files plus every unit): the same
    check-by-check results as a live audit, with invariants skipped."""
    found = offline_state(specs, bases, dialect)
    audits = AuditSet.of(specs, fingerprint)
    results = tuple(_offline(checks.evaluate(c, found.state)) for c in audits.canaries)
    skipped = tuple(InvariantResult(i.name, "skipped", None, None, SKIPPED, str(i.source)) for i in audits.invariants)
    return AuditReport(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"), target=found.target(),
        specs_digest=audits.specs_digest, fingerprint=FingerprintResult(results), invariants=InvariantsResult(skipped),
        fingerprint_names=audits.fingerprint_names, warnings=tuple(found.warnings),
    )


def _offline(result):
    """A missing object offline: nothing creates it, which is what the incident was."""
    return replace(result, detail=f"{result.detail} ({NOTHING_CREATES})") if result.missing else result


@dataclass(frozen=True)
class OfflineValidation:
    """``recon validate --offline``: every unit applies to the offline state (else ``SpecError``)."""

    target: TargetInfo
    units: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"ok": True, "target": self.target.to_dict(), "units": list(self.units), "warnings": list(self.warnings)}


def validate_offline(specs: Specs, bases=(), dialect: str = "postgresql") -> OfflineValidation:
    """Check that every unit of ``specs`` applies, in order, to the base files' schema; a change
    that cannot (a column it alters does not exist there) is a ``SpecError`` at its line."""
    found = offline_state(specs, bases, dialect)
    return OfflineValidation(found.target(), found.units, tuple(found.warnings))
