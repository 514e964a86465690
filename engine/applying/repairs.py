"""``recon repair UNIT``: the operator accepts one applied unit's drift in the ledger.

Flyway's ``repair`` realigns every checksum at once; this one is per unit and also covers the
unit's effect. Under apply's lock it inspects the schema, reads the ledger, finds the unit's
drift (``drift.detect``) and appends one ``repaired`` ledger row carrying the unit's current
checksum (its spec's, or the applied one when no spec declares it any more), the keys of the
findings it accepts, the reason and the actor. Plan and audit leave those findings out from
then on, until the unit drifts in another way; the unit stays applied. Nothing but the
ledger is written, and nothing at all when the unit has no drift left to accept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..diff import drift
from ..errors import SafetyRefusal, TargetError, UsageError
from ..ledger import table as ledger
from ..spec.model import Specs
from ..target.connection import Target, make_target
from ..version import __version__


@dataclass(frozen=True)
class RepairResult:
    """What ``repair`` recorded: the ledger row (``seq`` None: nothing to repair, nothing written)."""

    unit: str
    seq: int | None
    checksum: str
    accepted: tuple[str, ...]  # ``Drift.key`` of each accepted finding (a changed checksum is accepted by ``checksum``)
    findings: tuple[drift.Drift, ...]  # the drift accepted, worded
    reason: str
    actor: str

    def to_dict(self) -> dict:
        return {"format": "recon.repair/v1", "unit": self.unit, "seq": self.seq, "checksum": self.checksum,
                "accepted": list(self.accepted), "drift": [d.to_dict() for d in self.findings],
                "reason": self.reason, "actor": self.actor}


def repair(specs: Specs, url: str | Target, unit: str, *, reason: str | None, actor: str | None = None,
           ledger_table: str | None = None, mode: str = "apply") -> RepairResult:
    """Record that the operator accepts ``unit``'s drift (live state and changed checksum), with ``reason``.

    Refuses (``UsageError``, exit 1) an empty reason and a unit the ledger does not hold as
    applied; in detect-only ``mode`` it writes nothing (``SafetyRefusal``, exit 3); a second
    writer holding the lock is refused as for apply. ``actor`` defaults to ``RECON_ACTOR``, else user@host.
    """
    from .executors import EXECUTORS

    if not (reason or "").strip():
        raise UsageError("recon repair needs --reason TEXT: the ledger records why the drift is accepted")
    if mode == "detect-only":
        raise SafetyRefusal("detect-only mode: repair writes the ledger and is refused (unset --mode/RECON_MODE or the environment's mode)")
    target = url if isinstance(url, Target) else make_target(url)
    executor = EXECUTORS[target.dialect](target, None, table=ledger_table or ledger.DEFAULT_TABLE)
    with executor.session():
        return _locked(executor, specs, unit, reason.strip(), actor or ledger.actor())


def _locked(executor, specs: Specs, unit: str, reason: str, actor: str) -> RepairResult:
    """Under the lock: the unit's drift as it is now, then its ``repaired`` row (unless nothing is left to accept)."""
    from ..inspect import inspect_schema

    executor.state = inspect_schema(executor.conn, sorted(drift.schemas(specs)))
    rows = ledger.read(executor.conn, executor.state, executor.table)
    applied = ledger.applied(rows).get(unit)
    if applied is None or unit.startswith(ledger.SPEC_RUN_PREFIXES):
        last = next((r.status for r in reversed(rows) if r.unit == unit), "never applied")
        raise UsageError(f"unit {unit} is not applied (ledger {executor.table}: {last}): repair accepts the drift of an applied unit only")
    declared = next((u for u in specs.units if u.id == unit), None)
    checksum = declared.checksum if declared is not None else applied.checksum
    found = [d for d in drift.detect(specs, rows, executor.state) if d.unit == unit]
    if not drift.outstanding(found, rows):
        return RepairResult(unit, None, checksum, (), (), reason, actor)
    keys = tuple(sorted({d.key for d in found if d.kind != "checksum_changed"}))
    executor.ensure_ledger()
    stamp = ledger.now()
    row = ledger.LedgerRow(
        seq=max((r.seq for r in rows), default=0) + 1, unit=unit, checksum=checksum, scope=applied.scope, status="repaired",
        started_at=stamp, finished_at=stamp, actor=actor, engine_version=__version__, reason=reason, accepted=json.dumps(list(keys)),
    )
    ledger.insert(executor.conn, executor.table, row)
    failed = executor.finish([])
    if failed:
        raise TargetError(f"the repair of {unit} was not recorded: {failed}")
    return RepairResult(unit, row.seq, checksum, keys, tuple(found), reason, actor)
