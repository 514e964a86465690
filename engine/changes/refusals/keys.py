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
            return f"{name}: column {table.name}.{col.name} is {col.type}, which {server_name(state)} cannot index"
        if state.dialect == "mysql" and unique and _blob(text) and not mariadb(state):
            return f"{name}: column {table.name}.{col.name} is {col.type}; MySQL cannot make a key of it without a prefix length"
    return None


def server_name(state: SchemaState) -> str:
    """The server as a message names it: PostgreSQL, MariaDB, MySQL, SQLite."""
    return {"postgresql": "PostgreSQL", "mysql": "MariaDB" if mariadb(state) else "MySQL"}.get(state.dialect, "SQLite")


def foreign_key(state: SchemaState, ref: ObjectRef, table: Table, name: str, columns: tuple[str, ...], fk,
                 own_keys: list[Constraint] = ()) -> str | None:
    """A foreign key's referenced side: its columns exist, are as many, form a key, have compatible types."""
    self_ref = key_of(state, fk.table) == key_of(state, ref)
    target = table if self_ref else table_of(state, fk.table)
    if target is None:
        return None  # missing() already said the table does not exist
    lacking = absent(target, fk.columns)
    if lacking:
        return f"foreign key {name}: referenced column {fk.table}.{lacking[0]} does not exist"
    if len(fk.columns) != len(columns):
        return f"foreign key {name}: {len(columns)} column(s) reference {len(fk.columns)} column(s) of {fk.table}"
    why = _mysql_sides(state, table, columns, target, fk.columns) if state.dialect == "mysql" else None
    if why:
        return f"foreign key {name}: {why}"
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


def _mysql_sides(state: SchemaState, table: Table, columns: tuple[str, ...], target: Table, ref_columns: tuple[str, ...]) -> str | None:
    """What MySQL refuses in a foreign key whatever the types: a partitioned table, a table whose
    engine has no foreign keys (InnoDB has; a key on a MyISAM table is ignored), a TEXT or BLOB column."""
    if table.kind == "partitioned" or target.kind == "partitioned":
        return "MySQL has no foreign keys on partitioned tables"
    for side in (table, target):
        if side.engine is not None and side.engine.lower() != "innodb":
            return (f"{side.name} is a {side.engine} table: only InnoDB tables take foreign keys "
                    f"({server_name(state)} refuses a key that references one and ignores a key on one)")
    for side, cols in ((table, columns), (target, ref_columns)):
        for col in (side.column(c) for c in cols):
            if _blob(col.type):
                return f"column {side.name}.{col.name} is {col.type}: {server_name(state)} cannot put a TEXT or BLOB column in a foreign key"
    return None


def _blob(type_text: str) -> bool:
    """A MySQL TEXT or BLOB type (tinytext ... longblob), which keys take only by a prefix."""
    text = type_text.strip().lower()
    return types.family(text) in ("text", "binary") and ("text" in text or "blob" in text)


_NEED = {"mysql": ", and no index starts with those columns in that order, which MySQL needs",
         "postgresql": "", "sqlite": " (SQLite would fail every later write with 'foreign key mismatch')"}


def _is_key(state: SchemaState, table: Table, columns: tuple[str, ...], extra: Iterable[Constraint] = ()) -> bool:
    """Whether ``columns`` of ``table`` are what the dialect lets a foreign key reference: a primary
    or unique key on exactly those columns; on MySQL (InnoDB) any index that leads with them, in order."""
    where = (table.schema, table.name)
    cons = [c for k, c in state.constraints.items() if k[:2] == where] + list(extra)
    indexes = [ix for k, ix in state.indexes.items() if k[:2] == where]
    if state.dialect == "mysql":  # the keys the table is created with have no index in the state yet
        leading = [ix.columns for ix in indexes] + [c.columns for c in extra if c.kind in ("primary_key", "unique")]
        return any(cols[: len(columns)] == columns for cols in leading)
    if any(c.kind in ("primary_key", "unique") and set(c.columns) == set(columns) for c in cons):
        return True
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
    if state.dialect == "mysql" and mine.collation and theirs.collation and mine.collation != theirs.collation:
        return f"MySQL needs the same character set and collation on both sides ({mine.collation} and {theirs.collation})"
    return None


def _bare(type_text: str) -> str:
    """A MySQL type without its integer display width: ``int(11) unsigned`` -> ``int unsigned``."""
    return re.sub(r"^(\w+)\(\d+\)(?=( unsigned)?$)", r"\1", type_text.strip().lower())
