"""Index changes: ``create_index`` and ``drop_index``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..inspect.state import Index, SchemaState
from ..spec.model import ObjectRef
from .base import Change
from .simstate import _in_dialect, _index, _key, serving_fk


@dataclass(frozen=True)
class CreateIndex(Change):
    """Create an index; ``concurrently`` builds it without blocking writes on PostgreSQL."""

    name: str
    table: ObjectRef
    columns: tuple[str, ...]
    unique: bool = False
    concurrently: bool = False
    where: str | None = None
    dialect: str = "postgres"  # the dialect ``where`` is written in

    op: ClassVar[str] = "create_index"
    action: ClassVar[str] = "create"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        blocking = live.dialect == "postgresql" and not self.concurrently and self._on_existing_table(live)
        return ("RC301",) if blocking else ()

    @property
    def object(self) -> str:
        return self.name

    def missing(self, state: SchemaState) -> str | None:
        if state.dialect != "mysql":  # index names are unique per schema there, not per table
            schema = self.table.schema or state.default_schema
            for (s, t, n) in state.indexes:
                if n == self.name and s == schema and t != self.table.table:
                    return f"index name {self.name} is already used by table {t}"
        return super().missing(state)

    def present(self, state: SchemaState) -> bool:
        return _index(state, self.table, self.name) is not None

    def simulate(self, state: SchemaState) -> None:
        schema, table = _key(state, self.table)
        predicate = _in_dialect(self.where, self.dialect, state.dialect)
        state.put("indexes", (schema, table, self.name),
                  Index(schema, table, self.name, self.columns, self.unique, partial=predicate is not None, predicate=predicate))


@dataclass(frozen=True)
class DropIndex(Change):
    """Drop an index (RC103: readers may slow down, nothing is lost)."""

    name: str
    table: ObjectRef | None = None
    concurrently: bool = False

    op: ClassVar[str] = "drop_index"
    action: ClassVar[str] = "delete"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC103",)

    @property
    def object(self) -> str:
        return self.name

    @property
    def destructive(self) -> bool:
        return False

    def tables(self) -> tuple[ObjectRef, ...]:
        return (self.table,) if self.table else ()

    def present(self, state: SchemaState) -> bool:
        return _index(state, self.table, self.name) is None

    def missing(self, state: SchemaState) -> str | None:
        if self.table is None:
            tables = sorted({ix.table for ix in state.indexes_named(self.name)})
            if len(tables) > 1:
                return f"index {self.name} is on several tables ({', '.join(tables)}): name its table"
        index = _index(state, self.table, self.name)
        needed = serving_fk(state, index) if index is not None else None
        if needed is not None:
            return f"index {self.name} is the only index foreign key {needed.name} can use (MySQL needs one): drop the key first"
        return None

    def simulate(self, state: SchemaState) -> None:
        index = _index(state, self.table, self.name)
        if index is not None:
            del state.indexes[(index.schema, index.table, index.name)]
