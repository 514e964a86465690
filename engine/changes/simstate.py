"""What changes do to a simulated ``SchemaState``: lookups by name, the constraints a table declares,
and the indexes every engine (or only MySQL) keeps with a key."""

from __future__ import annotations

from dataclasses import replace

from ..inspect.state import Column, Constraint, Index, SchemaState, Table
from ..spec import defaults
from ..spec.model import ObjectRef
from .base import ColumnDef, default_sql


def _key(state: SchemaState, ref: ObjectRef) -> tuple[str, str]:
    return (ref.schema or state.default_schema, ref.table)


def _table(state: SchemaState, ref: ObjectRef) -> Table | None:
    return state.tables.get(_key(state, ref))


def _column(state: SchemaState, ref: ObjectRef, name: str) -> Column | None:
    table = _table(state, ref)
    return table.column(name) if table else None


def _put_columns(state: SchemaState, ref: ObjectRef, columns: tuple[Column, ...]) -> None:
    key = _key(state, ref)
    state.tables[key] = replace(state.tables[key], columns=columns)


def _index(state: SchemaState, ref: ObjectRef | None, name: str) -> Index | None:
    """The index spelled exactly ``name`` (on table ``ref`` when given), through the state's name lookup."""
    found = state.indexes_named(name, ref.schema if ref else None, ref.table if ref else None)
    return found[0] if found else None


def _constraint(state: SchemaState, ref: ObjectRef | None, name: str) -> Constraint | None:
    """The constraint spelled exactly ``name`` on table ``ref``."""
    found = state.constraints_named(name, ref.schema if ref else None, ref.table if ref else None)
    return found[0] if found else None


def pk_name(table: str, dialect: str) -> str:
    """The primary key's name: ``{table}_pkey``, except on MySQL, which names them all PRIMARY."""
    return "PRIMARY" if dialect == "mysql" else f"{table}_pkey"


def _native_column(col: ColumnDef, dialect: str, nullable: bool | None = None) -> Column:
    native = defaults.native_type(col.type, dialect, col.identity)
    return Column(col.name, native, col.nullable if nullable is None else nullable, default_sql(col.default, dialect, native), col.identity)


def identity_sequences(state: SchemaState, ref: ObjectRef, columns, made: bool = True) -> None:
    """Record (``made=False``: forget) the sequences PostgreSQL makes for the identity columns named
    ``columns`` of table ``ref``: ``{table}_{column}_seq`` in its schema, whose namespace they share."""
    if state.dialect != "postgresql":
        return
    schema, table = _key(state, ref)
    for column in columns:
        if made:
            state.other_relations[(schema, f"{table}_{column}_seq")] = "sequence"
        else:
            state.other_relations.pop((schema, f"{table}_{column}_seq"), None)


def referencing(state: SchemaState, ref: ObjectRef) -> list[Constraint]:
    """Foreign keys of other tables that point at table ``ref``."""
    key = _key(state, ref)
    return [c for c in state.constraints.values()
            if c.kind == "foreign_key" and (c.ref_schema or c.schema, c.ref_table) == key and (c.schema, c.table) != key]


def table_constraints(table: ObjectRef, columns: tuple[ColumnDef, ...], primary_key: tuple[str, ...], dialect: str) -> list[Constraint]:
    """The named constraints ``create_table`` declares: primary key, column uniques and foreign keys."""
    schema = table.schema or ""
    out = []
    pk = primary_key or tuple(c.name for c in columns if c.primary_key)
    if pk:
        out.append(Constraint(schema, table.table, pk_name(table.table, dialect), "primary_key", pk))
    for c in columns:
        if c.unique:
            out.append(Constraint(schema, table.table, f"{table.table}_{c.name}_key", "unique", (c.name,)))
        if c.references:
            fk = c.references
            out.append(Constraint(schema, table.table, f"{table.table}_{c.name}_fkey", "foreign_key", (c.name,),
                                  fk.table.schema, fk.table.table, fk.columns, on_delete=fk.on_delete))
    return out


def _add_constraint(state: SchemaState, con: Constraint) -> None:
    schema = con.schema or state.default_schema
    con = replace(con, schema=schema, ref_schema=(con.ref_schema or schema) if con.ref_table else None)
    state.put("constraints", (schema, con.table, con.name), con)
    if con.kind in ("primary_key", "unique"):  # every engine backs these with an index
        state.put("indexes", (schema, con.table, con.name), Index(schema, con.table, con.name, con.columns, True, con.kind == "primary_key"))
    elif con.kind == "foreign_key" and state.dialect == "mysql" and not any(
            k[:2] == (schema, con.table) and ix.columns[: len(con.columns)] == con.columns for k, ix in state.indexes.items()):
        # MySQL indexes a foreign key's columns itself, naming the index after the key, when no index leads with them
        state.put("indexes", (schema, con.table, con.name), Index(schema, con.table, con.name, con.columns, False))


def serving_fk(state: SchemaState, index: Index) -> Constraint | None:
    """A MySQL foreign key that only ``index`` serves, on its own table or on the table it
    references (no other index there leads with the key's columns): the index cannot go first."""
    if state.dialect != "mysql":
        return None
    where = (index.schema, index.table)
    for con in state.constraints.values():
        if con.kind != "foreign_key":
            continue
        for table, columns in (((con.schema, con.table), con.columns), ((con.ref_schema or con.schema, con.ref_table), con.ref_columns)):
            if table != where or not columns:
                continue
            serves = [ix for k, ix in state.indexes.items() if k[:2] == table and ix.columns[: len(columns)] == columns]
            if len(serves) == 1 and serves[0].name == index.name:
                return con
    return None


def fk_index(state: SchemaState, con: Constraint) -> Index | None:
    """The index MySQL made for foreign key ``con`` (named after it, on exactly its columns, not
    unique) when no other foreign key of the table leads with its columns; None elsewhere.

    DROP FOREIGN KEY leaves it behind, so dropping the key drops it too, and only then.
    """
    if state.dialect != "mysql" or con.kind != "foreign_key":
        return None
    index = state.indexes.get((con.schema, con.table, con.name))
    if index is None or index.unique or index.primary or index.columns != con.columns:
        return None
    needed = any(other.kind == "foreign_key" and other.name != con.name and (other.schema, other.table) == (con.schema, con.table)
                 and index.columns[: len(other.columns)] == other.columns for other in state.constraints.values())
    return None if needed else index


def _varchar_length(canonical: str) -> int:
    return int(canonical[canonical.index("(") + 1 : -1]) if "(" in canonical else 1 << 30


def _remove_constraint(state: SchemaState, con: Constraint) -> None:
    """Remove ``con`` and what goes with it: the index backing a key, or MySQL's foreign-key index."""
    key = (con.schema, con.table, con.name)
    index = fk_index(state, con) if con.kind == "foreign_key" else state.indexes.get(key) if con.kind in ("primary_key", "unique") else None
    del state.constraints[key]
    if index is not None:
        del state.indexes[(index.schema, index.table, index.name)]


def _in_dialect(expression: str | None, source: str, target: str) -> str | None:
    """A declared SQL expression as the target's catalog would hold it (for a SQLite rebuild)."""
    from sqlglot import exp

    from ..spec.types import SQLGLOT_DIALECT

    return exp.condition(expression, dialect=source).sql(dialect=SQLGLOT_DIALECT[target]) if expression else None
