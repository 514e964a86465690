"""Declared sizes this dialect does not hold, though another supported dialect does (validate warns
about them): on MySQL/MariaDB a ``char`` over 255, a ``varchar`` over 65535 bytes in the database's
default character set (16383 characters in utf8mb4), a ``numeric`` over 65 digits or with a scale
over 30 (MySQL 8) or 38 (MariaDB), and a row over 65535 bytes (``typesizes.mysql_row_bytes``:
at least what its columns take; a type it does not know counts nothing). Characters count with
the database's default character set (inspection does not read a table's or a column's own):
a table whose row already counts more than MySQL holds is in another one, and only what a
change declares is refused there.
"""

from __future__ import annotations

from ...inspect.state import SchemaState
from ...spec import defaults, typesizes
from ..base import Change
from ..columns import AddColumn, AlterColumn
from ..tables import CreateTable
from ..typefit import declared
from .registry import mariadb, rule, table_of


@rule(CreateTable, AddColumn, AlterColumn)
def _type_size(change: Change, state: SchemaState) -> str | None:
    """Each declared size fits this dialect."""
    for col in declared(change):
        why = typesizes.dialect_problem(col.type, state.dialect, mariadb(state), state.charset_bytes or 4)
        if why:
            return f"column {change.table}.{col.name}: {why}"
    return None


@rule(CreateTable, AddColumn, AlterColumn)
def _row_size(change: Change, state: SchemaState) -> str | None:
    """A MySQL row of the table as the change leaves it fits 65535 bytes (where it did before)."""
    if state.dialect != "mysql" or not any(c.type for c in declared(change)):
        return None
    before, after = _rows(change, state)
    size = lambda cols: typesizes.mysql_row_bytes(cols, state.charset_bytes or 4)  # noqa: E731
    if before and size(before) > typesizes.MYSQL_ROW_BYTES:
        return None
    return typesizes.row_problem(str(change.table), size(after))


def _rows(change: Change, state: SchemaState) -> tuple[list, list]:
    """(type, nullable) of the table's columns before and after ``change``."""
    if isinstance(change, CreateTable):
        keyed = set(change.primary_key or (c.name for c in change.columns if c.primary_key))
        return [], [(defaults.native_type(c.type, "mysql", c.identity), c.nullable and c.name not in keyed) for c in change.columns]
    table = table_of(state, change.table)
    before = [(c.type, c.nullable) for c in table.columns] if table is not None else []
    if isinstance(change, AddColumn):
        return before, before + [(defaults.native_type(change.column.type, "mysql"), change.column.nullable)]
    after = [(defaults.native_type(change.type, "mysql") if c.name == change.name else c.type,
              (c.nullable if change.nullable is None else change.nullable) if c.name == change.name else c.nullable)
             for c in table.columns] if table is not None else []
    return before, after
