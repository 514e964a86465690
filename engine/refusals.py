"""What the server would refuse, told from the catalog before anything runs.

A plan is a promise that the server accepts every statement it shows. The
simulated state (the live catalog plus the effect of every earlier change)
says most of what a server checks when it runs DDL: that the columns an index,
a constraint or a foreign key names exist, that a foreign key points at a key
of a compatible type, that a view or a partitioned table can take the change,
that nothing still depends on what a drop removes. Each rule here reads that
state and returns why the server would refuse, or None; the planner turns an
answer into a spec error at the operation's line, so nothing runs.

Rules are registered per change type (one registry, as the renderers have);
each is a small function of ``(change, state)``.
"""

from __future__ import annotations

from typing import Callable, Iterable

from sqlglot import exp

from . import types
from .changes import (AddColumn, AddConstraint, AlterColumn, Change, CreateIndex, CreateTable, DropColumn,
                      DropConstraint, DropIndex, DropTable, RenameColumn, referencing, table_constraints)
from .inspect.state import Column, Constraint, SchemaState, Table
from .model import ObjectRef

Rule = Callable[[Change, SchemaState], "str | None"]
_RULES: dict[type, list[Rule]] = {}


def rule(*kinds: type) -> Callable[[Rule], Rule]:
    """Register a rule for the change types ``kinds``."""
    def register(fn: Rule) -> Rule:
        for kind in kinds:
            _RULES.setdefault(kind, []).append(fn)
        return fn
    return register


def refusal(change: Change, state: SchemaState) -> str | None:
    """Why ``change`` cannot run on ``state`` (what is missing, or what the server refuses), or None."""
    missing = change.missing(state)
    if missing:
        return missing
    for check in _RULES.get(type(change), ()):
        why = check(change, state)
        if why:
            return why
    return None


# -- reading the state ----------------------------------------------------------------------

def _key(state: SchemaState, ref: ObjectRef) -> tuple[str, str]:
    return (ref.schema or state.default_schema, ref.table)


def _table(state: SchemaState, ref: ObjectRef) -> Table | None:
    return state.tables.get(_key(state, ref))


def _mariadb(state: SchemaState) -> bool:
    return "mariadb" in state.server_version.lower()


def _absent(table: Table, names: Iterable[str]) -> list[str]:
    return [n for n in names if table.column(n) is None]


def _expression_columns(text: str | None, dialect: str) -> list[str]:
    """The column names a declared SQL expression (a check, an index predicate) reads."""
    if not text:
        return []
    tree = exp.condition(text, dialect=dialect)
    return list(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))


def _unknown_in_expression(table: Table, text: str | None, dialect: str) -> list[str]:
    """Columns an expression names that the table lacks (unquoted names match case-insensitively)."""
    have = {c.name.lower() for c in table.columns}
    return [n for n in _expression_columns(text, dialect) if table.column(n) is None and n.lower() not in have]


def _names(columns: Iterable[str]) -> str:
    return ", ".join(columns)


# -- what a table of each kind can take ---------------------------------------------------------

@rule(AddColumn, AlterColumn, RenameColumn, CreateIndex, AddConstraint, DropColumn, DropIndex, DropConstraint, DropTable)
def _only_tables(change: Change, state: SchemaState) -> str | None:
    """recon changes tables; a view (or materialized view) takes none of its operations."""
    ref = getattr(change, "table", None)
    table = _table(state, ref) if ref is not None else None
    if table is not None and table.kind == "view":
        return f"{ref} is a view, not a table: recon's operations change tables (use a sql operation for views)"
    return None


@rule(CreateIndex, AddConstraint)
def _foreign_table(change: Change, state: SchemaState) -> str | None:
    table = _table(state, change.table)
    if table is not None and table.kind == "foreign" and not (isinstance(change, AddConstraint) and change.kind == "check"):
        return f"{change.table} is a foreign table: it takes no index, key or foreign key"
    return None


@rule(CreateIndex)
def _concurrently_partitioned(change: CreateIndex, state: SchemaState) -> str | None:
    table = _table(state, change.table)
    if change.concurrently and table is not None and table.kind == "partitioned" and state.dialect == "postgresql":
        return f"{change.table} is a partitioned table: PostgreSQL cannot build an index on it concurrently (drop concurrently: true)"
    return None


def _partition_cover(state: SchemaState, ref: ObjectRef, columns: tuple[str, ...]) -> str | None:
    """A unique key of a partitioned table must hold every partitioning column."""
    table = _table(state, ref)
    if table is None or table.kind != "partitioned" or not table.partition_key:
        return None
    lacking = [c for c in table.partition_key if c not in columns]
    if lacking:
        return f"{ref} is partitioned by ({_names(table.partition_key)}): a unique key on it must include {_names(lacking)}"
    return None


# -- the columns an operation names ------------------------------------------------------------

@rule(CreateIndex)
def _index_columns(change: CreateIndex, state: SchemaState) -> str | None:
    table = _table(state, change.table)
    if table is None:
        return None
    lacking = _absent(table, change.columns)
    if lacking:
        return f"column {change.table}.{lacking[0]} does not exist (index {change.name} names it)"
    unknown = _unknown_in_expression(table, change.where, change.dialect)
    if unknown:
        return f"column {change.table}.{unknown[0]} does not exist (the where of index {change.name} reads it)"
    if change.unique:
        return _partition_cover(state, change.table, change.columns) or _indexable(state, table, change.columns, change.name)
    return _indexable(state, table, change.columns, change.name, unique=False)


@rule(AddConstraint)
def _constraint_columns(change: AddConstraint, state: SchemaState) -> str | None:
    table = _table(state, change.table)
    if table is None:
        return None
    lacking = _absent(table, change.columns)
    if lacking:
        return f"column {change.table}.{lacking[0]} does not exist (constraint {change.name} names it)"
    if change.kind == "check":
        unknown = _unknown_in_expression(table, change.check, change.dialect)
        return f"column {change.table}.{unknown[0]} does not exist (check {change.name} reads it)" if unknown else None
    if change.kind == "unique":
        return _partition_cover(state, change.table, change.columns) or _indexable(state, table, change.columns, change.name)
    return _foreign_key(state, change.table, table, change.name, change.columns, change.references)


@rule(CreateTable)
def _create_table_keys(change: CreateTable, state: SchemaState) -> str | None:
    declared = {c.name for c in change.columns}
    lacking = [c for c in change.primary_key if c not in declared]
    if lacking:
        return f"primary key column {lacking[0]} is not one of the table's columns"
    own = Table(change.table.schema or state.default_schema, change.table.table,
                tuple(Column(c.name, types.native(c.type, state.dialect), c.nullable) for c in change.columns))
    keys = table_constraints(change.table, change.columns, change.primary_key, state.dialect)
    for con in keys:
        if con.kind in ("primary_key", "unique"):
            why = _indexable(state, own, con.columns, con.name)
        else:
            why = _foreign_key(state, change.table, own, con.name, con.columns, change_fk(change, con), keys)
        if why:
            return why
    return None


def change_fk(change: CreateTable, con: Constraint):
    """The declared ForeignKey of the column a create_table foreign key constraint is for."""
    return next(c.references for c in change.columns if c.name == con.columns[0] and c.references)


# -- keys and foreign keys --------------------------------------------------------------------

_UNINDEXABLE = {"postgresql": ("json", "xml"), "mysql": ("json",)}


def _indexable(state: SchemaState, table: Table, columns: tuple[str, ...], name: str, unique: bool = True) -> str | None:
    """Types an index cannot take: PostgreSQL's json and xml (no btree operator class); on MySQL 8
    JSON at all, and TEXT/BLOB in a key without a prefix length (MariaDB hashes long unique keys)."""
    for col in (table.column(c) for c in columns):
        text = col.type.strip().lower()
        if text in _UNINDEXABLE.get(state.dialect, ()) and not (state.dialect == "mysql" and _mariadb(state)):
            return f"{name}: column {table.name}.{col.name} is {col.type}, which {_server(state)} cannot index"
        blob = types.family(text) in ("text", "binary") and ("text" in text or "blob" in text)
        if state.dialect == "mysql" and unique and blob and not _mariadb(state):
            return f"{name}: column {table.name}.{col.name} is {col.type}; MySQL cannot make a key of it without a prefix length"
    return None


def _server(state: SchemaState) -> str:
    return {"postgresql": "PostgreSQL", "mysql": "MariaDB" if _mariadb(state) else "MySQL"}.get(state.dialect, state.dialect)


def _foreign_key(state: SchemaState, ref: ObjectRef, table: Table, name: str, columns: tuple[str, ...], fk,
                 own_keys: list[Constraint] = ()) -> str | None:
    """A foreign key's referenced side: its columns exist, are as many, form a key, have compatible types."""
    self_ref = _key(state, fk.table) == _key(state, ref)
    target = table if self_ref else _table(state, fk.table)
    if target is None:
        return None  # missing() already said the table does not exist
    if target.kind == "partitioned" and state.dialect == "mysql" or table.kind == "partitioned" and state.dialect == "mysql":
        return f"foreign key {name}: MySQL has no foreign keys on partitioned tables"
    lacking = _absent(target, fk.columns)
    if lacking:
        return f"foreign key {name}: referenced column {fk.table}.{lacking[0]} does not exist"
    if len(fk.columns) != len(columns):
        return f"foreign key {name}: {len(columns)} column(s) reference {len(fk.columns)} column(s) of {fk.table}"
    if not _is_key(state, target, fk.columns, own_keys if self_ref else ()):
        return f"foreign key {name}: {fk.table} ({_names(fk.columns)}) is not a primary key or unique key, which {_need(state)}"
    for mine, theirs in zip(columns, fk.columns):
        why = _compatible(state, table.column(mine), target.column(theirs))
        if why:
            return f"foreign key {name}: {table.name}.{mine} ({table.column(mine).type}) cannot reference {fk.table}.{theirs} ({target.column(theirs).type}): {why}"
    return None


def _need(state: SchemaState) -> str:
    if state.dialect == "mysql":
        return "MySQL needs as an index that starts with those columns"
    return "the referenced columns must be" if state.dialect == "postgresql" else "SQLite needs (writes fail with 'foreign key mismatch')"


def _is_key(state: SchemaState, table: Table, columns: tuple[str, ...], extra: Iterable[Constraint] = ()) -> bool:
    """Whether ``columns`` of ``table`` are what the dialect lets a foreign key reference."""
    where = (table.schema, table.name)
    cons = [c for k, c in state.constraints.items() if k[:2] == where] + list(extra)
    if any(c.kind in ("primary_key", "unique") and set(c.columns) == set(columns) for c in cons):
        return True
    indexes = [ix for k, ix in state.indexes.items() if k[:2] == where]
    if state.dialect == "mysql":  # InnoDB: any index leading with the columns, in order
        return any(ix.columns[: len(columns)] == columns for ix in indexes)
    return any(ix.unique and not ix.partial and set(ix.columns) == set(columns) for ix in indexes)


def _compatible(state: SchemaState, mine: Column, theirs: Column) -> str | None:
    """Whether a foreign key column may reference a column of the other's type on this dialect."""
    if state.dialect == "sqlite":
        return None  # SQLite compares values, not declared types
    a, b = types.family(mine.type), types.family(theirs.type)
    if a != b:
        return "the types are of different families"
    if state.dialect == "mysql" and a != "text" and _bare(mine.type) != _bare(theirs.type):
        return "MySQL needs the same type (and sign) on both sides"
    return None


def _bare(type_text: str) -> str:
    """A MySQL type without its integer display width: ``int(11) unsigned`` -> ``int unsigned``."""
    import re

    return re.sub(r"^(\w+)\(\d+\)(?=( unsigned)?$)", r"\1", type_text.strip().lower())


# -- what a drop or an alter would leave dangling --------------------------------------------------

@rule(DropTable)
def _drop_referenced_table(change: DropTable, state: SchemaState) -> str | None:
    if change.cascade or _table(state, change.table) is None:
        return None
    refs = referencing(state, change.table)
    if refs:
        fk = refs[0]
        return (f"{change.table} is referenced by foreign key {fk.name} of {fk.table}: drop that key first "
                "(or declare cascade: true)")
    return None


@rule(DropColumn)
def _drop_referenced_column(change: DropColumn, state: SchemaState) -> str | None:
    table = _table(state, change.table)
    if table is None or table.column(change.name) is None:
        return None
    for fk in referencing(state, change.table):
        if change.name in fk.ref_columns:
            return f"{change.table}.{change.name} is referenced by foreign key {fk.name} of {fk.table}: drop that key first"
    own = [c for k, c in state.constraints.items() if k[:2] == (table.schema, table.name)
           and c.kind == "foreign_key" and change.name in c.columns]
    if own and state.dialect == "mysql":
        return f"{change.table}.{change.name} is a column of foreign key {own[0].name}: MySQL needs that key dropped first"
    if len(table.columns) == 1 and state.dialect != "postgresql":
        return f"{change.name} is the last column of {change.table}: drop the table instead"
    return None


@rule(DropIndex)
def _drop_constraint_index(change: DropIndex, state: SchemaState) -> str | None:
    if state.dialect == "mysql":
        return None  # there a unique key is its index: dropping one drops the other
    for index in state.indexes_named(change.name, change.table.schema if change.table else None,
                                     change.table.table if change.table else None):
        con = state.constraints.get((index.schema, index.table, index.name))
        if con is not None and con.kind in ("primary_key", "unique"):
            return f"index {change.name} backs constraint {con.name} of {index.table}: drop it with drop_constraint"
    return None


@rule(DropConstraint)
def _drop_referenced_key(change: DropConstraint, state: SchemaState) -> str | None:
    con = next(iter(state.constraints_named(change.name, change.table.schema, change.table.table)), None)
    if con is None or con.kind not in ("primary_key", "unique") or state.dialect == "mysql":
        return None  # MySQL: serving_fk (in missing) already says when a key is the only index a foreign key has
    for fk in referencing(state, change.table) + _self_references(state, con):
        if set(fk.ref_columns) == set(con.columns):
            return f"{con.name} is the key foreign key {fk.name} of {fk.table} references: drop that key first"
    return None


def _self_references(state: SchemaState, con: Constraint) -> list[Constraint]:
    return [c for k, c in state.constraints.items() if k[:2] == (con.schema, con.table) and c.kind == "foreign_key"
            and (c.ref_schema or c.schema, c.ref_table) == (con.schema, con.table)]


@rule(AlterColumn)
def _alter_generated(change: AlterColumn, state: SchemaState) -> str | None:
    table = _table(state, change.table)
    col = table.column(change.name) if table else None
    if col is None or not (col.generated or col.computed):
        return None
    needs = change.needs(state)
    what = "generated by the database" if col.computed else "an identity (auto-increment) column"
    if needs["default"]:
        return f"{change.table}.{change.name} is {what}: it takes no default"
    if needs["nullable"] and change.nullable and state.dialect == "postgresql" and col.generated:
        return f"{change.table}.{change.name} is {what}: PostgreSQL keeps it NOT NULL"
    return None


@rule(AlterColumn)
def _alter_key_type(change: AlterColumn, state: SchemaState) -> str | None:
    if change.type is None or not change.needs(state)["type"]:
        return None
    table = _table(state, change.table)
    for fk in _keys_on(state, table, change.name):
        if state.dialect == "mysql":
            return f"{change.table}.{change.name} is in foreign key {fk.name}: MySQL cannot change its type (drop the key first)"
        other = _other_side(state, fk, table, change.name)
        new = Column(change.name, types.native(change.type, state.dialect), True)
        why = other is not None and _compatible(state, new, other)
        if why:
            return f"{change.table}.{change.name} is in foreign key {fk.name}, and {change.type} {why.replace('the types are', 'is')} from {other.name} ({other.type})"
    return None


def _keys_on(state: SchemaState, table: Table | None, column: str) -> list[Constraint]:
    """Foreign keys that have ``column`` of ``table`` on either side."""
    if table is None:
        return []
    where = (table.schema, table.name)
    return [c for c in state.constraints.values() if c.kind == "foreign_key" and (
        ((c.schema, c.table) == where and column in c.columns)
        or ((c.ref_schema or c.schema, c.ref_table) == where and column in c.ref_columns))]


def _other_side(state: SchemaState, fk: Constraint, table: Table, column: str) -> Column | None:
    """The column at the other end of foreign key ``fk`` from ``table.column``."""
    if (fk.schema, fk.table) == (table.schema, table.name) and column in fk.columns:
        other = state.tables.get((fk.ref_schema or fk.schema, fk.ref_table))
        return other.column(fk.ref_columns[fk.columns.index(column)]) if other else None
    other = state.tables.get((fk.schema, fk.table))
    return other.column(fk.columns[fk.ref_columns.index(column)]) if other else None


# -- views that read what a change removes ---------------------------------------------------------

def _views_reading(state: SchemaState, ref: ObjectRef, column: str | None = None) -> list[str]:
    """Views that read table ``ref`` (as a whole when ``column`` is None, else that column)."""
    reads = state.view_reads.get(_key(state, ref), ())
    return list(dict.fromkeys(view for view, col in reads if column is None or col == column))


@rule(DropColumn)
def _drop_column_a_view_reads(change: DropColumn, state: SchemaState) -> str | None:
    if state.dialect == "mysql":
        return None  # MySQL drops it and leaves the view invalid, to fail when read
    readers = _views_reading(state, change.table, change.name)
    if readers:
        return f"{change.table}.{change.name} is read by view {readers[0]}: change or drop the view first (a sql operation)"
    return None


@rule(DropTable)
def _drop_table_a_view_reads(change: DropTable, state: SchemaState) -> str | None:
    readers = _views_reading(state, change.table) if state.dialect == "postgresql" and not change.cascade else []
    if readers:
        return f"{change.table} is read by view {readers[0]}: drop the view first (or declare cascade: true, which drops it too)"
    return None


@rule(AlterColumn)
def _alter_type_a_view_reads(change: AlterColumn, state: SchemaState) -> str | None:
    if state.dialect != "postgresql" or change.type is None or not change.needs(state)["type"]:
        return None
    readers = _views_reading(state, change.table, change.name)
    if readers:
        return f"{change.table}.{change.name} is read by view {readers[0]}: PostgreSQL cannot change the type of a column a view reads"
    return None
