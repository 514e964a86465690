"""Keys and foreign keys: which types an index takes, what a foreign key may reference."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ...inspect.state import Column, Constraint, SchemaState, Table
from ...spec import types
from ...spec.model import ObjectRef
from .registry import absent, key_of, mariadb, names, table_of

# -- keys and foreign keys --------------------------------------------------------------------

_UNINDEXABLE = {"postgresql": ("json", "xml"), "mysql": ("json",)}


def indexable(state: SchemaState, table: Table, columns: tuple[str, ...], name: str, unique: bool = True) -> str | None:
    """Types an index cannot take: PostgreSQL's json and xml (no btree operator class); on MySQL 8
    JSON at all, and TEXT/BLOB in a key without a prefix length (MariaDB hashes long unique keys)."""
    for col in (table.column(c) for c in columns):
        text = col.type.strip().lower()
        if text in _UNINDEXABLE.get(state.dialect, ()) and not (state.dialect == "mysql" and mariadb(state)):
            return f"{name}: column {table.name}.{col.name} is {col.type}, which {_server(state)} cannot index"
        blob = types.family(text) in ("text", "binary") and ("text" in text or "blob" in text)
        if state.dialect == "mysql" and unique and blob and not mariadb(state):
            return f"{name}: column {table.name}.{col.name} is {col.type}; MySQL cannot make a key of it without a prefix length"
    return None


def _server(state: SchemaState) -> str:
    return {"postgresql": "PostgreSQL", "mysql": "MariaDB" if mariadb(state) else "MySQL"}.get(state.dialect, state.dialect)


def foreign_key(state: SchemaState, ref: ObjectRef, table: Table, name: str, columns: tuple[str, ...], fk,
                 own_keys: list[Constraint] = ()) -> str | None:
    """A foreign key's referenced side: its columns exist, are as many, form a key, have compatible types."""
    self_ref = key_of(state, fk.table) == key_of(state, ref)
    target = table if self_ref else table_of(state, fk.table)
    if target is None:
        return None  # missing() already said the table does not exist
    if target.kind == "partitioned" and state.dialect == "mysql" or table.kind == "partitioned" and state.dialect == "mysql":
        return f"foreign key {name}: MySQL has no foreign keys on partitioned tables"
    lacking = absent(target, fk.columns)
    if lacking:
        return f"foreign key {name}: referenced column {fk.table}.{lacking[0]} does not exist"
    if len(fk.columns) != len(columns):
        return f"foreign key {name}: {len(columns)} column(s) reference {len(fk.columns)} column(s) of {fk.table}"
    if not _is_key(state, target, fk.columns, own_keys if self_ref else ()):
        return f"foreign key {name}: {fk.table} ({names(fk.columns)}) is not a primary key or unique key{_NEED[state.dialect]}"
    for mine, theirs in zip(columns, fk.columns):
        why = compatible(state, table.column(mine), target.column(theirs))
        if why:
            return f"foreign key {name}: {table.name}.{mine} ({table.column(mine).type}) cannot reference {fk.table}.{theirs} ({target.column(theirs).type}): {why}"
    strict = [c for c in columns if not table.column(c).nullable] if fk.on_delete == "set_null" else []
    if strict:
        return (f"foreign key {name}: on_delete: set_null, but {table.name}.{strict[0]} is NOT NULL (MySQL refuses the key; "
                "PostgreSQL and SQLite would fail every delete of a referenced row)")
    return None


_NEED = {"mysql": ", and no index starts with those columns, which MySQL needs",
         "postgresql": "", "sqlite": " (SQLite would fail every later write with 'foreign key mismatch')"}


def _is_key(state: SchemaState, table: Table, columns: tuple[str, ...], extra: Iterable[Constraint] = ()) -> bool:
    """Whether ``columns`` of ``table`` are what the dialect lets a foreign key reference."""
    where = (table.schema, table.name)
    cons = [c for k, c in state.constraints.items() if k[:2] == where] + list(extra)
    if any(c.kind in ("primary_key", "unique") and set(c.columns) == set(columns) for c in cons):
        return True
    indexes = [ix for k, ix in state.indexes.items() if k[:2] == where]
    if state.dialect == "mysql":  # InnoDB: any index leading with the columns, in order
        return any(ix.columns[: len(columns)] == columns for ix in indexes)
    return any(ix.unique and not ix.partial and set(ix.columns) == set(columns) for ix in indexes)


def compatible(state: SchemaState, mine: Column, theirs: Column) -> str | None:
    """Whether a foreign key column may reference a column of the other's type on this dialect."""
    if state.dialect == "sqlite":
        return None  # SQLite compares values, not declared types
    a, b = types.family(mine.type), types.family(theirs.type)
    if a != b:
        return "the types are of different families"
    if state.dialect == "mysql" and a != "text" and _bare(mine.type) != _bare(theirs.type):
        return "MySQL needs the same type (and sign) on both sides"
    return None


def _bare(type_text: str) -> str:
    """A MySQL type without its integer display width: ``int(11) unsigned`` -> ``int unsigned``."""
    return re.sub(r"^(\w+)\(\d+\)(?=( unsigned)?$)", r"\1", type_text.strip().lower())
