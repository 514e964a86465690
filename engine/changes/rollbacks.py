"""Rollback completeness: what a unit's rollback leaves of its operations' effect.

A symbolic reading of the unit, without a database: the forward operations, in order, leave
objects made (a table, column, index or constraint created, a column renamed or altered) and
objects dropped; the rollback must drop or revert each one made and recreate each one dropped.
A table the rollback drops covers everything on it; dropping every column of an index or
constraint covers it (MySQL/MariaDB keep a multi-column index on its remaining columns, so one
column is not enough). Raw ``sql`` cannot be analysed: forward ``sql`` makes and drops nothing
here, and a rollback with a ``sql`` operation may undo anything, so it gets no object warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from .. import changes as ch
from ..spec.model import ObjectRef

NO_ROLLBACK = ("no rollback operations: `recon rollback` cannot undo this unit (write rollback.operations, "
               "or declare `operations: []` with rollback.notes saying why it is not undone)")


@dataclass(frozen=True)
class Effect:
    """One object a unit's operations make or drop, and the operation (``at``) that does it.

    ``kind``: ``table``, ``column``, ``index``, ``constraint``, ``rename`` (``old`` -> ``name``)
    or ``alter``; ``columns`` are an index's or constraint's columns; ``table`` is None only for
    a dropped index named without its table.
    """

    kind: str
    table: ObjectRef | None
    at: int
    name: str = ""
    columns: tuple[str, ...] = ()
    old: str = ""


def same_table(a: ObjectRef | None, b: ObjectRef | None) -> bool:
    """Whether two references name one table (an unqualified one matches any schema); None matches all."""
    if a is None or b is None:
        return True
    return a.table == b.table and (a.schema is None or b.schema is None or a.schema == b.schema)


def incomplete(forward: list[tuple[int, ch.Change]], rollback: list[ch.Change]) -> Iterator[tuple[Effect, bool]]:
    """Each effect of ``forward`` (operation index, change) that ``rollback`` leaves in place,
    with True when it is a drop the rollback does not recreate; nothing when ``rollback`` holds raw SQL."""
    if any(isinstance(c, ch.RawSQL) for c in rollback):
        return
    effects = Effects()
    for at, change in forward:
        effects.add(at, change)
    for effect in effects.made:
        if effects.on_new_columns(effect):
            continue  # it goes with the columns, whose own warnings say what to drop
        if not any(_undoes(c, effect) for c in rollback) and not _columns_dropped(effect, rollback):
            yield effect, False
    for effect in effects.dropped:
        if not any(_recreates(c, effect) for c in rollback):
            yield effect, True


class Effects:
    """What the forward operations leave, read change by change: ``made`` and ``dropped``."""

    def __init__(self):
        self.made: list[Effect] = []
        self.dropped: list[Effect] = []

    def add(self, at: int, change: ch.Change) -> None:
        """Account for one forward change (raw SQL and unknown changes account for nothing)."""
        getattr(self, "_" + change.op, lambda at, change: None)(at, change)

    def on_new_columns(self, e: Effect) -> bool:
        """Whether index or constraint ``e`` is only on columns these operations add."""
        added = {m.name for m in self.made if m.kind == "column" and same_table(m.table, e.table)}
        return e.kind in ("index", "constraint") and bool(e.columns) and set(e.columns) <= added

    def _new_table(self, ref: ObjectRef) -> bool:
        return any(e.kind == "table" and same_table(e.table, ref) for e in self.made)

    def _find(self, kind: str, ref: ObjectRef | None, name: str) -> Effect | None:
        return next((e for e in self.made if e.kind == kind and e.name == name and same_table(e.table, ref)), None)

    def _forget(self, keep) -> None:
        self.made = [e for e in self.made if keep(e)]

    def _create_table(self, at: int, c: ch.CreateTable) -> None:
        self.made.append(Effect("table", c.table, at))

    def _add_column(self, at: int, c: ch.AddColumn) -> None:
        if not self._new_table(c.table):
            self.made.append(Effect("column", c.table, at, c.column.name))

    def _create_index(self, at: int, c: ch.CreateIndex) -> None:
        if not self._new_table(c.table):
            self.made.append(Effect("index", c.table, at, c.name, c.columns))

    def _add_constraint(self, at: int, c: ch.AddConstraint) -> None:
        if not self._new_table(c.table):
            self.made.append(Effect("constraint", c.table, at, c.name, c.columns or check_columns(c)))

    def _alter_column(self, at: int, c: ch.AlterColumn) -> None:
        if not self._new_table(c.table) and not self._find("column", c.table, c.name) and not self._find("alter", c.table, c.name):
            renamed = self._find("rename", c.table, c.name)  # the rollback may alter it before or after renaming it back
            self.made.append(Effect("alter", c.table, at, c.name, old=renamed.old if renamed else ""))

    def _rename_column(self, at: int, c: ch.RenameColumn) -> None:
        def renamed(e: Effect) -> Effect:
            if not same_table(e.table, c.table):
                return e
            if e.kind == "alter" and e.name == c.name:  # an altered column renamed: undone under either name
                return replace(e, name=c.new_name, old=e.old or c.name)
            return replace(e, columns=tuple(c.new_name if x == c.name else x for x in e.columns))

        self.made = [renamed(e) for e in self.made]
        made = self._find("column", c.table, c.name) or self._find("rename", c.table, c.name)
        if made is not None:  # a column this unit adds or already renamed: only its last name matters
            self.made[self.made.index(made)] = replace(made, name=c.new_name)
        elif not self._new_table(c.table):
            self.made.append(Effect("rename", c.table, at, c.new_name, old=c.name))

    def _drop_table(self, at: int, c: ch.DropTable) -> None:
        if not self._new_table(c.table):
            self.dropped.append(Effect("table", c.table, at))
        self._forget(lambda e: not same_table(e.table, c.table))

    def _drop_column(self, at: int, c: ch.DropColumn) -> None:
        if not self._find("column", c.table, c.name) and not self._new_table(c.table):
            self.dropped.append(Effect("column", c.table, at, c.name))
        self._forget(lambda e: not (same_table(e.table, c.table) and (e.name == c.name and e.kind in ("column", "alter") or c.name in e.columns)))

    def _drop_index(self, at: int, c: ch.DropIndex) -> None:
        made = self._find("index", c.table, c.name)
        if made is None and not (c.table is not None and self._new_table(c.table)):
            self.dropped.append(Effect("index", c.table, at, c.name))
        self._forget(lambda e: e is not made)

    def _drop_constraint(self, at: int, c: ch.DropConstraint) -> None:
        made = self._find("constraint", c.table, c.name)
        if made is None and not self._new_table(c.table):
            self.dropped.append(Effect("constraint", c.table, at, c.name))
        self._forget(lambda e: e is not made)


def check_columns(c: ch.AddConstraint) -> tuple[str, ...]:
    """The columns a check constraint's expression reads (empty when there is no expression)."""
    if not c.check:
        return ()
    from sqlglot import exp

    return tuple(dict.fromkeys(col.name for col in exp.condition(c.check, dialect=c.dialect).find_all(exp.Column)))


def _undoes(change: ch.Change, e: Effect) -> bool:
    """Whether rollback ``change`` removes or reverts made effect ``e``."""
    if isinstance(change, ch.DropTable):
        return same_table(change.table, e.table)
    if not same_table(getattr(change, "table", None), e.table):
        return False
    wanted = {ch.DropColumn: "column", ch.DropIndex: "index", ch.DropConstraint: "constraint", ch.AlterColumn: "alter"}
    if wanted.get(type(change)) == e.kind:
        return change.name == e.name or (e.kind == "alter" and change.name == e.old)
    return isinstance(change, ch.RenameColumn) and e.kind == "rename" and (change.name, change.new_name) == (e.name, e.old)


def _columns_dropped(e: Effect, rollback: list[ch.Change]) -> bool:
    """Whether the rollback drops every column index or constraint ``e`` is on."""
    dropped = {c.name for c in rollback if isinstance(c, ch.DropColumn) and same_table(c.table, e.table)}
    return e.kind in ("index", "constraint") and bool(e.columns) and set(e.columns) <= dropped


def _recreates(change: ch.Change, e: Effect) -> bool:
    """Whether rollback ``change`` recreates dropped effect ``e``."""
    if not same_table(getattr(change, "table", None), e.table):
        return False
    if isinstance(change, ch.CreateTable):
        if e.kind == "table":
            return True
        return e.name in {c.name for c in change.columns} if e.kind == "column" else e.name in _declared_names(change)
    if isinstance(change, ch.AddColumn):
        return e.kind == "column" and change.column.name == e.name
    if isinstance(change, ch.CreateIndex):
        return e.kind == "index" and change.name == e.name
    if isinstance(change, ch.AddConstraint):  # a unique constraint is also an index of its name
        return e.kind in ("constraint", "index") and change.name == e.name
    return False


def _declared_names(change: ch.CreateTable) -> set[str]:
    """The constraint (and backing index) names a create_table makes, on any dialect."""
    return {con.name for d in ("postgresql", "mysql") for con in ch.table_constraints(change.table, change.columns, change.primary_key, d)}


_LEAVES = {
    "table": "rollback leaves table {t}, which this operation creates: add `drop_table: {{table: {t}}}` to rollback.operations",
    "column": "rollback leaves column {t}.{n}, which this operation adds: add `drop_column: {{table: {t}, name: {n}}}` to rollback.operations",
    "index": "rollback leaves index {n}, which this operation creates: add `drop_index: {{name: {n}, table: {t}}}` to rollback.operations",
    "constraint": "rollback leaves constraint {n}, which this operation adds: add `drop_constraint: {{name: {n}, table: {t}}}` to rollback.operations",
    "rename": "rollback does not rename {t}.{n} back to {o}: add `rename_column: {{table: {t}, name: {n}, new_name: {o}}}` to rollback.operations",
    "alter": "rollback does not change column {t}.{n} back: add an `alter_column` of it to rollback.operations",
}
_RECREATE = {"table": "a `create_table`", "column": "an `add_column`", "index": "a `create_index`", "constraint": "an `add_constraint`"}


def message(e: Effect, dropped: bool) -> str:
    """The warning for effect ``e`` left by the rollback (``dropped``: a drop it does not recreate)."""
    t = e.table.table_text if e.table is not None else ""
    if not dropped:
        return _LEAVES[e.kind].format(t=t, n=e.name, o=e.old)
    what = {"table": t, "column": f"{t}.{e.name}"}.get(e.kind, e.name)
    return f"rollback recreates no {e.kind} {what}, which this operation drops: add {_RECREATE[e.kind]} of it to rollback.operations"
