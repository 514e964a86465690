"""Plumbing shared by the per-dialect catalog readers.

Catalog SQL lives in ``engine/inspect/sql/*.sql``; every statement goes
through :func:`fetch`, which counts it on the state so the constant
round-trip property can be checked. The builders turn flat rows (one per
column) into the frozen state values in a single pass.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Iterable

from sqlalchemy import bindparam, text

from ..target import sqlexec
from .state import Column, Constraint, Index, SchemaState, Table, catalog_column


@cache
def load_sql(name: str) -> str:
    """The text of the catalog query ``engine/inspect/sql/{name}.sql``."""
    return resources.files("engine.inspect.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")


# Where a catalog query can be restricted to some tables: ``/* tables: SCHEMA_EXPR, TABLE_EXPR */``.
_TABLES = re.compile(r"/\* tables: ([^,]+), ([^*]+?) \*/")
# Past this many tables a query reads them all: the list would cost more than it saves, and SQLite
# binds at most 32,766 values in one statement (two per table). The state is then simply fuller.
MAX_RESTRICTED = 5000
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")  # a bound name in catalog SQL, as ``text()`` finds them


def restricted(sql: str, tables, dialect: str) -> tuple[str, dict]:
    """``sql`` with each ``/* tables: ... */`` marker made a condition that the row's (schema, table) is
    one of ``tables``, and the values it binds; with ``tables`` None, the markers are dropped.
    PostgreSQL takes the pairs as two arrays (a hashed lookup), the others as a list of pairs."""
    if tables is None or len(tables) > MAX_RESTRICTED:
        return _TABLES.sub("", sql), {}
    pairs = sorted(tables)
    if not pairs:
        return _TABLES.sub("AND 1 = 0", sql), {}
    if dialect == "postgresql":  # compared as names: as text, the planner takes the pairs for a few rows and loops
        rhs = "(SELECT w.s::name, w.t::name FROM unnest(CAST(:only_schemas AS text[]), CAST(:only_tables AS text[])) AS w(s, t))"
        params = {"only_schemas": [s for s, _ in pairs], "only_tables": [t for _, t in pairs]}
    else:
        rows = ", ".join(f"(:only_s{i}, :only_t{i})" for i in range(len(pairs)))
        rhs = f"(VALUES {rows})" if dialect == "sqlite" else f"({rows})"  # SQLite: a row value is IN a subquery only
        params = {k: v for i, (s, t) in enumerate(pairs) for k, v in ((f"only_s{i}", s), (f"only_t{i}", t))}
    return _TABLES.sub(lambda m: f"AND ({m.group(1)}, {m.group(2)}) IN {rhs}", sql), params


def fetch(conn, state: SchemaState, sql: str, params: dict | None = None, expanding: tuple[str, ...] = ()) -> list:
    """Send one catalog query with bound ``params``, count it on ``state``, return all rows; a query
    with ``/* tables */`` markers reads only the tables of ``state.only`` where that is set.

    ``expanding`` names the list parameters written as ``IN :name``.
    """
    sql, only = restricted(sql, state.only, state.dialect)
    params = {**(params or {}), **only}
    statement = text(sql).bindparams(*(bindparam(name, params[name], expanding=name in expanding)
                                       for name in dict.fromkeys(_BIND.findall(sql))))
    state.queries += 1
    return sqlexec.fetch_all(conn, statement)


def only(tables, default: str) -> frozenset[tuple[str, str]] | None:
    """The ``(schema or None, table)`` pairs an inspection is restricted to, with None read as ``default``."""
    return None if tables is None else frozenset((schema or default, table) for schema, table in tables)


def schema_list(default: str, extra: Iterable[str]) -> list[str]:
    """The default schema first, then the extra ones, without duplicates."""
    names = [default]
    for name in extra:
        if name not in names:
            names.append(name)
    return names


def build_tables(rows: Iterable[tuple]) -> dict[tuple[str, str], Table]:
    """Tables from rows ``(schema, table, kind, column, type, nullable, default, generated, computed[, partition_key
    [, generation[, parent_schema, parent_name]]])`` in column order (the parent: the table a partition belongs to).

    A table without columns comes as one row whose column fields are NULL.
    """
    kinds: dict[tuple[str, str], str] = {}
    columns: dict[tuple[str, str], list[Column]] = {}
    keys: dict[tuple[str, str], list[str]] = {}
    parents: dict[tuple[str, str], tuple[str, str]] = {}
    for schema, table, kind, name, type_, nullable, default, generated, computed, *rest in rows:
        key = (schema, table)
        if key not in kinds:
            kinds[key], columns[key], keys[key] = kind, [], []
            if len(rest) > 3 and rest[3] is not None:
                parents[key] = (rest[2], rest[3])
        if name is not None:
            generation = (rest[1] or None) if len(rest) > 1 else None  # MySQL 8 spells "not generated" ''
            columns[key].append(catalog_column(name, type_ or "", bool(nullable), default, bool(generated), bool(computed), generation))
            if rest and rest[0]:
                keys[key].append(name)
    return {key: Table(key[0], key[1], tuple(columns[key]), kind, tuple(keys[key]), partition_of=parents.get(key))
            for key, kind in kinds.items()}


def build_indexes(rows: Iterable[tuple]) -> dict[tuple[str, str, str], Index]:
    """Indexes from rows ``(schema, table, index, unique, primary, column[, partial[, predicate]])`` in key order."""
    flags: dict[tuple[str, str, str], tuple] = {}
    columns: dict[tuple[str, str, str], list[str]] = {}
    for schema, table, name, unique, primary, column, *rest in rows:
        key = (schema, table, name)
        if key not in flags:
            flags[key] = (bool(unique), bool(primary), bool(rest and rest[0]), rest[1] if len(rest) > 1 else None)
            columns[key] = []
        columns[key].append(column)
    return {key: Index(*key, tuple(columns[key]), unique, primary, partial=partial, predicate=predicate)
            for key, (unique, primary, partial, predicate) in flags.items()}


def build_constraints(rows: Iterable[tuple]) -> dict[tuple[str, str, str], Constraint]:
    """Constraints from rows ``(schema, table, name, kind, column, ref_schema, ref_table, ref_column, expression
    [, on_delete])``.

    One row per constrained column, in constraint column order; a foreign key's
    ``ref_column`` pairs with ``column`` on the same row. A foreign key's ``on_delete``
    may come on any of its rows (MySQL reads it from another view, in rows of its own).
    """
    heads: dict[tuple[str, str, str], tuple] = {}
    columns: dict[tuple[str, str, str], tuple[list, list]] = {}
    actions: dict[tuple[str, str, str], str] = {}
    for schema, table, name, kind, column, ref_schema, ref_table, ref_column, expression, *rest in rows:
        key = (schema, table, name)
        if key not in heads:
            heads[key] = (kind, ref_schema, ref_table, expression)
            columns[key] = ([], [])
        own, refs = columns[key]
        if column is not None:
            own.append(column)
        if ref_column is not None:
            refs.append(ref_column)
        if rest and rest[0]:
            actions[key] = rest[0]
    return {key: _constraint(key, heads[key], *columns[key], actions.get(key)) for key in heads}


def _constraint(key: tuple[str, str, str], head: tuple, own: list, refs: list, on_delete: str | None) -> Constraint:
    kind, ref_schema, ref_table, expression = head
    return Constraint(*key, kind, tuple(own), ref_schema, ref_table, tuple(refs), expression, on_delete)
