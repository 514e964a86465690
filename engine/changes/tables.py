"""Table changes: ``create_table`` and ``drop_table``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..inspect.state import SchemaState, Table
from ..spec.model import ObjectRef
from .base import Change, ColumnDef
from .simstate import (
    _add_constraint,
    _key,
    _native_column,
    _remove_constraint,
    _table,
    identity_sequences,
    referencing,
    table_constraints,
)


@dataclass(frozen=True)
class CreateTable(Change):
    """Create a table with its columns and the constraints they declare."""

    table: ObjectRef
    columns: tuple[ColumnDef, ...]
    primary_key: tuple[str, ...] = ()

    op: ClassVar[str] = "create_table"
    action: ClassVar[str] = "create"

    @property
    def object(self) -> str:
        return str(self.table)

    def tables(self) -> tuple[ObjectRef, ...]:
        return (self.table,) + tuple(c.references.table for c in self.columns if c.references)

    def reason(self, state: SchemaState) -> str:
        return f"table {self.object} does not exist"

    def present(self, state: SchemaState) -> bool:
        """A table of that name is there (a view of that name is not the table: the plan refuses it)."""
        found = _table(state, self.table)
        return found is not None and found.kind != "view"

    def missing(self, state: SchemaState) -> str | None:
        for col in self.columns:
            if col.references and (col.references.table != self.table) and _table(state, col.references.table) is None:
                return f"referenced table {col.references.table} does not exist"
        return None

    def simulate(self, state: SchemaState) -> None:
        pk = set(self.primary_key or (c.name for c in self.columns if c.primary_key))
        schema, name = _key(state, self.table)
        cols = tuple(_native_column(c, state.dialect, nullable=c.nullable and c.name not in pk) for c in self.columns)
        state.tables[(schema, name)] = Table(schema, name, cols)
        for con in table_constraints(ObjectRef(schema, name), self.columns, self.primary_key, state.dialect):
            _add_constraint(state, con)
        identity_sequences(state, self.table, [c.name for c in self.columns if c.identity])


@dataclass(frozen=True)
class DropTable(Change):
    """Drop a table and everything in it (destructive, RC101)."""

    table: ObjectRef
    cascade: bool = False

    op: ClassVar[str] = "drop_table"
    action: ClassVar[str] = "delete"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC101",)

    @property
    def object(self) -> str:
        return str(self.table)

    def present(self, state: SchemaState) -> bool:
        return _table(state, self.table) is None

    def simulate(self, state: SchemaState) -> None:
        key = _key(state, self.table)
        if self.cascade:  # CASCADE also drops the foreign keys of other tables that point at it
            for fk in referencing(state, self.table):
                _remove_constraint(state, fk)
        gone = state.tables.pop(key, None)
        identity_sequences(state, self.table, [c.name for c in gone.columns if c.generated] if gone else [], made=False)
        for bucket in (state.indexes, state.constraints):
            for k in [k for k in bucket if k[:2] == key]:
                del bucket[k]
