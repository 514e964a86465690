"""Inspection: the actual state of a live database, read from its catalog.

:func:`inspect_schema` reads tables, views, columns, indexes and constraints
in a fixed number of catalog queries, however many tables there are (no
per-table queries, no SQLAlchemy ``Inspector``). Each dialect has its own
reader module and its catalog SQL in ``engine/inspect/sql/``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Iterable

from ..errors import TargetError
from .state import Column, Constraint, Index, SchemaState, Table

__all__ = ["inspect_schema", "SchemaState", "Table", "Column", "Index", "Constraint"]

# SQLAlchemy dialect name -> reader module (imported on first use: the SQLite
# reader pulls in sqlglot, which the server dialects do not need).
READERS = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}


def inspect_schema(conn, schemas: Iterable[str] = (), tables: Iterable[tuple[str | None, str]] | None = None) -> SchemaState:
    """The schema state seen through ``conn``: its default schema plus ``schemas``.

    ``conn`` is a SQLAlchemy Connection (normally from ``read_only_connection``).
    ``schemas`` names extra schemas to read: PostgreSQL schemas, MySQL/MariaDB
    databases, or ATTACHed SQLite databases (names not attached are ignored).
    ``tables`` restricts it to those ``(schema, table)`` pairs (None: the default schema), in
    the same number of queries, each reading only them (``SchemaState.only`` says so):
    what apply reads again of the tables its plan touches.
    """
    if isinstance(schemas, str):
        schemas = (schemas,)
    return _reader(conn.dialect.name).inspect(conn, tuple(schemas), tables)


def _reader(dialect: str):
    module = READERS.get(dialect)
    if module is None:
        raise TargetError(f"cannot inspect a {dialect!r} database: recon supports sqlite, postgresql, mysql and mariadb")
    return import_module(f".{module}", __name__)
