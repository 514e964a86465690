"""What an ``alter_column`` asks that the server refuses, or would do other than the plan shows.

A primary-key column stays NOT NULL; a column of a foreign key that sets NULL on delete stays
nullable; a generated column keeps its type and expression; PostgreSQL changes a type only
along a cast it has (``casts.py``); and the column's current default must convert to the new
type unless the same alter sets or drops it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ...inspect.state import Column, Constraint, SchemaState, Table
from ...spec import types
from ..base import UNSET, _plain_default
from ..columns import AlterColumn
from . import casts
from .registry import mariadb, rule, table_of


def _column(change: AlterColumn, state: SchemaState) -> tuple[Table | None, Column | None]:
    table = table_of(state, change.table)
    return table, table.column(change.name) if table else None


def _keys(state: SchemaState, table: Table, column: str, kind: str) -> list[Constraint]:
    """Constraints of ``kind`` on ``table`` that hold ``column``."""
    where = (table.schema, table.name)
    return [c for k, c in state.constraints.items() if k[:2] == where and c.kind == kind and column in c.columns]


_PK_NULL = {"postgresql": "PostgreSQL refuses it", "mysql": "MySQL keeps it NOT NULL and reports success",
            "sqlite": "SQLite would take NULLs, even repeated ones, in the key (a legacy quirk), while recon, as every "
                      "other engine, reads a primary-key column as NOT NULL"}


@rule(AlterColumn)
def _null_in_primary_key(change: AlterColumn, state: SchemaState) -> str | None:
    table, col = _column(change, state)
    if col is None or not change.nullable or not change.needs(state)["nullable"]:
        return None
    for pk in _keys(state, table, change.name, "primary_key"):
        return f"{change.table}.{change.name} is in primary key {pk.name}: a primary-key column cannot be NULL ({_PK_NULL[state.dialect]})"
    return None


@rule(AlterColumn)
def _not_null_under_set_null(change: AlterColumn, state: SchemaState) -> str | None:
    table, col = _column(change, state)
    if col is None or change.nullable is not False or not change.needs(state)["nullable"]:
        return None
    for fk in _keys(state, table, change.name, "foreign_key"):
        if fk.on_delete == "set_null":
            return (f"{change.table}.{change.name} is in foreign key {fk.name}, whose on_delete is set_null: MySQL refuses NOT NULL "
                    "on it (errno 1830), and PostgreSQL and SQLite would fail every delete of a referenced row "
                    "(drop the key first, or declare it again with another on_delete)")
    return None


_GENERATED_TYPE = {"postgresql": "PostgreSQL takes no USING for it, and recon's type change casts with USING",
                   "mysql": "MySQL's MODIFY COLUMN would restate it without its expression, as a plain column",
                   "sqlite": "the table rebuild would make it a plain column, without its expression"}
_GENERATED_NULL = {"mysql": "MySQL's MODIFY COLUMN would restate it without its expression (MariaDB refuses NOT NULL on "
                            "a generated column, errno 1907)", "sqlite": _GENERATED_TYPE["sqlite"]}


@rule(AlterColumn)
def _alter_generated_expression(change: AlterColumn, state: SchemaState) -> str | None:
    """A column the database computes from an expression keeps its type (and, but on PostgreSQL, its nullability)."""
    _, col = _column(change, state)
    if col is None or not col.computed or col.generated:  # computed, not generated: an expression, not an identity
        return None
    needs = change.needs(state)
    what = f"{change.table}.{change.name} is a generated column" + (f" (AS ({col.generation}))" if col.generation else "")
    if needs["type"]:
        return f"{what}: {_GENERATED_TYPE[state.dialect]}; change it with a sql operation"
    if needs["nullable"] and state.dialect in _GENERATED_NULL:
        return f"{what}: {_GENERATED_NULL[state.dialect]}; change it with a sql operation"
    return None


@rule(AlterColumn)
def _no_cast(change: AlterColumn, state: SchemaState) -> str | None:
    _, col = _column(change, state)
    if state.dialect != "postgresql" or col is None or change.type is None or not change.needs(state)["type"]:
        return None
    if casts.castable(col.type, types.native(change.type, state.dialect)) is False:
        return (f"{change.table}.{change.name}: PostgreSQL has no cast from {col.type} to {change.type}, so the type change "
                "fails whatever the rows hold (add a column of the new type and fill it with a sql operation)")
    return None


@rule(AlterColumn)
def _default_in_the_way(change: AlterColumn, state: SchemaState) -> str | None:
    """The current default is converted with the column unless the same alter sets or drops it."""
    _, col = _column(change, state)
    if col is None or col.default is None or change.type is None or change.default is not UNSET or change.drop_default \
            or not change.needs(state)["type"]:
        return None
    new = types.native(change.type, state.dialect)
    if state.dialect == "postgresql" and casts.assignable(col.type, new) is False:
        server = "PostgreSQL"
    elif state.dialect == "mysql" and not _literal_fits(col.default, new):
        server = "MariaDB" if mariadb(state) else "MySQL"
    else:
        return None
    return (f"{change.table}.{change.name} has default {col.default}, which {server} cannot convert to {change.type}: "
            "set the default (default: ...) or drop it (drop_default: true) in the same alter_column")


_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_TIME = re.compile(r"^-?\d+:\d{1,2}")
_LENGTH = re.compile(r"^(?:var)?char\((\d+)\)")


def _literal_fits(default: str, native: str) -> bool:
    """Whether MySQL takes a literal default (catalog text) for a column of type ``native``: a number
    for a number, a date for a date, at most n characters for ``varchar(n)``. An expression default
    (``current_timestamp(6)``) is taken at DDL time and not judged here."""
    text = default.strip()
    if not (text.startswith("'") or re.fullmatch(r"-?[\d.]+(e-?\d+)?", text, re.IGNORECASE)):
        return True
    value, family, kind = _plain_default(text) or "", types.family(native), native.strip().lower()
    if family in ("integer", "numeric", "float", "boolean"):
        try:
            Decimal(value)
        except InvalidOperation:
            return False
    if family in ("date", "timestamp", "timestamptz") and not _DATE.match(value):
        return False
    if family == "time" and not _TIME.match(value):
        return False
    length = _LENGTH.match(kind)
    return not (length and len(value) > int(length.group(1)))
