"""The inspected, actual state of a live database schema.

Inspection fills these frozen values from a constant number of catalog
queries; checks, guards and the diff read them and never touch the database.
Identifiers are stored exactly as the catalog spells them (case-sensitive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in annotations: the spec stage is imported before this one anyway
    from ..spec.model import ObjectRef


@dataclass(frozen=True)
class Column:
    """One column as the catalog reports it; ``type`` is the dialect's own spelling."""

    name: str
    type: str
    nullable: bool
    default: str | None = None
    generated: bool = False  # the database fills it when an INSERT leaves it out (identity, AUTO_INCREMENT, SQLite rowid)
    computed: bool = False  # the database computes it (generated expression, GENERATED ALWAYS identity): an INSERT may not set it
    generation: str | None = None  # a generated column's expression, as the catalog spells it (never a default)
    collation: str | None = None  # MySQL: a string column's collation (a foreign key needs the same on both sides); None elsewhere or unknown
    # SQLite: its place among the column definitions of the CREATE TABLE text (a rename keeps it;
    # a column the plan adds has none), so a rebuild finds how it is declared
    position: int | None = None
    comment: str | None = None  # MySQL: the column's COMMENT, which MODIFY COLUMN drops unless it restates it; None elsewhere



_new_object, _set_attribute = object.__new__, object.__setattr__


def catalog_column(name: str, type_: str, nullable: bool, default: str | None, generated: bool, computed: bool,
                   generation: str | None) -> Column:
    """``Column(name, type_, nullable, default, generated, computed, generation)``, for the catalog
    readers' loop over every column of the schema: a frozen dataclass's ``__init__`` sets each of its
    ten fields through ``object.__setattr__`` (36 ms for the 21,000 columns of 1,000 tables), this
    sets its ``__dict__`` in one step (14 ms). The value is the same (``tests/test_inspect.py``)."""
    column = _new_object(Column)
    _set_attribute(column, "__dict__", {"name": name, "type": type_, "nullable": nullable, "default": default,
                                        "generated": generated, "computed": computed, "generation": generation,
                                        "collation": None, "position": None, "comment": None})
    return column

@dataclass(frozen=True)
class Table:
    """A table with its columns in ordinal order; ``kind`` is ``table``, ``view`` (views and
    materialized views), ``partitioned`` (a partitioned parent table) or ``foreign``.
    ``partition_key`` holds the partitioning columns where the catalog reads them (PostgreSQL);
    ``engine`` the storage engine on MySQL (only InnoDB takes foreign keys), None elsewhere, for
    views and for tables a plan creates. ``definition`` is SQLite's ``CREATE TABLE`` text, which a
    table rebuild reads for what the pragmas do not say (``sqlite_layout``). ``partition_of`` is the
    (schema, table) a PostgreSQL partition belongs to (declarative partitioning), None elsewhere."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    kind: str = "table"
    partition_key: tuple[str, ...] = ()
    engine: str | None = None
    collation: str | None = None  # MySQL: the table's default collation (what MODIFY COLUMN gives a string column)
    definition: str | None = None
    partition_of: tuple[str, str] | None = None

    def column(self, name: str) -> Column | None:
        """The column spelled exactly ``name``, or None."""
        for col in self.columns:
            if col.name == name:
                return col
        return None


@dataclass(frozen=True)
class Index:
    """An index on ``schema.table``; ``columns`` holds expressions as text where not plain columns."""

    schema: str
    table: str
    name: str
    columns: tuple[str, ...]
    unique: bool
    primary: bool = False
    definition: str | None = None  # SQLite: the CREATE INDEX text, replayed when a table is rebuilt
    partial: bool = False  # has a WHERE predicate: a unique partial index does not make its columns a key
    predicate: str | None = None  # a partial index's WHERE expression as the catalog spells it (PostgreSQL, SQLite)


@dataclass(frozen=True)
class Constraint:
    """A table constraint; ``kind`` is one of primary_key, unique, foreign_key, check."""

    schema: str
    table: str
    name: str
    kind: str
    columns: tuple[str, ...] = ()
    ref_schema: str | None = None
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    expression: str | None = None
    on_delete: str | None = None  # foreign keys: cascade, set_null, restrict (None: no action / not read)


@dataclass
class SchemaState:
    """Everything inspection read: keyed by (schema, table) and (schema, table, name).

    ``default_schema`` is where an unqualified name resolves (``public`` on
    PostgreSQL, the connected database on MySQL, ``main`` on SQLite).
    ``queries`` counts the catalog statements sent, for the constant-round-trip check.
    """

    dialect: str
    default_schema: str
    server_version: str = ""
    tables: dict[tuple[str, str], Table] = field(default_factory=dict)
    indexes: dict[tuple[str, str, str], Index] = field(default_factory=dict)
    constraints: dict[tuple[str, str, str], Constraint] = field(default_factory=dict)
    queries: int = 0
    # MySQL: the most bytes a character of the database's default character set takes (0: not read).
    charset_bytes: int = 0
    # MySQL with lower_case_table_names 1 or 2: table names are one name whatever their case.
    table_names_fold: bool = False
    # SQLite: CREATE TRIGGER texts per (schema, table), replayed when a table is rebuilt.
    triggers: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    # (schema, table) -> ((view, column or None), ...): the views that read it (PostgreSQL, SQLite).
    view_reads: dict[tuple[str, str], tuple[tuple[str, str | None], ...]] = field(default_factory=dict)
    # PostgreSQL: (schema, name) -> kind (sequence, composite type) of the relations that are neither tables,
    # views nor indexes; all of them share one namespace per schema.
    other_relations: dict[tuple[str, str], str] = field(default_factory=dict)
    # PostgreSQL: (schema, name) -> kind (enum type, domain, range type...) of the types that are no relation's
    # row type; a table creates a row type of its own name, so none of these names can be a new table's.
    types: dict[tuple[str, str], str] = field(default_factory=dict)
    # The (schema, table) pairs inspection was restricted to (``inspect_schema(tables=...)``); None: every table
    # of the schemas read. A restricted state knows nothing of other tables, nor of what their names collide with.
    only: frozenset[tuple[str, str]] | None = None
    # (schema, name) -> keys, per bucket; built on first lookup, kept current by ``put``.
    _names: dict | None = field(default=None, repr=False, compare=False)

    @property
    def is_mariadb(self) -> bool:
        """MariaDB, not MySQL 8: the same dialect, with its own catalog and server rules."""
        return self.dialect == "mysql" and "mariadb" in self.server_version.lower()

    def put(self, bucket: str, key: tuple[str, str, str], obj) -> None:
        """Add or replace an index or constraint (simulation) and keep the name lookup current."""
        if self._names is not None:
            keys = self._names[bucket].setdefault((key[0], key[2]), [])
            if key not in keys:  # a key dropped earlier is still listed
                keys.append(key)
        getattr(self, bucket)[key] = obj

    def _named(self, bucket: str, name: str, schema: str | None, table: str | None) -> list:
        """Objects of ``bucket`` spelled ``name``; keys of deleted objects are skipped, not unlisted."""
        if self._names is None:
            self._names = {"indexes": {}, "constraints": {}}
            for which in ("indexes", "constraints"):
                for key in getattr(self, which):
                    self._names[which].setdefault((key[0], key[2]), []).append(key)
        objects = getattr(self, bucket)
        keys = self._names[bucket].get((schema or self.default_schema, name), ())
        return [objects[k] for k in keys if k in objects and (table is None or k[1] == table)]

    def copy(self) -> "SchemaState":
        """An independent copy to simulate changes on (the values themselves are frozen)."""
        return SchemaState(self.dialect, self.default_schema, self.server_version, dict(self.tables),
                           dict(self.indexes), dict(self.constraints), self.queries, triggers=dict(self.triggers),
                           view_reads=dict(self.view_reads), other_relations=dict(self.other_relations), types=dict(self.types),
                           charset_bytes=self.charset_bytes, table_names_fold=self.table_names_fold, only=self.only)

    def merged(self, fresh: "SchemaState") -> "SchemaState":
        """This state with the tables ``fresh`` was restricted to read again from it: their columns,
        indexes, constraints, triggers and view reads are ``fresh``'s, every other table's stay."""
        keys = fresh.only if fresh.only is not None else set(self.tables) | set(fresh.tables)
        out = self.copy()
        out.only = None if self.only is None else self.only | keys
        for bucket in ("tables", "triggers", "view_reads"):
            mine, theirs = getattr(out, bucket), getattr(fresh, bucket)
            for key in keys:
                mine.pop(key, None)
            mine.update({k: v for k, v in theirs.items() if k in keys})
        for bucket in ("indexes", "constraints"):
            mine = {k: v for k, v in getattr(out, bucket).items() if k[:2] not in keys}
            mine.update({k: v for k, v in getattr(fresh, bucket).items() if k[:2] in keys})
            setattr(out, bucket, mine)
        out.queries += fresh.queries
        return out

    def changed_tables(self, other: "SchemaState") -> set[tuple[str, str]]:
        """(schema, table) keys whose table, indexes or constraints differ in ``other`` (a simulated copy).

        Values are frozen and a simulation replaces what it changes, so identity is enough.
        """
        out = {k for k in self.tables.keys() | other.tables.keys() if self.tables.get(k) is not other.tables.get(k)}
        for bucket in ("indexes", "constraints"):
            mine, theirs = getattr(self, bucket), getattr(other, bucket)
            out |= {k[:2] for k in mine.keys() ^ theirs.keys()}
            out |= {k[:2] for k in mine.keys() & theirs.keys() if mine[k] is not theirs[k]}
        return out

    def table(self, schema: str | None, name: str) -> Table | None:
        """The table ``name`` in ``schema`` (default schema when None), exact spelling."""
        return self.tables.get((schema or self.default_schema, name))

    def indexes_named(self, name: str, schema: str | None = None, table: str | None = None) -> list[Index]:
        """Indexes spelled exactly ``name``, optionally restricted to one table."""
        return self._named("indexes", name, schema, table)

    def constraints_named(self, name: str, schema: str | None = None, table: str | None = None) -> list[Constraint]:
        """Constraints spelled exactly ``name``, optionally restricted to one table."""
        return self._named("constraints", name, schema, table)


def referenced(state: SchemaState, grants: ObjectRef, column: str, target: ObjectRef) -> str:
    """The column of ``target`` that ``grants.column`` points at: its foreign key's, else ``target``'s one-column primary key."""
    schema = grants.schema or state.default_schema
    target_schema = target.schema or state.default_schema
    for (s, tbl, _), con in state.constraints.items():
        if (s, tbl) == (schema, grants.table) and con.kind == "foreign_key" and con.columns == (column,) \
                and con.ref_table == target.table and (con.ref_schema or s) == target_schema and con.ref_columns:
            return con.ref_columns[0]
    for (s, tbl, _), con in state.constraints.items():
        if (s, tbl) == (target_schema, target.table) and con.kind == "primary_key" and len(con.columns) == 1:
            return con.columns[0]
    raise ValueError(f"cannot tell which column of {target.table_text} {grants.table_text}.{column} references: "
                     f"declare a foreign key, or give {target.table_text} a one-column primary key")


def enforced_key(state: SchemaState, ref: ObjectRef, columns) -> bool:
    """Whether the database keeps ``columns`` of ``ref`` unique: a primary key, unique constraint or
    unique, non-partial index whose columns all are among them."""
    key = (ref.schema or state.default_schema, ref.table)
    wanted = set(columns)
    for (schema, table, _), con in state.constraints.items():
        if (schema, table) == key and con.kind in ("primary_key", "unique") and con.columns and set(con.columns) <= wanted:
            return True
    for (schema, table, _), index in state.indexes.items():
        if (schema, table) == key and index.unique and not index.partial and index.columns and set(index.columns) <= wanted:
            return True
    return False
