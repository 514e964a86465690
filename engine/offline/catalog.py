"""The offline state as the catalog would report it, once the units are simulated on it.

The planner's simulation is built for deciding what to run, and spells what it adds as DDL
(``VARCHAR(40)``); live inspection reads the catalog. These steps close the gap for what the
units made or changed (objects of the base files are already in catalog spelling): column types
and literal defaults (``character varying(40)``, ``'x'::character varying``), the columns a check
reads (PostgreSQL, SQLite; MySQL lists none), MariaDB's ``restrict`` for a foreign key without
ON DELETE, MySQL's unique constraint of every unique index, and SQLite's key indexes, which the
server names ``sqlite_autoindex_{table}_{n}`` (a rowid primary key has none).
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from ..inspect.state import Constraint, SchemaState
from . import spelling


def as_catalog(state: SchemaState, kept: set[int], flavor: str) -> SchemaState:
    """``state`` (simulated in place) in catalog spelling; ``kept`` are the ids of the base objects."""
    for key, con in list(state.constraints.items()):
        if con.kind == "check" and id(con) not in kept:
            state.constraints[key] = replace(con, columns=_check_columns(state, con, flavor))
        elif con.kind == "foreign_key" and con.on_delete is None and flavor == "mariadb":
            state.constraints[key] = replace(con, on_delete="restrict")
    if flavor in ("mysql", "mariadb"):
        for key, index in list(state.indexes.items()):
            if index.unique and not index.primary and key not in state.constraints:
                state.put("constraints", key, Constraint(*key, "unique", index.columns))
    if flavor == "sqlite":
        _autoindexes(state)
        return state
    for key, table in list(state.tables.items()):
        if all(id(c) in kept for c in table.columns):
            continue
        columns = tuple(c if id(c) in kept else _catalog_column(c, flavor) for c in table.columns)
        state.tables[key] = replace(table, columns=columns)
    return state


def _check_columns(state: SchemaState, con, flavor: str) -> tuple[str, ...]:
    """The columns the catalog lists for a check the units add: those its expression reads, in
    table order (PostgreSQL, SQLite); MariaDB and MySQL list none."""
    if flavor in ("mysql", "mariadb"):
        return ()
    table = state.tables.get((con.schema, con.table))
    if table is None or not con.expression:
        return con.columns
    try:
        read = {c.name.casefold() for c in exp.condition(con.expression, dialect=spelling.sqlglot_name(flavor)).find_all(exp.Column)}
    except Exception:  # noqa: BLE001 - an expression sqlglot cannot read keeps what the simulation said
        return con.columns
    return tuple(c.name for c in table.columns if c.name.casefold() in read)


def _catalog_column(column, flavor: str):
    spelled = spelling.respelled(column.type, flavor)
    default = column.default
    if default is not None:
        node = exp.maybe_parse(default, dialect=spelling.sqlglot_name(flavor))
        if isinstance(node, (exp.Literal, exp.Boolean)):
            try:
                dtype = exp.DataType.build(spelled, dialect=spelling.sqlglot_name(flavor))
            except Exception:  # noqa: BLE001 - a type sqlglot cannot read: the default keeps its spelling
                dtype = None
            default = spelling.catalog_default(node, dtype, flavor)
    return replace(column, type=spelled, default=default)


def _autoindexes(state: SchemaState) -> None:
    """SQLite: the index of each primary key and unique constraint, under the name SQLite gives it."""
    numbers: dict = {}
    for key, index in list(state.indexes.items()):
        con = state.constraints.get(key)
        if con is None or con.kind not in ("primary_key", "unique"):
            continue
        del state.indexes[key]
        table = state.tables.get(key[:2])
        column = table.column(con.columns[0]) if table is not None and len(con.columns) == 1 else None
        if con.kind == "primary_key" and column is not None and column.type.upper() == "INTEGER" \
                and "WITHOUT ROWID" not in (table.definition or "").upper():
            if not column.generated:  # the rowid alias: SQLite numbers the rows, and it needs no index
                state.tables[key[:2]] = replace(table, columns=tuple(replace(c, generated=True) if c is column else c
                                                                     for c in table.columns))
            continue
        n = numbers[key[:2]] = numbers.get(key[:2], 0) + 1
        name = f"sqlite_autoindex_{key[1]}_{n}"
        state.put("indexes", (*key[:2], name), replace(index, name=name))
