"""Seed and rbac plans -> plan units and row actions, in the order apply runs them.

All row work of a plan runs in one transaction: inserts and updates with parent tables
first, then deletes with child tables first (by the foreign keys among the tables the
specs write), so every statement finds what its foreign keys need and a pruned parent
row's children are gone before it.
"""

from __future__ import annotations

from sqlglot import exp

from ..diff.migrations import PENDING
from ..diff.kinds import SeedRead
from ..diff.rows import PRUNE_CODE, RowBatch, SeedPlan
from ..inspect.state import SchemaState
from ..spec.codes import finding
from ..target import sqlexec
from .planfile import PlanAction, PlanUnit


def seed_actions(seeds: list[SeedPlan], sim: SchemaState, lock_timeout: str | None = None) -> tuple[list[PlanUnit], list[PlanAction], set, list[SeedRead]]:
    """Plan units, actions and reads for the seed and rbac specs that have rows to change.

    Actions come in the order apply runs them (all row work is one transaction): inserts and
    updates with parent tables first, then deletes with child tables first, so foreign keys
    hold at every statement. A spec that matches plans nothing, and its rows are not part of
    the state the plan depends on.
    """
    units, batches, touched, reads = [], [], set(), []
    for sp in seeds:
        if not sp.batches:
            continue
        reads += [r.seal(sp.id) for r in sp.reads]
        units.append(PlanUnit(sp.id, "seed", "seed", sp.checksum, lock_timeout=lock_timeout, allow=sp.allow, description=sp.description))
        batches += [(sp.id, b) for b in sp.batches]
    rank = _table_ranks(sim, {(b.table.schema or sim.default_schema, b.table.table) for _, b in batches})
    key = lambda item: rank.get((item[1].table.schema or sim.default_schema, item[1].table.table), 0)  # noqa: E731
    ordered = sorted((i for i in batches if not i[1].destructive), key=key) + sorted((i for i in batches if i[1].destructive), key=key, reverse=True)
    actions = []
    for unit, b in ordered:
        touched |= {(t.db or sim.default_schema, t.name) for s in b.statements for t in s.tree.find_all(exp.Table)}
        actions.append(_row_action(unit, b, sim.dialect))
    return units, actions, touched, reads


def _row_action(unit: str, b: RowBatch, dialect: str) -> PlanAction:
    templates = [s.template() for s in b.statements]
    sql = tuple(t.sql if t is not None else sqlexec.driver_text(s.tree, dialect) for s, t in zip(b.statements, templates))
    return PlanAction(
        unit=unit, scope="seed", op=b.op, object=b.object, action=b.action, status=PENDING, reason=b.reason,
        destructive=b.destructive, sql=sql, codes=(finding(PRUNE_CODE, True).to_dict(),) if b.destructive else (),
        source=str(b.source), columns=b.columns, rows=b.rows, batch=tuple(t.to_dict() if t else None for t in templates),
        affected=tuple(s.affected for s in b.statements), was=b.was,
    )


def _table_ranks(state: SchemaState, tables: set) -> dict:
    """Depth of each of ``tables`` in the foreign keys among them: a parent ranks below its children
    (a cycle keeps what it reached first)."""
    parents: dict = {t: set() for t in tables}
    for con in state.constraints.values():
        child, parent = (con.schema, con.table), (con.ref_schema or con.schema, con.ref_table)
        if con.kind == "foreign_key" and child in parents and parent in parents and child != parent:
            parents[child].add(parent)
    rank: dict = {}

    def depth(t) -> int:
        if t not in rank:
            rank[t] = 0  # provisional, so that a cycle ends
            rank[t] = 1 + max((depth(p) for p in parents[t]), default=-1)
        return rank[t]

    for t in sorted(tables):
        depth(t)
    return rank
