"""Column changes: ``add_column``, ``alter_column``, ``rename_column``, ``drop_column``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from ..inspect.state import SchemaState
from ..spec import defaults, types
from ..spec.model import ObjectRef
from .base import UNSET, Change, ColumnDef, _plain_default, default_sql, same_default
from .simstate import (
    _add_constraint,
    _column,
    _key,
    _native_column,
    _put_columns,
    _table,
    _varchar_length,
    identity_sequences,
    table_constraints,
)


@dataclass(frozen=True)
class AddColumn(Change):
    """Add one column to an existing table."""

    table: ObjectRef
    column: ColumnDef

    op: ClassVar[str] = "add_column"
    action: ClassVar[str] = "create"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        no_default = self.column.default in (UNSET, None)
        return ("RC201",) if self._on_existing_table(live) and not self.column.nullable and no_default else ()

    @property
    def object(self) -> str:
        return f"{self.table}.{self.column.name}"

    def reason(self, state: SchemaState) -> str:
        return f"column {self.object} is missing"

    def present(self, state: SchemaState) -> bool:
        return _column(state, self.table, self.column.name) is not None

    def simulate(self, state: SchemaState) -> None:
        table = _table(state, self.table)
        _put_columns(state, self.table, table.columns + (_native_column(self.column, state.dialect),))
        for con in table_constraints(self.table, (self.column,), (), state.dialect):
            _add_constraint(state, con)
        identity_sequences(state, self.table, [self.column.name] if self.column.identity else [])


@dataclass(frozen=True)
class AlterColumn(Change):
    """Change a column's type, nullability or default; unset fields stay as they are."""

    table: ObjectRef
    name: str
    type: str | None = None
    nullable: bool | None = None
    default: Any = UNSET
    drop_default: bool = False

    op: ClassVar[str] = "alter_column"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        needs, codes = self.needs(before), []
        if needs["nullable"] and self.nullable is False:
            codes.append("RC202")
        if needs["type"] and self._on_existing_table(live) and live.dialect in ("postgresql", "mysql") and self._rewrites(before):
            codes.append("RC302")
        return tuple(codes)

    def _rewrites(self, state: SchemaState) -> bool:
        """Widening a varchar (or turning it into text) is metadata-only; other type changes rewrite."""
        col = state.table(self.table.schema, self.table.table).column(self.name)
        old, new = types.canonical(col.type, state.dialect), types.canonical(types.native(self.type, state.dialect), state.dialect)
        if old.startswith("varchar") and (new == "text" or new.startswith("varchar")):
            return _varchar_length(new) < _varchar_length(old) if new.startswith("varchar") else False
        return True

    @property
    def object(self) -> str:
        return f"{self.table}.{self.name}"

    def needs(self, state: SchemaState) -> dict[str, bool]:
        """Which aspects still differ from the live column: type, nullable, default."""
        col = _column(state, self.table, self.name)
        if col is None:
            return {"type": self.type is not None, "nullable": self.nullable is not None, "default": self.default is not UNSET or self.drop_default}
        return {
            "type": self.type is not None and not types.same_type(self.type, col.type, state.dialect)
                    and not defaults.rowid_keeps(self.type, col.generated, state.dialect),
            "nullable": self.nullable is not None and self.nullable != col.nullable,
            "default": (self.default is not UNSET and not same_default(col.default, self.default)) or (self.drop_default and _plain_default(col.default) is not None),
        }

    def reason(self, state: SchemaState) -> str:
        current = _column(state, self.table, self.name)
        needs = self.needs(state)
        parts = []
        if needs["type"]:
            parts.append(f"type {current.type if current else '?'} -> {self.type}")
        if needs["nullable"]:
            parts.append("NULL -> NOT NULL" if self.nullable is False else "NOT NULL -> NULL")
        if needs["default"]:
            declared = str(self.default) if isinstance(self.default, defaults.Expr) else default_sql(self.default)
            new = "none" if self.drop_default or self.default is None else declared
            parts.append(f"default {current.default if current and current.default is not None else 'none'} -> {new}")
        return f"{self.object}: " + ", ".join(parts)

    def present(self, state: SchemaState) -> bool:
        return not any(self.needs(state).values())

    def missing(self, state: SchemaState) -> str | None:
        if _table(state, self.table) is not None and _column(state, self.table, self.name) is None:
            return f"column {self.table}.{self.name} does not exist"
        return super().missing(state)

    def simulate(self, state: SchemaState) -> None:
        table = _table(state, self.table)
        cols = []
        for col in table.columns:
            if col.name == self.name:
                native = types.native(self.type, state.dialect) if self.type else col.type
                col = replace(
                    col, type=native, nullable=col.nullable if self.nullable is None else self.nullable,
                    default=None if self.drop_default else (default_sql(self.default, state.dialect, native) if self.default is not UNSET else col.default),
                    # MySQL's MODIFY restates the collation of a column that stays a string (render/mysql.py)
                    collation=col.collation if types.family(native) == "text" else None,
                )
            cols.append(col)
        _put_columns(state, self.table, tuple(cols))


@dataclass(frozen=True)
class RenameColumn(Change):
    """Rename a column: runs only while the old name exists and the new one does not."""

    table: ObjectRef
    name: str
    new_name: str

    op: ClassVar[str] = "rename_column"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC303",)

    @property
    def object(self) -> str:
        return f"{self.table}.{self.name}"

    def reason(self, state: SchemaState) -> str:
        return f"{self.object} exists and {self.table}.{self.new_name} does not"

    def present(self, state: SchemaState) -> bool:
        return _column(state, self.table, self.name) is None and _column(state, self.table, self.new_name) is not None

    def missing(self, state: SchemaState) -> str | None:
        if _table(state, self.table) is not None:
            if _column(state, self.table, self.name) is None:
                return f"column {self.table}.{self.name} does not exist"
            if _column(state, self.table, self.new_name) is not None:
                return f"both {self.table}.{self.name} and {self.table}.{self.new_name} exist"
        return super().missing(state)

    def simulate(self, state: SchemaState) -> None:
        table = _table(state, self.table)
        _put_columns(state, self.table, tuple(replace(c, name=self.new_name) if c.name == self.name else c for c in table.columns))
        key = _key(state, self.table)
        rename = lambda cols: tuple(self.new_name if c == self.name else c for c in cols)  # noqa: E731
        for k, ix in list(state.indexes.items()):
            if k[:2] == key and self.name in ix.columns:
                state.indexes[k] = replace(ix, columns=rename(ix.columns), definition=None)
        for k, con in list(state.constraints.items()):
            if k[:2] == key and self.name in con.columns:
                state.constraints[k] = replace(con, columns=rename(con.columns))


@dataclass(frozen=True)
class DropColumn(Change):
    """Drop a column and its data (destructive, RC102)."""

    table: ObjectRef
    name: str

    op: ClassVar[str] = "drop_column"
    action: ClassVar[str] = "delete"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC102",)

    @property
    def object(self) -> str:
        return f"{self.table}.{self.name}"

    def present(self, state: SchemaState) -> bool:
        return _column(state, self.table, self.name) is None

    def simulate(self, state: SchemaState) -> None:
        table = _table(state, self.table)
        _put_columns(state, self.table, tuple(c for c in table.columns if c.name != self.name))
        key = _key(state, self.table)
        for bucket in (state.indexes, state.constraints):
            for k in [k for k, v in bucket.items() if k[:2] == key and self.name in v.columns]:
                del bucket[k]
