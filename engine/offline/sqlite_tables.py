"""SQLite's ``CREATE TABLE`` offline, read as the SQLite inspector reads a live one.

The declared type and the default stay the text as written (what ``pragma_table_xinfo``
reports); keys, foreign keys and checks come from the statement's clauses
(``inspect.sqlite_layout``) and are named the way inspection names them: the name written in
``CONSTRAINT name``, else ``inspect.sqlite_layout.derived_name`` with a counter where taken. A
primary key or unique constraint is backed by an index, named after it while the units are
simulated (as the simulation names the ones it adds) and ``sqlite_autoindex_{table}_{n}`` at the
end (``catalog``), except the rowid (the one ``INTEGER PRIMARY KEY`` column of a table with
rowids), which needs no index.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from ..inspect.sqlite_ddl import (
    _group,
    _split_commas,
    _table_body,
    _text,
    _tokenize,
    _word,
)
from ..inspect.sqlite_layout import (
    _COLUMN_START,
    _TABLE_CONSTRAINT_START,
    Clause,
    derived_name,
    layout,
)
from ..inspect.state import Column, Constraint, Index, SchemaState, Table
from .statements import Statement

_ON_DELETE = {"ON DELETE CASCADE": "cascade", "ON DELETE SET NULL": "set_null", "ON DELETE RESTRICT": "restrict",
              "ON DELETE SET DEFAULT": "set_default"}


def column_from_tokens(item: list[Token], sql: str) -> tuple[str, str, str | None]:
    """A column definition's name, declared type text and default text, as SQLite keeps them."""
    i = 1
    while i < len(item) and _word(item[i]) not in _COLUMN_START:
        i = _group(item, i)[1] if item[i].token_type == TokenType.L_PAREN else i + 1
    type_text = _text(sql, item[1:i])
    default = None
    for j in range(i, len(item) - 1):
        if _word(item[j]) == "DEFAULT":
            nxt = item[j + 1]
            if nxt.token_type == TokenType.L_PAREN:
                default = _text(sql, item[j + 1 : _group(item, j + 1)[1]])
            elif nxt.token_type in (TokenType.DASH, TokenType.PLUS) and j + 2 < len(item):
                default = _text(sql, item[j + 1 : j + 3])
            else:
                default = _text(sql, [nxt])
            break
    return item[0].text, type_text, default


def create_table(stmt: Statement, state: SchemaState) -> None:
    """Add the table ``stmt`` creates (in ``main``, or the schema it names)."""
    tokens = _tokenize(stmt.text)
    body = _table_body(tokens)
    found = layout(stmt.text)
    if not body or not found.columns:
        raise stmt.error("only a CREATE TABLE with a column list can be read offline (not AS SELECT)")
    key = _key(state, stmt)
    if key in state.tables:
        if "EXISTS" in stmt.text[: stmt.text.find("(")].upper():
            return
        raise stmt.error(f"table {key[1]} is created twice")
    items = [item for item in _split_commas(body) if _word(item[0]) not in _TABLE_CONSTRAINT_START]
    declared = {c.name: c.clauses for c in found.columns}
    pk = _primary_key(found)
    rowid = len(pk) == 1 and not found.without_rowid and not any(c.kind == "primary_key" and c.desc for c in found.declaring())
    columns = []
    for position, item in enumerate(items):
        name, type_text, default = column_from_tokens(item, stmt.text)
        clauses = declared.get(name, ())
        generated_clause = next((c for c in clauses if c.kind == "generated"), None)
        is_rowid = rowid and name in pk and type_text.upper() == "INTEGER"
        columns.append(Column(name, type_text, not any(c.kind == "not_null" for c in clauses) and name not in pk, default,
                              is_rowid or generated_clause is not None, generated_clause is not None,
                              generated_clause.text if generated_clause else None, position=position))
    table = Table(key[0], key[1], tuple(columns), definition=stmt.text)
    state.tables[key] = table
    _constraints(state, table, found, pk, rowid and _rowid_type(table, pk))


def _key(state: SchemaState, stmt: Statement) -> tuple[str, str]:
    tree = stmt.tree
    if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Schema) and isinstance(tree.this.this, exp.Table):
        node = tree.this.this
        return (node.args["db"].name if node.args.get("db") else state.default_schema), node.name
    tokens = _tokenize(stmt.text)
    at = next(i for i, t in enumerate(tokens) if t.token_type == TokenType.L_PAREN)
    names = [t.text for t in tokens[:at] if t.token_type in (TokenType.IDENTIFIER, TokenType.VAR) or _word(t) not in (
        "CREATE", "TABLE", "IF", "NOT", "EXISTS", "TEMP", "TEMPORARY", None)]
    names = [n for n in names if n != "."]
    return (names[-2] if len(names) > 1 else state.default_schema), names[-1]


def _rowid_type(table: Table, pk: tuple[str, ...]) -> bool:
    column = table.column(pk[0])
    return column is not None and column.type.upper() == "INTEGER"


def _primary_key(found) -> tuple[str, ...]:
    for clause in found.declaring():
        if clause.kind == "primary_key":
            return tuple(p.name for p in clause.columns)
    return ()


def _constraints(state: SchemaState, table: Table, found, pk: tuple[str, ...], rowid: bool) -> None:
    """Keys, foreign keys and checks, named as inspection names them, with their autoindexes."""
    clauses = found.declaring()
    used = {c.name for c in clauses if c.name}
    key = (table.schema, table.name)

    def name_of(clause: Clause, base: str) -> str:
        if clause.name:
            return clause.name
        name, n = base, 0
        while name in used:
            n += 1
            name = f"{base}{n}"
        used.add(name)
        return name

    ordered = [c for c in clauses if c.kind == "primary_key"][:1] + [c for c in clauses if c.kind == "unique"] + \
        [c for c in clauses if c.kind == "foreign_key"] + [c for c in clauses if c.kind == "check"]
    keyed: list = []
    for clause in ordered:
        cols = tuple(p.name for p in clause.columns)
        kind = clause.kind
        checked = _check_columns(table, clause) if kind == "check" else cols
        name = name_of(clause, derived_name(table.name, kind, checked))
        if kind == "foreign_key":
            con = _foreign_key(state, table, name, cols, clause)
        else:
            con = Constraint(key[0], key[1], name, kind, checked, expression=clause.text if kind == "check" else None)
        state.put("constraints", (*key, name), con)
        if kind in ("primary_key", "unique") and not (kind == "primary_key" and rowid) and cols not in keyed:
            keyed.append(cols)  # as the simulation does, the index is named after its key until the end (catalog.py)
            state.put("indexes", (*key, name), Index(key[0], key[1], name, cols, True, kind == "primary_key"))


def _check_columns(table: Table, clause: Clause) -> tuple[str, ...]:
    words = {t.text.casefold() for t in _tokenize(clause.text) if t.token_type != TokenType.STRING}
    return tuple(c.name for c in table.columns if c.name.casefold() in words)


def _foreign_key(state: SchemaState, table: Table, name: str, cols, clause: Clause) -> Constraint:
    parent = next((t for (s, n), t in state.tables.items() if s == table.schema and n.casefold() == clause.ref_table.casefold()), None)
    ref_table, ref_columns = clause.ref_table, clause.ref_columns
    if parent is not None:
        ref_table = parent.name
        if not ref_columns:
            ref_columns = next((c.columns for c in state.constraints.values()
                                if (c.schema, c.table) == (parent.schema, parent.name) and c.kind == "primary_key"), ())
        spelling = {c.name.casefold(): c.name for c in parent.columns}
        ref_columns = tuple(spelling.get(c.casefold(), c) for c in ref_columns)
    on_delete = next((_ON_DELETE[o] for o in clause.options if o in _ON_DELETE), None)
    return Constraint(table.schema, table.name, name, "foreign_key", cols, table.schema, ref_table, tuple(ref_columns), on_delete=on_delete)


def added_column(stmt: Statement, cdef: exp.ColumnDef) -> Column:
    """The column ``ALTER TABLE ... ADD [COLUMN]`` declares, spelled as written."""
    tokens = _tokenize(stmt.text)
    at = next((i for i, t in enumerate(tokens) if _word(t) == "ADD"), None)
    if at is None:
        raise stmt.error("cannot find the column definition")
    item = tokens[at + 2 :] if at + 1 < len(tokens) and _word(tokens[at + 1]) == "COLUMN" else tokens[at + 1 :]
    name, type_text, default = column_from_tokens(item, stmt.text)
    words = [_word(t) for t in item]
    not_null = any(a == "NOT" and b == "NULL" for a, b in pairwise(words))
    return replace(Column(name, type_text, not not_null, default), position=None)
