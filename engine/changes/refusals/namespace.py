"""Names the server would find taken: where it compares names ignoring case, and which objects share a namespace.

- MySQL and MariaDB compare column, index and constraint names ignoring case. A table's
  indexes (its primary, unique and foreign-key indexes too) share one namespace; foreign key
  names are unique per database; on MariaDB a check constraint's name differs from every
  other constraint name of its table. Table names follow ``lower_case_table_names``, which
  recon does not read: they are compared exactly (the Linux default, 0).
  MariaDB folds a name one character at a time by a case table of an old Unicode version
  (``İ`` is ``i``; ``ẞ`` and ``ß``, ``Ƀ`` and ``ƀ`` are two names): recon folds by Unicode 3.2's
  letters, which finds every clash the server finds (each case pair of the Basic Multilingual
  Plane tried on MariaDB 10.11) and 29 pairs more (``Ԁ`` and ``ԁ``), refused though the server
  would take them.
- SQLite compares every name ignoring (ASCII) case; the tables, views and indexes of a
  database share one namespace. It does not compare constraint names.
- PostgreSQL compares names exactly; the tables, views, indexes (the ones backing primary
  and unique keys too), sequences and composite types of a schema share one namespace.

A name taken exactly by the same kind of object makes a change present (or ``missing()``
says so); these rules catch the rest, which the server refuses or, behind ``IF NOT EXISTS``,
skips without a word while the ledger records the unit applied.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ...inspect.state import SchemaState
from ..columns import AddColumn, RenameColumn
from ..constraints import AddConstraint
from ..indexes import CreateIndex
from ..simstate import table_constraints
from ..tables import CreateTable
from .keys import server_name
from .registry import key_of, mariadb, rule, table_of

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Holder:
    """An object that already has a name: what it is (table, view, index, sequence, column,
    foreign key...), its name, and the table it belongs to where it belongs to one."""

    kind: str
    name: str
    table: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.name}" + (f" of {self.table}" if self.table else "")


def ignores_case(state: SchemaState, what: str) -> bool:
    """Whether the dialect compares names of ``what`` (table, column, index, constraint) ignoring case."""
    return state.dialect == "sqlite" or (state.dialect == "mysql" and (what != "table" or state.table_names_fold))


def fold(state: SchemaState, name: str) -> str:
    """``name`` as the server compares it: SQLite folds ASCII letters only, MySQL each letter its
    case table knows (``str.lower`` would make ``İ`` two characters and miss that it is ``i``)."""
    return name.translate(_ASCII_LOWER) if state.dialect == "sqlite" else "".join(map(_mysql_lower, name))


@lru_cache(maxsize=4096)
def _mysql_lower(ch: str) -> str:
    if ch == "\u0130":  # LATIN CAPITAL LETTER I WITH DOT ABOVE: MariaDB lowers it to a plain i
        return "i"
    low = ch.lower()
    old = unicodedata.ucd_3_2_0
    return low if len(low) == 1 and old.category(ch) != "Cn" and old.category(low) != "Cn" else ch


def same(state: SchemaState, what: str, a: str, b: str) -> bool:
    """Whether names ``a`` and ``b`` of ``what`` are one name to the server."""
    return fold(state, a) == fold(state, b) if ignores_case(state, what) else a == b


def case_reason(state: SchemaState, what: str) -> str:
    """Why two spellings clash: the server compares ``what`` names ignoring case."""
    return f"{server_name(state)} compares {what} names ignoring case"


_SHARED = {"postgresql": "PostgreSQL keeps the tables, views, indexes, sequences and composite types of a schema in one namespace",
           "sqlite": "SQLite keeps tables, views and indexes in one namespace and compares names ignoring case",
           "mysql": "MySQL with lower_case_table_names 1 or 2 compares table names ignoring case"}


# -- what already holds a name ---------------------------------------------------------------------

def relation(state: SchemaState, schema: str, name: str) -> Holder | None:
    """What holds ``name`` in the relation namespace of ``schema`` (PostgreSQL, SQLite), or None."""
    if state.dialect == "postgresql":  # exact names: direct lookups
        table = state.tables.get((schema, name))
        indexes = state.indexes_named(name, schema)
        if table is not None:
            return Holder("view" if table.kind == "view" else "table", name)
        if indexes:
            return Holder("index", name, indexes[0].table)
        other = state.other_relations.get((schema, name))
        return Holder(other, name) if other else None
    if state.dialect == "mysql" and not state.table_names_fold:
        return None  # lower_case_table_names = 0: exact table names, and indexes are per table
    if state.dialect not in ("sqlite", "mysql"):
        return None
    for (s, t), table in state.tables.items():
        if s == schema and same(state, "table", t, name):
            return Holder("view" if table.kind == "view" else "table", t)
    for key, index in state.indexes.items() if state.dialect == "sqlite" else ():  # an index keyed like a constraint is that key
        if key[0] == schema and key not in state.constraints and same(state, "index", index.name, name):
            return Holder("index", index.name, index.table)
    return None


def table_index(state: SchemaState, schema: str, table: str, name: str) -> Holder | None:
    """MySQL: an index of ``table`` whose name is ``name`` to the server."""
    for (s, t, n) in state.indexes:
        if (s, t) == (schema, table) and same(state, "index", n, name):
            return Holder("index", n, t)
    return None


def table_constraint(state: SchemaState, schema: str, table: str, name: str, kinds: tuple[str, ...]) -> Holder | None:
    """MySQL: a constraint of ``table``, of one of ``kinds``, whose name is ``name`` to the server."""
    for (s, t, n), con in state.constraints.items():
        if (s, t) == (schema, table) and con.kind in kinds and same(state, "constraint", n, name):
            return Holder(_KIND[con.kind], n, t)
    return None


def foreign_key_named(state: SchemaState, schema: str, table: str, name: str, kind: str = "foreign_key") -> Holder | None:
    """MySQL: a foreign key (or a check, ``kind``) of the database whose name is ``name`` to the server (other than this one)."""
    for (s, t, n), con in state.constraints.items():
        if s == schema and con.kind == kind and (t, n) != (table, name) and same(state, "constraint", n, name):
            return Holder(_KIND[kind], n, t)
    return None


_KIND = {"primary_key": "primary key", "unique": "unique key", "foreign_key": "foreign key", "check": "check constraint"}


# -- the rules -------------------------------------------------------------------------------------

@rule(AddColumn, RenameColumn)
def _column_name(change: AddColumn | RenameColumn, state: SchemaState) -> str | None:
    """A new column name another column of the table has in another spelling (MySQL, SQLite)."""
    table = table_of(state, change.table)
    if table is None or not ignores_case(state, "column"):
        return None
    new, old = (change.column.name, None) if isinstance(change, AddColumn) else (change.new_name, change.name)
    for col in table.columns:  # renaming a column to another spelling of its own name is fine
        if col.name not in (new, old) and same(state, "column", col.name, new):
            return f"column {new} clashes with {Holder('column', col.name, table.name)}: {case_reason(state, 'column')}"
    return None


@rule(CreateIndex)
def _index_name(change: CreateIndex, state: SchemaState) -> str | None:
    schema, table = key_of(state, change.table)
    if state.dialect == "mysql":
        holder = table_index(state, schema, table, change.name)
        return f"index {change.name} clashes with {holder}: {_index_names(state)}" if holder else None
    holder = relation(state, schema, change.name)
    if holder is None or (holder.kind == "index" and holder.name == change.name and holder.table == table):
        return None
    return f"index {change.name} clashes with {holder}: {_SHARED[state.dialect]}"


@rule(AddConstraint)
def _constraint_name(change: AddConstraint, state: SchemaState) -> str | None:
    schema, table = key_of(state, change.table)
    if state.dialect == "postgresql" and change.kind == "unique":  # its index takes the name
        holder = relation(state, schema, change.name)
        return f"unique key {change.name} clashes with {holder}: {_SHARED['postgresql']}" if holder else None
    why = _mysql_constraint_clash(change, state, schema, table) if state.dialect == "mysql" else None
    return f"{_KIND[change.kind]} {change.name} clashes with {why}" if why else None


def _mysql_constraint_clash(change: AddConstraint, state: SchemaState, schema: str, table: str) -> str | None:
    """What a MySQL constraint's name clashes with, and why: ``"index x of t: ..."``."""
    if change.kind == "unique":  # a unique key is an index
        holder = table_index(state, schema, table, change.name)
        if holder is not None:
            return f"{holder}: {_index_names(state)}"
    if change.kind == "foreign_key":
        holder = foreign_key_named(state, schema, table, change.name)
        if holder is not None:
            return f"{holder}: {_fk_names(state)}"
    if change.kind == "check" and not mariadb(state):
        holder = foreign_key_named(state, schema, table, change.name, "check")
        if holder is not None:
            return f"{holder}: {_MYSQL8_CHECK_NAMES}"
    if mariadb(state):
        kinds = tuple(_KIND) if change.kind == "check" else ("check",)
        holder = table_constraint(state, schema, table, change.name, kinds)
        if holder is not None:
            return f"{holder}: {_CHECK_NAMES}"
    return None


def _index_names(state: SchemaState) -> str:
    return f"{server_name(state)} keeps the names of a table's indexes and keys in one namespace, ignoring case"


def _fk_names(state: SchemaState) -> str:
    return f"{server_name(state)} keeps foreign key names unique per database, ignoring case (errno 121)"


_MYSQL8_CHECK_NAMES = "MySQL 8 keeps check constraint names unique per database, ignoring case (error 3822)"
_CHECK_NAMES = "MariaDB keeps a check constraint's name apart from every other constraint name of its table, ignoring case"


@rule(CreateTable)
def _create_table_name(change: CreateTable, state: SchemaState) -> str | None:
    """The table's own name, its columns' names, and the names of the keys it declares."""
    schema, name = key_of(state, change.table)
    holder = relation(state, schema, name)
    if holder is not None:
        return f"table {name} clashes with {holder}: {_SHARED[state.dialect]}"
    kind = state.types.get((schema, name)) if state.dialect == "postgresql" else None
    if kind is not None:
        return (f"table {name} clashes with {kind} {name}: PostgreSQL gives each table a row type of its name, "
                f"and the types of a schema share one namespace")
    return _own_columns(change, state) or _declared_key_names(change, state, schema)


def _own_columns(change: CreateTable, state: SchemaState) -> str | None:
    """Two columns of one name (on MySQL and SQLite, also two spellings of one name)."""
    seen: dict[str, str] = {}
    for col in change.columns:
        key = fold(state, col.name) if ignores_case(state, "column") else col.name
        first = seen.get(key)
        if first == col.name:
            return f"column {col.name} is declared twice in table {change.table}"
        if first is not None:
            return f"columns {first} and {col.name} of table {change.table} clash: {case_reason(state, 'column')}"
        seen[key] = col.name
    return None


def _declared_key_names(change: CreateTable, state: SchemaState, schema: str) -> str | None:
    """PostgreSQL: the index of a primary or unique key takes its name; MySQL: foreign key names per database."""
    for con in table_constraints(change.table, change.columns, change.primary_key, state.dialect):
        if state.dialect == "postgresql" and con.kind in ("primary_key", "unique"):
            holder = relation(state, schema, con.name)
            if holder is not None:
                return f"{_KIND[con.kind]} {con.name} clashes with {holder}: {_SHARED['postgresql']}"
        if state.dialect == "mysql" and con.kind == "foreign_key":
            holder = foreign_key_named(state, schema, change.table.table, con.name)
            if holder is not None:
                return f"foreign key {con.name} clashes with {holder}: {_fk_names(state)}"
    return None
