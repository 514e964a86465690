"""The actions of ``ALTER TABLE`` on the offline state: columns added, dropped, changed and
renamed, constraints and indexes added and dropped, the table renamed.

What the server does besides is done too: dropping a column drops the indexes and constraints
on it, a rename is followed by the indexes and constraints that name the column, a MySQL
``DROP FOREIGN KEY`` leaves the key's index behind.
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from . import sqlite_tables, tables
from .spelling import catalog_default, catalog_type
from .statements import Statement
from .tables import add_declared, add_index, table_constraint


def column_def(stmt: Statement, builder, key, cdef: exp.ColumnDef):
    """A column definition of ADD COLUMN / MODIFY COLUMN, with its inline keys, references and checks."""
    declared: list = []
    if builder.flavor == "sqlite":
        return sqlite_tables.added_column(stmt, cdef), declared
    return tables.column(stmt, cdef, key, builder.names, declared), declared


def apply(builder, stmt: Statement, key: tuple[str, str], action: exp.Expression) -> tuple[str, str]:
    """Apply one action to table ``key``; returns the table's key afterwards."""
    state = builder.state
    if isinstance(action, exp.ColumnDef):
        column, declared = column_def(stmt, builder, key, action)
        table = state.tables[key]
        if table.column(column.name) is not None:
            if action.args.get("exists"):
                return key
            raise stmt.error(f"column {key[1]}.{column.name} exists already")
        state.tables[key] = replace(table, columns=table.columns + (column,))
        for d in declared:
            add_declared(stmt, state, key, d, builder.flavor)
    elif isinstance(action, exp.AddConstraint):
        for item in action.expressions:
            _add_constraint(builder, stmt, key, item)
    elif isinstance(action, exp.Drop):
        _drop(builder, stmt, key, action)
    elif isinstance(action, exp.DropPrimaryKey):
        for k in [k for k, c in state.constraints.items() if k[:2] == key and c.kind == "primary_key"]:
            del state.constraints[k]
            state.indexes.pop(k, None)
    elif isinstance(action, exp.AlterColumn):
        _alter_column(builder, stmt, key, action)
    elif isinstance(action, exp.ModifyColumn):
        _modify(builder, stmt, key, action)
    elif isinstance(action, exp.RenameColumn):
        rename_column(builder, stmt, key, builder.names.ident(action.this), builder.names.ident(action.args["to"]))
    elif isinstance(action, exp.AlterRename):
        return rename_table(state, key, builder.names.table(action.this))
    else:
        raise stmt.error(f"cannot map the action {action.sql()[:80]!r} onto the table")
    return key


def _add_constraint(builder, stmt: Statement, key, item: exp.Expression) -> None:
    if isinstance(item, exp.IndexColumnConstraint):  # MySQL: ADD INDEX name (columns)
        name = builder.names.ident(item.this) if item.this is not None else None
        add_index(builder.state, key, name, builder.names.columns(item.expressions), False, builder.flavor)
        return
    add_declared(stmt, builder.state, key, table_constraint(stmt, item, builder.names), builder.flavor)


def _drop(builder, stmt: Statement, key, action: exp.Drop) -> None:
    state, kind = builder.state, (action.args.get("kind") or "").upper()
    for node in action.args.get("tables") or []:
        name = builder.names.ident(node.this if isinstance(node, (exp.Table, exp.Column)) else node)
        if kind == "COLUMN":
            drop_column(stmt, state, key, name, bool(action.args.get("exists")))
        elif kind in ("CONSTRAINT", "FOREIGN KEY", "CHECK"):
            con = state.constraints.pop((*key, name), None)
            if con is None and not action.args.get("exists"):
                raise stmt.error(f"constraint {name} does not exist on {key[1]}")
            if con is not None and con.kind in ("primary_key", "unique"):
                state.indexes.pop((*key, name), None)
        elif kind in ("INDEX", "KEY"):
            state.indexes.pop((*key, name), None)
            state.constraints.pop((*key, name), None)  # MySQL: a unique key is its index
        else:
            raise stmt.error(f"cannot map DROP {kind} onto the table")


def drop_column(stmt: Statement, state, key, name: str, if_exists: bool = False) -> None:
    """Drop a column and every index and constraint on it."""
    table = state.tables[key]
    if table.column(name) is None:
        if if_exists:
            return
        raise stmt.error(f"column {key[1]}.{name} does not exist")
    state.tables[key] = replace(table, columns=tuple(c for c in table.columns if c.name != name))
    for bucket in ("indexes", "constraints"):
        objects = getattr(state, bucket)
        for k in [k for k, o in objects.items() if k[:2] == key and name in o.columns]:
            del objects[k]


def _alter_column(builder, stmt: Statement, key, action: exp.AlterColumn) -> None:
    name = builder.names.ident(action.this)
    column = builder.state.tables[key].column(name)
    if column is None:
        raise stmt.error(f"column {key[1]}.{name} does not exist")
    args = action.args
    if args.get("dtype") is not None:
        changes = {"type": catalog_type(args["dtype"], builder.flavor)} if builder.flavor != "sqlite" else {"type": args["dtype"].sql("sqlite")}
    elif args.get("default") is not None:
        changes = {"default": catalog_default(args["default"], _dtype(column.type, builder.flavor), builder.flavor,
                                              args["default"].sql("sqlite"))}
    elif args.get("allow_null") is not None:
        changes = {"nullable": bool(args.get("drop"))}
    elif args.get("drop"):
        changes = {"default": None}
    else:
        raise stmt.error(f"cannot map {action.sql()[:80]!r}")
    builder._replace_column(stmt, key, name, **changes)


def _dtype(text: str, flavor: str):
    try:
        return exp.DataType.build(text, dialect="postgres" if flavor == "postgresql" else "mysql")
    except Exception:  # noqa: BLE001 - a type sqlglot does not know: spelled without its help
        return None


def _modify(builder, stmt: Statement, key, action: exp.ModifyColumn) -> None:
    """MySQL's MODIFY COLUMN / CHANGE COLUMN: the column is declared again (and renamed by CHANGE)."""
    old = builder.names.ident(action.args["rename_from"]) if action.args.get("rename_from") else builder.names.ident(action.this.this)
    table = builder.state.tables[key]
    if table.column(old) is None:
        raise stmt.error(f"column {key[1]}.{old} does not exist")
    column, declared = column_def(stmt, builder, key, action.this)
    if column.name != old:
        rename_column(builder, stmt, key, old, column.name)
        table = builder.state.tables[key]
    builder.state.tables[key] = replace(table, columns=tuple(column if c.name == column.name else c for c in table.columns))
    for d in declared:
        add_declared(stmt, builder.state, key, d, builder.flavor)


def rename_column(builder, stmt: Statement, key, old: str, new: str) -> None:
    """Rename a column, in the table and in the indexes and constraints (of any table) that name it."""
    state = builder.state
    table = state.tables[key]
    if table.column(old) is None:
        raise stmt.error(f"column {key[1]}.{old} does not exist")
    state.tables[key] = replace(table, columns=tuple(replace(c, name=new) if c.name == old else c for c in table.columns))

    def renamed(columns):
        return tuple(new if c == old else c for c in columns)

    for k, ix in list(state.indexes.items()):
        if k[:2] == key:
            state.indexes[k] = replace(ix, columns=renamed(ix.columns))
    for k, con in list(state.constraints.items()):
        own = renamed(con.columns) if k[:2] == key else con.columns
        refs = renamed(con.ref_columns) if (con.ref_schema or con.schema, con.ref_table) == key else con.ref_columns
        state.constraints[k] = replace(con, columns=own, ref_columns=refs)


def rename_table(state, key, new: tuple[str, str]) -> tuple[str, str]:
    """Rename a table; its indexes and constraints keep their names, foreign keys follow it."""
    new = (key[0] if not new[0] else new[0], new[1])
    state.tables[new] = replace(state.tables.pop(key), schema=new[0], name=new[1])
    for bucket in ("indexes", "constraints"):
        objects = getattr(state, bucket)
        for k in [k for k in objects if k[:2] == key]:
            objects[(*new, k[2])] = replace(objects.pop(k), schema=new[0], table=new[1])
    for k, con in list(state.constraints.items()):
        if con.kind == "foreign_key" and (con.ref_schema or con.schema, con.ref_table) == key:
            state.constraints[k] = replace(con, ref_schema=new[0], ref_table=new[1])
    state._names = None  # the name lookup is rebuilt on next use
    return new
