"""The plan artifact: what apply will run, and the state it was made from.

``make_plan`` inspects the target read-only, reads the ledger, plans every
pending unit and records ``state_digest``: a digest of exactly the inspected
state the plan depends on (the tables its changes touch, with their columns,
indexes and constraints, and the ledger rows). ``apply`` recomputes it under
the lock and refuses a stale plan. ``to_dict``/``from_dict`` are the
``recon.plan/v1`` file format.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from . import checks, ledger, sqlexec
from .audit import TargetInfo
from .diff.migrations import UnitPlan, order_units, plan_units
from .diff.rbac import plan_rbac
from .diff.seeds import by_references, plan_seeds
from .errors import Diagnostic, SpecError, UsageError
from .inspect.state import SchemaState
from .model import Specs, Unit
from .planfile import PLAN_FORMAT, Plan, PlanAction, PlanUnit, content_digest, load_plan  # noqa: F401 - the plan's types live there
from .rowplan import seed_actions
from .target import Target, make_target, read_only_connection

SCOPES = ("schema", "seed", "all")


def target_id(target: Target) -> str:
    """Identifies the database itself (not the credentials used to reach it)."""
    url = target.url
    where = str(Path(target.sqlite_path).resolve()) if target.sqlite_path else url.database or ""
    return f"{target.dialect}://{url.host or ''}:{url.port or ''}/{where}"


def state_digest(state: SchemaState, touched, rows: list[ledger.LedgerRow], reads=()) -> str:
    """sha256 over the touched tables (columns, indexes, constraints), the ledger rows and
    the digests of the seed rows read (``reads``)."""
    keys = sorted({tuple(t) for t in touched})
    wanted = set(keys)
    by_table: dict = {key: {"indexes": [], "constraints": []} for key in keys}
    for bucket in ("indexes", "constraints"):
        for k, obj in getattr(state, bucket).items():
            if k[:2] in wanted:
                by_table[k[:2]][bucket].append(json.dumps(asdict(obj), sort_keys=True))
    parts = []
    for key in keys:
        table = state.tables.get(key)
        parts.append({
            "table": list(key),
            "columns": [asdict(c) for c in table.columns] if table else None,
            "indexes": sorted(by_table[key]["indexes"]),
            "constraints": sorted(by_table[key]["constraints"]),
        })
    parts.append({"ledger": [[r.seq, r.unit, r.checksum, r.status] for r in rows]})
    if reads:
        parts.append({"seed_rows": list(reads)})
    return "sha256:" + hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def selected_units(specs: Specs, rows: list[ledger.LedgerRow], scope: str) -> tuple[list[Unit], list[str]]:
    """Units not yet applied (in dependency order) and warnings for applied units whose spec changed."""
    if scope not in SCOPES:
        raise UsageError(f"unknown scope {scope!r} (one of {', '.join(SCOPES)})")
    done = ledger.applied(rows)
    warnings = [
        f"unit {u.id} changed since it was applied (checksum {done[u.id].checksum[:19]} -> {u.checksum[:19]}); write a new unit instead of editing an applied one"
        for u in specs.units if u.id in done and done[u.id].checksum != u.checksum
    ]
    pending = [u for u in order_units(list(specs.units)) if u.id not in done and (scope == "all" or u.scope == scope)]
    chosen = {u.id for u in pending}
    blocked = [f"{u.id} depends on {d}" for u in pending for d in u.depends_on if d not in done and d not in chosen]
    if blocked:
        raise UsageError(f"--scope {scope} leaves out units that selected ones depend on: {'; '.join(blocked)}")
    return pending, warnings


def make_plan(specs: Specs, url: "str | Target", *, scope: str = "all", strict: bool = False,
              ledger_table: str = ledger.DEFAULT_TABLE, mode: str = "apply",
              rollback: tuple[Unit, ...] = (), lock_timeout: str | None = None, bind_limit: int | None = None) -> Plan:
    """Plan ``specs`` (or the rollback of ``rollback`` units) against ``url``, read-only.

    ``lock_timeout`` is the environment's default for units that set none; ``bind_limit`` caps
    the values one planning SELECT binds (default: the driver's limit; tests use small ones).
    """
    from .inspect import inspect_schema
    from .render import renderer_for

    target = url if isinstance(url, Target) else make_target(url)
    tables = [o.args.get("table") for u in specs.units for o in u.operations + u.rollback if isinstance(o.args, dict)]
    row_tables = [s.table for s in specs.seeds] + [ref for r in specs.rbac for ref in (r.tables.roles, r.tables.permissions, r.tables.grants)]
    extra = checks.referenced_schemas(specs.canaries, [_schema_ref(t) for t in tables if isinstance(t, str)] + row_tables)
    with read_only_connection(target) as conn:
        state = inspect_schema(conn, sorted(extra))
        rows = ledger.read(conn, state, ledger_table)
        if rollback:
            todo, warnings = [(u, "rollback") for u in rollback], []
        else:
            pending, warnings = selected_units(specs, rows, scope)
            if strict and warnings:
                raise SpecError([Diagnostic(u.source.file, u.source.line, "id", w) for u, w in _drifted(specs, rows, warnings)])
            todo = [(u, "apply") for u in pending]
        plans, sim = plan_units(todo, state, renderer_for(state), lambda query, source: sqlexec.guard_holds(conn, query, source))
        seeds = []
        if not rollback and scope in ("seed", "all"):
            found = plan_seeds(specs.seeds, conn, state, sim, bind_limit) + plan_rbac(specs.rbac, conn, state, sim, bind_limit)
            seeds = by_references(found, sim)
    return _artifact(specs, target, state, rows, plans, sim, warnings, mode, scope, ledger_table, lock_timeout, seeds)


def _schema_ref(text: str):
    from .model import table_ref

    try:
        return table_ref(text)
    except ValueError:
        return None


def _drifted(specs: Specs, rows, warnings):
    done = ledger.applied(rows)
    drifted = [u for u in specs.units if u.id in done and done[u.id].checksum != u.checksum]
    return list(zip(drifted, warnings))


def _depends_on(change, state: SchemaState) -> set[tuple[str, str]]:
    """The tables whose state ``change``'s guard reads, including those only the live state names:
    the table of an index or constraint named without one, and tables whose keys a drop cascades to."""
    from .changes import DropIndex, DropTable, referencing

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


def _artifact(specs, target, state, rows, plans: list[UnitPlan], sim, warnings, mode, scope, ledger_table, lock_timeout=None,
              seeds=()) -> Plan:
    actions = []
    touched: set[tuple[str, str]] = set()
    for up in plans:
        for a in up.actions:
            touched |= _depends_on(a.change, state)
            guard = getattr(a.change, "guard", None)
            actions.append(PlanAction(
                unit=a.unit, scope=a.scope, op=a.change.op, object=a.change.object, action=a.change.action,
                status=a.status, reason=a.reason, destructive=a.destructive, sql=a.sql,
                codes=tuple(f.to_dict() for f in a.findings), source=str(a.change.source),
                guard_sql=guard.target if guard is not None and guard.kind == "sql" else None,
                guard_dialect=a.change.dialect if guard is not None and guard.kind == "sql" else None,
            ))
    units = tuple(PlanUnit(up.unit.id, up.kind, up.unit.scope, up.unit.checksum, up.unit.transactional,
                           up.unit.lock_timeout or lock_timeout, up.unit.statement_timeout, up.unit.allow, up.unit.description,
                           up.unit.rollback_notes) for up in plans)
    seed_units, row_actions, seed_touched, reads = seed_actions(list(seeds), sim, lock_timeout)
    warnings = list(warnings) + [sp.deferred for sp in seeds if sp.deferred]
    units += tuple(seed_units)
    actions += row_actions
    touched |= seed_touched
    before = [checks.evaluate(c, state) for c in specs.canaries]
    changed = state.changed_tables(sim)  # other canaries cannot change outcome: keep their "before"
    after = [b if checks.reads_only(c, changed, state.default_schema) else checks.evaluate(c, sim)
             for c, b in zip(specs.canaries, before)]
    expected = {"fingerprint": {"passed": sum(r.passed for r in after), "total": len(after),
                                "before": {"passed": sum(r.passed for r in before), "total": len(before)},
                                "fixed": [r.name for r, b in zip(after, before) if r.passed and not b.passed],
                                "broken": [r.name for r, b in zip(after, before) if b.passed and not r.passed]}}
    return Plan(
        plan_id=str(uuid.uuid4()), created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        target=TargetInfo(target.dialect, target.display_url, state.server_version), target_id=target_id(target),
        specs_digest=specs.digest, state_digest=state_digest(state, touched, rows, [r.digest for r in reads]), mode=mode, scope=scope,
        ledger_table=ledger_table, units=units, actions=tuple(actions), touched=tuple(sorted(touched)),
        expected=expected, warnings=tuple(warnings), reads=tuple(reads),
    )
