"""InnoDB's key length: the columns of one index take at most 3072 bytes (error 1071).

A key part counts its column's largest value in bytes: ``varchar(n)`` and ``char(n)`` are n
characters of the column's character set (its collation where the catalog reads one, else the
database's default), a ``TEXT``/``BLOB`` column the 255-character prefix recon indexes it by,
other types their stored size. MariaDB makes a unique key that is too long a hash of its
columns, so only its primary keys and plain indexes are held to the limit there; MySQL 8 holds
every key to it. MariaDB would shorten a plain one-column index to a prefix and say nothing:
that is refused too, since the index would not be the one the plan shows.
"""

from __future__ import annotations

from ...inspect.state import Column, SchemaState, Table
from ...spec import defaults, typesizes
from ..columns import AlterColumn
from ..constraints import AddConstraint
from ..indexes import CreateIndex
from ..tables import CreateTable
from .registry import mariadb, rule, table_of

KEY_BYTES = 3072
PREFIX = 255  # the characters recon indexes a TEXT column by (render/mysql.py INDEX_PREFIX)
_CHARSET_BYTES = {"utf8mb4": 4, "utf8mb3": 3, "utf8": 3, "ucs2": 2, "utf16": 4, "utf32": 4, "latin1": 1, "ascii": 1,
                  "binary": 1, "latin2": 1, "cp1250": 1, "cp1251": 1, "greek": 1, "hebrew": 1, "koi8r": 1}


def key_bytes(col: Column, state: SchemaState) -> int:
    """The bytes ``col`` takes in an index key on MySQL."""
    text = col.type.strip().lower()
    each = _CHARSET_BYTES.get((col.collation or "").split("_")[0], state.charset_bytes or 4)
    if "text" in text or "blob" in text or text.startswith("json"):
        return PREFIX * (1 if "blob" in text else each)
    if text.startswith(("varchar", "char")):
        return int(text[text.index("(") + 1: text.index(")")]) * each if "(" in text else each
    return typesizes.mysql_column_bytes(text, each)


def _too_long(state: SchemaState, table: Table, columns, what: str, hashed: bool) -> str | None:
    """Why a key of ``columns`` of ``table`` is over the limit, or None; ``hashed`` when MariaDB would hash it."""
    if state.dialect != "mysql" or (hashed and mariadb(state)):
        return None
    cols = [table.column(c) for c in columns]
    total = sum(key_bytes(c, state) for c in cols if c is not None)
    if total <= KEY_BYTES:
        return None
    return (f"{what} on {table.name} ({', '.join(columns)}) would take {total} bytes, more than the {KEY_BYTES} an "
            "InnoDB key holds (error 1071; MariaDB would shorten a one-column index to a prefix without saying so)")


@rule(CreateIndex)
def _index(change: CreateIndex, state: SchemaState) -> str | None:
    table = table_of(state, change.table)
    return _too_long(state, table, change.columns, f"index {change.name}", change.unique) if table else None


@rule(AddConstraint)
def _unique(change: AddConstraint, state: SchemaState) -> str | None:
    table = table_of(state, change.table)
    if table is None or change.kind != "unique":
        return None
    return _too_long(state, table, change.columns, f"unique key {change.name}", True)


@rule(CreateTable)
def _table_keys(change: CreateTable, state: SchemaState) -> str | None:
    cols = tuple(Column(c.name, defaults.native_type(c.type, "mysql", c.identity), c.nullable) for c in change.columns)
    table = Table(change.table.schema or state.default_schema, change.table.table, cols)
    key = change.primary_key or tuple(c.name for c in change.columns if c.primary_key)
    why = _too_long(state, table, key, "the primary key", False) if key else None
    for c in change.columns:
        why = why or (_too_long(state, table, (c.name,), f"unique column {c.name}", True) if c.unique else None)
    return why


@rule(AlterColumn)
def _retyped(change: AlterColumn, state: SchemaState) -> str | None:
    """A new type for a column keeps every index that holds it within the limit."""
    table = table_of(state, change.table)
    if change.type is None or table is None or state.dialect != "mysql" or table.column(change.name) is None:
        return None
    new = Column(change.name, defaults.native_type(change.type, "mysql"), True, collation=table.column(change.name).collation)
    after = Table(table.schema, table.name, tuple(new if c.name == change.name else c for c in table.columns))
    for key, index in state.indexes.items():
        if key[:2] == (table.schema, table.name) and change.name in index.columns:
            why = _too_long(state, after, index.columns, f"index {index.name}", index.unique and not index.primary)
            if why:
                return why
    return None
