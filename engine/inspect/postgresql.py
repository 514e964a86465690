"""PostgreSQL catalog reader: five queries over pg_catalog, whatever the number of tables.

The version and current schema come first; tables with their columns (and the
names of the sequences and types, which share the tables' namespace), indexes, constraints and
the columns views read then come in one query each, filtered with
``nspname = ANY(:schemas)``.
"""

from __future__ import annotations

from . import views
from .catalog import (
    build_constraints,
    build_indexes,
    build_tables,
    fetch,
    load_sql,
    only,
    schema_list,
)
from .state import SchemaState

OTHER_RELATIONS = frozenset({"sequence", "composite type"})  # kinds of the columns query that are no tables
TYPES = frozenset({"enum type", "domain", "range type", "multirange type", "type"})  # nor relations: types
NOT_TABLES = OTHER_RELATIONS | TYPES


def _column_order(row) -> tuple:
    """Rows of a table together, its columns in ordinal order (a row without a column last, as NULL sorts)."""
    return row[0], row[1], row[13] is None, row[13] or 0


def inspect(conn, schemas: tuple[str, ...], tables=None) -> SchemaState:
    """Read the current schema plus ``schemas`` from a PostgreSQL connection (only ``tables``, if given)."""
    state = SchemaState(dialect="postgresql", default_schema="public")
    version, default = fetch(conn, state, load_sql("postgresql_meta"))[0]
    state.server_version = version
    state.default_schema = default or "public"
    state.only = only(tables, state.default_schema)
    params = {"schemas": schema_list(state.default_schema, schemas)}
    relations = fetch(conn, state, load_sql("postgresql_columns"), params)
    relations.sort(key=_column_order)
    state.other_relations = {(row[0], row[1]): row[2] for row in relations if row[2] in OTHER_RELATIONS}
    state.types = {(row[0], row[1]): row[2] for row in relations if row[2] in TYPES}
    state.tables = build_tables(row for row in relations if row[2] not in NOT_TABLES)
    state.indexes = build_indexes(fetch(conn, state, load_sql("postgresql_indexes"), params))
    state.constraints = build_constraints(fetch(conn, state, load_sql("postgresql_constraints"), params))
    state.view_reads = views.from_rows(fetch(conn, state, load_sql("postgresql_view_reads"), params))
    return state
