"""SQLite table rebuilds: what a rebuilt table could not keep, and what SQLite would refuse in it.

SQLite has no ALTER COLUMN and cannot add or drop a constraint, so those changes rebuild the
table (``engine/render/sqlite_rebuild.py``): it is created again under a temporary name from
its ``CREATE TABLE`` text as :mod:`engine.inspect.sqlite_layout` reads it, with the one change
made. What that reading cannot represent (an ``ON CONFLICT`` clause, a virtual table) would be
lost, so the plan refuses the rebuild and names it. The other rules here are what SQLite
refuses in the table a change leaves, told from the same text: a type a ``STRICT`` table does
not take, ``AUTOINCREMENT`` on a column that stops being an ``INTEGER`` key, a ``WITHOUT ROWID``
table without its primary key (a dropped column a generated column reads: ``drops``).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError

from ...inspect.sqlite_layout import TableLayout, layout
from ...inspect.state import SchemaState, Table
from ...spec import defaults, types
from ..base import UNSET, Change
from ..columns import AddColumn, AlterColumn, DropColumn
from ..constraints import AddConstraint, DropConstraint
from .registry import key_of, rule, table_of

STRICT_TYPES = ("INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY")


def rebuilds(change: Change, state: SchemaState) -> bool:
    """Whether SQLite makes ``change`` by rebuilding its table (ALTER TABLE has no form for it)."""
    if state.dialect != "sqlite":
        return False
    if isinstance(change, (AlterColumn, AddConstraint, DropConstraint)):
        return True
    if isinstance(change, AddColumn):
        # ADD COLUMN takes neither a key nor a non-constant default (CURRENT_TIMESTAMP)
        col = change.column
        return col.primary_key or (not col.nullable and col.default in (UNSET, None)) or isinstance(col.default, defaults.Expr)
    if isinstance(change, DropColumn):  # DROP COLUMN refuses a column an index or a constraint uses
        key = key_of(state, change.table)
        return any(k[:2] == key and change.name in o.columns for bucket in (state.indexes, state.constraints) for k, o in bucket.items())
    return False


def table_layout(state: SchemaState, change: Change) -> tuple[Table | None, TableLayout | None]:
    """The table ``change`` is on and its layout (None where recon made it in this plan: no text yet)."""
    table = table_of(state, change.table)
    if table is None or table.kind != "table" or not table.definition:
        return table, None
    return table, layout(table.definition)


def purpose(change: Change) -> str:
    """What the rebuild is for, in words: ``change note``, ``drop constraint items_name_key``."""
    if isinstance(change, AlterColumn):
        return f"change {change.name}"
    if isinstance(change, AddColumn):
        return f"add column {change.column.name}"
    if isinstance(change, DropColumn):
        return f"drop column {change.name}"
    return f"{'add' if isinstance(change, AddConstraint) else 'drop'} constraint {change.name}"


@rule(AlterColumn, AddColumn, DropColumn, AddConstraint, DropConstraint)
def _rebuild_would_lose(change: Change, state: SchemaState) -> str | None:
    """A rebuild writes the table again from its text: what it cannot write again would be lost."""
    table, laid = table_layout(state, change)
    if laid is None or not rebuilds(change, state):
        return None
    lost = [*laid.unkept, *unparsed(laid, table)] if laid.readable(table) else ["its CREATE TABLE text, which recon could not read"]
    if lost:
        return (f"SQLite rebuilds {change.table} to {purpose(change)}, and the rebuild would lose {', '.join(lost)}: "
                "change it with a sql operation")
    return None


def unparsed(laid: TableLayout, table: Table) -> list[str]:
    """The expressions a rebuild would write again that sqlglot cannot read (it writes them as trees)."""
    out = []
    for col in table.columns:
        declared = laid.of(col)
        for clause in declared.clauses if declared else ():
            if clause.kind in ("check", "generated") and not _parses(clause.text):
                out.append(f"{'CHECK' if clause.kind == 'check' else 'AS'} ({clause.text}) on {col.name}")
        if col.default is not None and not _parses(col.default):
            out.append(f"DEFAULT {col.default} on {col.name}")
    return out + [f"CHECK ({c.text})" for c in laid.constraints if c.kind == "check" and not _parses(c.text)]


def _parses(text: str) -> bool:
    try:
        exp.condition(text, dialect="sqlite")
    except SqlglotError:
        return False
    return True


@rule(AlterColumn, AddColumn)
def _strict_type(change: Change, state: SchemaState) -> str | None:
    """A STRICT table takes only INT, INTEGER, REAL, TEXT, BLOB and ANY columns."""
    portable = change.type if isinstance(change, AlterColumn) else change.column.type
    _, laid = table_layout(state, change)
    if laid is None or not laid.strict or not portable:
        return None
    native = defaults.native_type(portable, "sqlite", isinstance(change, AddColumn) and change.column.identity)
    if native.upper() in STRICT_TYPES:
        return None
    return (f"{change.table} is a STRICT table, whose columns SQLite allows only the types {', '.join(STRICT_TYPES)}: "
            f"{change.object} cannot be {portable} ({native})")


@rule(AlterColumn)
def _autoincrement_type(change: AlterColumn, state: SchemaState) -> str | None:
    """AUTOINCREMENT stays only on an INTEGER PRIMARY KEY."""
    table, laid = table_layout(state, change)
    col = table.column(change.name) if laid else None
    declared = laid.of(col) if col else None
    if declared is None or not change.type or not change.needs(state)["type"]:
        return None
    native = types.native(change.type, "sqlite")
    if native.upper() != "INTEGER" and any(c.autoincrement for c in declared.clauses):
        return (f"{change.object} is declared AUTOINCREMENT, which SQLite allows only on an INTEGER PRIMARY KEY: "
                f"it cannot become {change.type} ({native})")
    return None


@rule(DropConstraint)
def _without_rowid_key(change: DropConstraint, state: SchemaState) -> str | None:
    """A WITHOUT ROWID table cannot be without its primary key."""
    _, laid = table_layout(state, change)
    con = state.constraints.get((*key_of(state, change.table), change.name))
    if laid is not None and laid.without_rowid and con is not None and con.kind == "primary_key":
        return f"{change.table} is a WITHOUT ROWID table, which SQLite cannot make without a primary key: {change.name} stays"
    return None
