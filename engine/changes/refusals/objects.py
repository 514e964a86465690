"""What a table of each kind can take, and the columns, keys and foreign keys an operation names."""

from __future__ import annotations

from ...inspect.state import Column, Constraint, SchemaState, Table
from ...spec import types
from ...spec.model import ObjectRef
from ..base import Change
from ..columns import AddColumn, AlterColumn, DropColumn, RenameColumn
from ..constraints import AddConstraint, DropConstraint
from ..indexes import CreateIndex, DropIndex
from ..simstate import table_constraints
from ..tables import CreateTable, DropTable
from . import expressions
from .keys import foreign_key, indexable
from .registry import absent, names, rule, table_of, unknown_in_expression

# -- what a table of each kind can take ---------------------------------------------------------

@rule(AddColumn, AlterColumn, RenameColumn, CreateIndex, AddConstraint, DropColumn, DropIndex, DropConstraint, DropTable)
def _only_tables(change: Change, state: SchemaState) -> str | None:
    """recon changes tables; a view (or materialized view) takes none of its operations."""
    ref = getattr(change, "table", None)
    table = table_of(state, ref) if ref is not None else None
    if table is not None and table.kind == "view":
        return f"{ref} is a view, not a table: recon's operations change tables (use a sql operation for views)"
    if table is not None and table.kind == "virtual" and not isinstance(change, DropTable):
        return f"{ref} is a SQLite virtual table (a module's, such as fts5): it takes no index, column or constraint"
    return None


@rule(CreateIndex, AddConstraint)
def _foreign_table(change: Change, state: SchemaState) -> str | None:
    table = table_of(state, change.table)
    if table is not None and table.kind == "foreign" and not (isinstance(change, AddConstraint) and change.kind == "check"):
        return f"{change.table} is a foreign table: it takes no index, key or foreign key"
    return None


@rule(CreateIndex)
def _concurrently_partitioned(change: CreateIndex, state: SchemaState) -> str | None:
    table = table_of(state, change.table)
    if change.concurrently and table is not None and table.kind == "partitioned" and state.dialect == "postgresql":
        return f"{change.table} is a partitioned table: PostgreSQL cannot build an index on it concurrently (drop concurrently: true)"
    return None


def _partition_cover(state: SchemaState, ref: ObjectRef, columns: tuple[str, ...]) -> str | None:
    """A unique key of a partitioned table must hold every partitioning column."""
    table = table_of(state, ref)
    if table is None or table.kind != "partitioned" or not table.partition_key:
        return None
    lacking = [c for c in table.partition_key if c not in columns]
    if lacking:
        return f"{ref} is partitioned by ({names(table.partition_key)}): a unique key on it must include {names(lacking)}"
    return None


# -- the columns an operation names ------------------------------------------------------------

@rule(CreateIndex)
def _index_columns(change: CreateIndex, state: SchemaState) -> str | None:
    table = table_of(state, change.table)
    if table is None:
        return None
    lacking = absent(table, change.columns)
    if lacking:
        return f"column {change.table}.{lacking[0]} does not exist (index {change.name} names it)"
    why = expressions.refusal(change.where, change.dialect, state.dialect, "where", change.name)
    if why:
        return why
    unknown = unknown_in_expression(table, change.where, change.dialect)
    if unknown:
        return f"column {change.table}.{unknown[0]} does not exist (the where of index {change.name} reads it)"
    cover = _partition_cover(state, change.table, change.columns) if change.unique else None
    return cover or indexable(state, table, change.columns, change.name, unique=False)  # MySQL: TEXT gets a prefix


@rule(AddConstraint)
def _constraint_columns(change: AddConstraint, state: SchemaState) -> str | None:
    table = table_of(state, change.table)
    if table is None:
        return None
    lacking = absent(table, change.columns)
    if lacking:
        return f"column {change.table}.{lacking[0]} does not exist (constraint {change.name} names it)"
    if change.kind == "check":
        why = expressions.refusal(change.check, change.dialect, state.dialect, "check", change.name)
        if why:
            return why
        unknown = unknown_in_expression(table, change.check, change.dialect)
        return f"column {change.table}.{unknown[0]} does not exist (check {change.name} reads it)" if unknown else None
    if change.kind == "unique":
        return _partition_cover(state, change.table, change.columns) or indexable(state, table, change.columns, change.name)
    return foreign_key(state, change.table, table, change.name, change.columns, change.references)


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
            why = indexable(state, own, con.columns, con.name)
        else:
            why = foreign_key(state, change.table, own, con.name, con.columns, change_fk(change, con), keys)
        if why:
            return why
    return None


def change_fk(change: CreateTable, con: Constraint):
    """The declared ForeignKey of the column a create_table foreign key constraint is for."""
    return next(c.references for c in change.columns if c.name == con.columns[0] and c.references)


@rule(CreateTable)
def _create_over_a_view(change: CreateTable, state: SchemaState) -> str | None:
    """A view of that name is not "already present": the table would never be made."""
    found = table_of(state, change.table)
    return f"{change.table} is a view: a table of that name cannot be created next to it" if found and found.kind == "view" else None


@rule(AddConstraint)
def _constraint_of_another_kind(change: AddConstraint, state: SchemaState) -> str | None:
    """A constraint of that name but another kind is not "already present": the server refuses the name."""
    found = next(iter(state.constraints_named(change.name, change.table.schema, change.table.table)), None)
    if found is not None and found.kind != change.kind:
        return f"{change.table} already has a {found.kind.replace('_', ' ')} constraint named {change.name}"
    return None

