"""Migration units -> the changes still needed, in order, with their SQL.

Units are ordered by ``depends_on``, then by file order. Each change is
checked against a simulated state that already holds the effect of every
change before it: a change whose effect is present is kept as "already
present" (and not run), a raw ``sql`` change runs only where its guard holds,
and an operation limited to other dialects (``dialects:``) is kept as skipped,
with no SQL and no effect on the simulated state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..changes.base import Change
from ..changes.operations import from_operation
from ..changes.rawsql import RawSQL
from ..changes.refusals import refusals
from ..changes.safety import analyze
from ..errors import Diagnostic, SpecError, TargetError
from ..inspect.state import SchemaState
from ..render import Renderer
from ..spec.codes import Finding
from ..spec.model import Unit

from .kinds import GUARD_FALSE, PENDING, PRESENT, SKIPPED_DIALECT  # noqa: F401 - statuses live in kinds


@dataclass(frozen=True)
class Action:
    """One change of one unit: whether it runs, why, its SQL and its safety findings."""

    unit: str
    scope: str
    change: Change
    status: str
    reason: str
    sql: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    ignored: tuple[str, ...] = ()  # what the target dialect leaves out of the change (plan warnings)

    @property
    def runs(self) -> bool:
        return self.status == PENDING

    def warnings(self) -> list[str]:
        """The plan warnings of this action: each feature the target lacks, naming unit, operation and spec line."""
        return [f"unit {self.unit}: {self.change.op} {self.change.object} ({self.change.source}): {note}" for note in self.ignored]

    @property
    def destructive(self) -> bool:
        return self.runs and self.change.destructive


@dataclass(frozen=True)
class UnitPlan:
    """A unit to apply (or roll back) and its actions in order."""

    unit: Unit
    kind: str  # apply | rollback
    actions: tuple[Action, ...]


def feature_warnings(plans: list[UnitPlan], dialect: str) -> list[str]:
    """What the planned units ask for that ``dialect`` cannot do: options of their changes, and a
    unit's ``statement_timeout``, which only PostgreSQL enforces."""
    out = []
    for up in plans:
        if up.unit.statement_timeout and dialect != "postgresql" and any(a.runs for a in up.actions):
            out.append(f"unit {up.unit.id} ({up.unit.source}): statement_timeout {up.unit.statement_timeout} has no effect on "
                       f"{dialect}: its statements run without a time limit there (only lock waits are limited)")
        out += [w for a in up.actions for w in a.warnings()]
    return out


def order_units(units: list[Unit]) -> list[Unit]:
    """Dependencies first, otherwise file order (validation has ruled out cycles)."""
    by_id = {u.id: u for u in units}
    done: set[str] = set()
    out: list[Unit] = []

    def visit(unit: Unit) -> None:
        if unit.id in done:
            return
        done.add(unit.id)
        for dep in unit.depends_on:
            if dep in by_id:
                visit(by_id[dep])
        out.append(unit)

    for unit in units:
        visit(unit)
    return out


SqlGuard = Callable[[str, str], bool]


def plan_units(units: list[tuple[Unit, str]], state: SchemaState, renderer: Renderer, sql_guard: SqlGuard) -> tuple[list[UnitPlan], SchemaState]:
    """Plan ``(unit, kind)`` pairs against ``state``; returns the plans and the simulated end state.

    A change whose prerequisites do not exist (a column on a missing table), or that
    the server would refuse for a reason the catalog tells (``refusals``), is a
    problem of the spec: all of them are raised together, pointing at their lines.
    """
    sim = state.copy()
    plans, problems = [], []
    for unit, kind in units:
        ops = unit.operations if kind == "apply" else unit.rollback
        actions = tuple(_action(unit, change, state, sim, renderer, sql_guard, problems, op.op)
                        for op in ops for change in from_operation(unit.id, op))
        plans.append(UnitPlan(unit, kind, actions))
    if problems:
        raise SpecError(problems)
    return plans, sim


def _action(unit: Unit, change: Change, live: SchemaState, sim: SchemaState, renderer: Renderer,
            sql_guard: SqlGuard, problems: list[Diagnostic], written: str) -> Action:
    """The action of one change; ``written`` is the operation the spec writes (``add_column`` for the
    foreign key an ``add_column ... references`` declares), which a refusal names."""
    if not change.runs_on(sim.dialect):
        why = f"dialects: [{', '.join(change.dialects)}]: not for {sim.dialect}"
        return Action(unit.id, unit.scope, change, SKIPPED_DIALECT, why)
    if isinstance(change, RawSQL):
        holds, why = _guard(change, sim, sql_guard)
        if not holds:  # its SQL is kept: apply re-checks the guard and refuses if it changed
            return Action(unit.id, unit.scope, change, GUARD_FALSE, why, tuple(renderer.render(change, sim)))
    elif change.present(sim):
        return Action(unit.id, unit.scope, change, PRESENT, "already absent" if change.op.startswith("drop_") else "already present")
    elif reasons := refusals(change, sim):
        where = change.source
        label = change.op if written == change.op else f"{written} (its {change.op})"
        problems.extend(Diagnostic(where.file, where.line, f"{unit.id}: {label}", f"cannot plan: {why}") for why in reasons)
        return Action(unit.id, unit.scope, change, PRESENT, "not planned")
    else:
        why = change.reason(sim)
    sql = tuple(renderer.render(change, sim))
    findings = tuple(analyze(change, live, sim))
    ignored = tuple(renderer.ignored(change, sim))
    change.simulate(sim)
    return Action(unit.id, unit.scope, change, PENDING, why, sql, findings, ignored)


def _sql_guard(change: RawSQL, sql_guard: SqlGuard) -> bool:
    """Run a ``guard: {sql: ...}`` query; one the server refuses stops the plan, naming the unit."""
    from sqlalchemy.exc import DBAPIError

    from ..target.connection import driver_message

    try:
        return sql_guard(change.guard.target, change.dialect)
    except DBAPIError as exc:
        raise TargetError(f"{change.source}: {change.unit}: sql: the guard's query failed on the server: {driver_message(exc)}") from None


def _guard(change: RawSQL, state: SchemaState, sql_guard: SqlGuard) -> tuple[bool, str]:
    guard = change.guard
    if guard is None:
        return True, "statements carry their own IF [NOT] EXISTS"
    holds = _sql_guard(change, sql_guard) if guard.kind == "sql" else guard.holds(state)
    return holds, f"guard {guard} {'holds' if holds else 'does not hold'}"
