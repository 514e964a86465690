"""The plan artifact: what apply will run, and the state it was made from.

``make_plan`` inspects the target read-only, reads the ledger, plans every
pending unit and records ``state_digest``: a digest of exactly the inspected
state the plan depends on (the tables its changes touch, with their columns,
indexes and constraints, the ledger rows, and the rows seed and rbac specs read),
part by part in ``state_parts``, so that apply, which recomputes it under the
lock, can say what went stale. The plan also carries what apply needs besides
the database: the environment's gates, the audits, the server's identity.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from ..auditing import canaries as checks
from ..auditing.auditset import AuditSet
from ..auditing.run import TargetInfo
from ..diff import drift
from ..diff.migrations import (
    SKIPPED_DIALECT,
    UnitPlan,
    feature_warnings,
    plan_units,
)
from ..diff.rbac import plan_rbac
from ..diff.seeds import by_references, plan_seeds
from ..errors import Diagnostic, SpecError, UsageError
from ..inspect.state import SchemaState
from ..ledger import table as ledger
from ..spec.model import Environment, Specs, Unit
from ..target import sqlexec
from ..target.connection import Target, make_target, read_only_connection
from ..target.identity import server_identity
from . import gates as gate_checks
from .gates import Gates, describe
from .digest import state_digest, state_parts
from .planfile import Plan, PlanAction, PlanUnit
from .rowplan import seed_actions
from .selection import SCOPES, Chosen, Selection, choose  # noqa: F401 - SCOPES: the --scope choices


def make_plan(specs: Specs, url: "str | Target", *, scope: str = "all", strict: bool = False,
              ledger_table: str | None = None, mode: str = "apply",
              rollback: tuple[Unit, ...] = (), lock_timeout: str | None = None, bind_limit: int | None = None,
              environment: "str | Environment | None" = None, no_env: bool = False,
              units: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> Plan:
    """Plan ``specs`` (or the rollback of ``rollback`` units) against ``url``, read-only.

    Where the specs declare environments, the plan is made for ``environment`` (its gates,
    mode, ledger table and lock timeout go into the plan) or, with ``no_env``, outside every
    environment, which the plan records; neither is a ``UsageError``. ``lock_timeout`` is a
    default for units that set none; ``bind_limit`` caps the values one planning SELECT
    binds (default: the driver's limit; tests use small ones). ``units`` and ``exclude`` are
    ``--unit`` and ``--exclude`` (``selection.choose``: what comes along, what is refused).
    """
    from ..inspect import inspect_schema
    from ..render import renderer_for

    gates = Gates.of(environment_for(specs, environment, no_env), specs.environments, no_env)
    mode = "detect-only" if "detect-only" in (mode, gates.mode) else mode
    ledger_table, lock_timeout = ledger_table or gates.ledger_table or ledger.DEFAULT_TABLE, lock_timeout or gates.lock_timeout
    target = url if isinstance(url, Target) else make_target(url)
    with read_only_connection(target) as conn:
        state = inspect_schema(conn, sorted(_schemas(specs)))
        identity = server_identity(conn, target, state.server_version)
        rows = ledger.read(conn, state, ledger_table)
        chosen = choose(specs, rows, scope, units, exclude) if not rollback else Chosen([], (), (), [], Selection())
        todo, drifted = _todo(specs, rows, state, chosen, strict, ledger_table, rollback)
        plans, sim = plan_units(todo, state, renderer_for(state), lambda query, source: sqlexec.guard_holds(conn, query, source))
        found = plan_seeds(chosen.seeds, conn, state, sim, bind_limit) + plan_rbac(chosen.rbac, conn, state, sim, bind_limit)
        seeds = by_references(found, sim)
    made = _artifact(specs, target, state, rows, plans, sim, chosen.warnings, mode, scope, ledger_table, lock_timeout, seeds,
                     lock_retries=gates.lock_retries)
    made = replace(made, target_id=identity, gates=gates, audit=AuditSet.of(specs), drift=drifted, selection=chosen.selection)
    return replace(made, gate_notes=tuple(describe(made)))


def _schemas(specs: Specs) -> set[str]:
    """The non-default schemas a plan of ``specs`` reads: of canaries, units' tables and row tables."""
    tables = [o.args.get("table") for u in specs.units for o in u.operations + u.rollback if isinstance(o.args, dict)]
    row_tables = [s.table for s in specs.seeds] + [ref for r in specs.rbac for ref in (r.tables.roles, r.tables.permissions, r.tables.grants)]
    return checks.referenced_schemas(specs.canaries, [_schema_ref(t) for t in tables if isinstance(t, str)] + row_tables)


def environment_for(specs: Specs, environment, no_env: bool) -> "Environment | None":
    """The environment a plan is made for; where the specs declare any, one must be chosen or --no-env."""
    from ..spec.model import Environment

    if isinstance(environment, Environment):
        return environment
    if environment is not None:
        if no_env:
            raise UsageError("--env and --no-env exclude each other: a plan is made for one environment, or for none")
        found = next((e for e in specs.environments if e.name == environment), None)
        if found is None:
            known = ", ".join(e.name for e in specs.environments) or "none declared"
            raise UsageError(f"unknown environment {environment!r} (declared: {known})")
        return found
    if specs.environments and not no_env:
        names = ", ".join(e.name for e in specs.environments)
        raise UsageError(f"the specs declare environments ({names}): plan for one with --env NAME, whose gates apply will check, "
                         "or pass --no-env to plan outside every environment (the plan says so to its reviewer)")
    return None


def _schema_ref(text: str):
    from ..spec.model import table_ref

    try:
        return table_ref(text)
    except ValueError:
        return None


def _todo(specs: Specs, rows, state: SchemaState, chosen: Chosen, strict: bool, ledger_table: str, rollback: tuple[Unit, ...]):
    """The (unit, kind) pairs to plan and the drift of applied units (none for a rollback).
    With ``strict``, a changed applied unit or any drift is an error, each located at its spec line."""
    if rollback:
        return [(u, "rollback") for u in rollback], ()
    warnings = chosen.warnings
    found = drift.find(specs, rows, state)
    if strict and (warnings or found):
        done = ledger.applied(rows)
        changed = [u for u in specs.units if u.id in done and done[u.id].checksum != u.checksum]
        problems = [Diagnostic(u.source.file, u.source.line, "id", w) for u, w in zip(changed, warnings)]
        problems += [_located(d, ledger_table) for d in found if d.kind != "checksum_changed"]
        n = len(problems)
        raise SpecError(problems, f"--strict: applied units drifted or changed, {n} finding{'s' if n != 1 else ''} "
                                  "(accept a unit's with `recon repair UNIT --reason TEXT`, or write a new unit)")
    return [(u, "apply") for u in chosen.units], found


def _located(found: drift.Drift, ledger_table: str) -> Diagnostic:
    """A drift as a diagnostic: at the operation's line, or the ledger's, for a unit no spec declares."""
    if found.source is None:
        return Diagnostic(ledger_table, 0, found.unit, f"drift: {found.detail}")
    file, _, line = found.source.rpartition(":")
    return Diagnostic(file, int(line), found.unit, f"drift: {found.detail}")


def _depends_on(change, state: SchemaState) -> set[tuple[str, str]]:
    """The tables whose state ``change``'s guard reads, including those only the live state names:
    the table of an index or constraint named without one, and tables whose keys a drop cascades to."""
    from ..changes.indexes import DropIndex
    from ..changes.simstate import referencing
    from ..changes.tables import DropTable

    keys = {(ref.schema or state.default_schema, ref.table) for ref in change.tables()}
    named = []
    if isinstance(change, DropIndex) and change.table is None:
        named.append(("indexes", change.name))
    guard = getattr(change, "guard", None)
    if guard is not None and guard.kind.split("_")[0] in ("index", "constraint") and not guard.tables():
        named.append(("indexes" if guard.kind.startswith("index") else "constraints", guard.target))
    for bucket, name in named:
        keys |= {(s, t) for (s, t, n) in getattr(state, bucket) if n == name and s == state.default_schema}
    if isinstance(change, DropTable):
        keys |= {(fk.schema, fk.table) for fk in referencing(state, change.table)}
    return keys


def _fingerprints(specs, state: SchemaState, sim: SchemaState) -> tuple[dict, tuple]:
    """The fingerprint the plan expects (before -> after its changes), and each canary's outcome on
    ``state`` as the plan keeps it for apply's audit before (None for one without a table)."""
    before = [checks.evaluate(c, state) for c in specs.canaries]
    changed = state.changed_tables(sim)  # other canaries cannot change outcome: keep their "before"
    after = [b if checks.reads_only(c, changed, state.default_schema) else checks.evaluate(c, sim)
             for c, b in zip(specs.canaries, before)]
    expected = {"fingerprint": {"passed": sum(r.passed for r in after), "total": len(after),
                                "before": {"passed": sum(r.passed for r in before), "total": len(before)},
                                "fixed": [r.name for r, b in zip(after, before) if r.passed and not b.passed],
                                "broken": [r.name for r, b in zip(after, before) if b.passed and not r.passed]}}
    return expected, tuple(None if c.ref is None else b.outcome() for c, b in zip(specs.canaries, before))


def _artifact(specs, target, state, rows, plans: list[UnitPlan], sim, warnings, mode, scope, ledger_table, lock_timeout=None,
              seeds=(), lock_retries: int = 0) -> Plan:
    actions = []
    touched: set[tuple[str, str]] = set()
    for up in plans:
        for a in up.actions:
            touched |= _depends_on(a.change, state)
            guard = getattr(a.change, "guard", None) if a.status != SKIPPED_DIALECT else None  # a skipped guard is not re-checked
            actions.append(PlanAction(
                unit=a.unit, scope=a.scope, op=a.change.op, object=a.change.object, action=a.change.action,
                status=a.status, reason=a.reason, destructive=a.destructive, sql=a.sql,
                codes=tuple(f.to_dict() for f in a.findings), source=str(a.change.source),
                guard_sql=guard.target if guard is not None and guard.kind == "sql" else None,
                guard_dialect=a.change.dialect if guard is not None and guard.kind == "sql" else None,
            ))
    units = tuple(PlanUnit(up.unit.id, up.kind, up.unit.scope, up.unit.checksum, up.unit.transactional,
                           up.unit.lock_timeout or lock_timeout, up.unit.statement_timeout, up.unit.allow, up.unit.description,
                           up.unit.rollback_notes, lock_retries if up.unit.lock_retries is None else up.unit.lock_retries)
                  for up in plans)
    seed_units, row_actions, seed_touched, reads = seed_actions(list(seeds), sim, lock_timeout)
    warnings = list(warnings) + feature_warnings(plans, state.dialect) + [sp.deferred for sp in seeds if sp.deferred]
    units += tuple(seed_units)
    actions += row_actions
    touched |= seed_touched
    expected, outcomes = _fingerprints(specs, state, sim)
    return Plan(
        plan_id=str(uuid.uuid4()), created_at=gate_checks.clock().isoformat(timespec="seconds"),
        target=TargetInfo(target.dialect, target.display_url, state.server_version), target_id="",
        specs_digest=specs.digest, state_digest=state_digest(parts := state_parts(state, touched, rows, reads)), state_parts=parts,
        mode=mode, scope=scope,
        ledger_table=ledger_table, units=units, actions=tuple(actions), touched=tuple(sorted(touched)),
        expected=expected, warnings=tuple(warnings), reads=tuple(reads),
        audit_outcomes=outcomes,
    )
