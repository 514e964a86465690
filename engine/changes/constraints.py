"""Constraint changes: ``add_constraint`` and ``drop_constraint``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..inspect.state import Constraint, SchemaState
from ..spec.model import ObjectRef
from .base import Change, ForeignKey
from .simstate import (
    _add_constraint,
    _constraint,
    _in_dialect,
    _key,
    _remove_constraint,
    _table,
    pk_name,
    serving_fk,
)


@dataclass(frozen=True)
class AddConstraint(Change):
    """Add a unique, foreign key or check constraint to an existing table."""

    name: str
    table: ObjectRef
    kind: str  # unique | foreign_key | check
    columns: tuple[str, ...] = ()
    references: ForeignKey | None = None
    check: str | None = None
    dialect: str = "postgres"  # the dialect ``check`` is written in
    derived: str = ""  # for a constraint an ``add_column`` declares (``unique``, ``references``): that key, which names it

    op: ClassVar[str] = "add_constraint"
    action: ClassVar[str] = "create"

    @property
    def object(self) -> str:
        return self.name

    def tables(self) -> tuple[ObjectRef, ...]:
        return (self.table,) + ((self.references.table,) if self.references else ())

    def present(self, state: SchemaState) -> bool:
        """A constraint of that name and kind is there (one of another kind is a clash the plan refuses)."""
        found = _constraint(state, self.table, self.name)
        return found is not None and found.kind == self.kind

    def missing(self, state: SchemaState) -> str | None:
        if self.references and _table(state, self.references.table) is None:
            return f"referenced table {self.references.table} does not exist"
        if self.kind == "foreign_key" and state.dialect == "mysql":
            schema, table = _key(state, self.table)
            on_table = [ix for k, ix in state.indexes.items() if k[:2] == (schema, table)]
            makes_index = not any(ix.columns[: len(self.columns)] == self.columns for ix in on_table)
            clash = [ix for ix in on_table if ix.name.lower() == self.name.lower()]  # MySQL index names ignore case
            if makes_index and clash:
                return f"index {clash[0].name} already exists on {table}, and MySQL names the index it makes for a foreign key after the key"
        return super().missing(state)

    def simulate(self, state: SchemaState) -> None:
        fk = self.references
        _add_constraint(state, Constraint(
            self.table.schema or "", self.table.table, self.name, self.kind, self.columns,
            fk.table.schema if fk else None, fk.table.table if fk else None, fk.columns if fk else (),
            _in_dialect(self.check, self.dialect, state.dialect), fk.on_delete if fk else None,
        ))


@dataclass(frozen=True)
class DropConstraint(Change):
    """Drop a constraint (destructive, RC104: data it protected may go bad)."""

    name: str
    table: ObjectRef

    op: ClassVar[str] = "drop_constraint"
    action: ClassVar[str] = "delete"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC104",)

    @property
    def object(self) -> str:
        return self.name

    def catalog_name(self, state: SchemaState) -> str:
        """The name the catalog holds the constraint under: MySQL names every primary key PRIMARY,
        so there ``{table}_pkey`` (the name the other engines give it) is the table's primary key,
        as a canary reads it, unless a constraint is spelled exactly so."""
        if state.dialect == "mysql" and self.name == pk_name(self.table.table, "postgresql") \
                and _constraint(state, self.table, self.name) is None:
            return pk_name(self.table.table, "mysql")
        return self.name

    def target(self, state: SchemaState) -> Constraint | None:
        """The constraint the drop removes, if it is there."""
        return _constraint(state, self.table, self.catalog_name(state))

    def present(self, state: SchemaState) -> bool:
        return self.target(state) is None

    def missing(self, state: SchemaState) -> str | None:
        con = self.target(state)
        index = state.indexes.get((con.schema, con.table, con.name)) if con is not None and con.kind in ("unique", "primary_key") else None
        needed = serving_fk(state, index) if index is not None else None
        if needed is not None:
            return f"{con.name} is the only index foreign key {needed.name} can use (MySQL needs one): drop the key first"
        return super().missing(state)

    def simulate(self, state: SchemaState) -> None:
        con = self.target(state)
        if con is not None:
            _remove_constraint(state, con)
