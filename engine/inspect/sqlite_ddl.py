"""What SQLite keeps only in its CREATE statements: constraint names, CHECKs, index expressions
and predicates, generated columns' expressions.

SQLite's pragmas report keys and foreign keys without their names, do not
report CHECK constraints at all, and give an expression key part no text.
This module reads those from the stored ``CREATE TABLE`` / ``CREATE INDEX``
text with sqlglot's SQLite tokenizer. It scans tokens rather than parsing a
tree because ``sqlglot.parse_one(read="sqlite")`` gives up on valid SQLite
DDL (``WITHOUT ROWID``, ``PRIMARY KEY (a DESC)``); the tokenizer already knows
SQLite's quoting (``"x"``, ``[x]``, `` `x` ``, ``''`` escapes), which is the hard part.
Text it cannot read yields nothing, and the caller falls back to pragma facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

_SQLITE = Dialect.get_or_raise("sqlite")
_NOT_WORDS = (TokenType.IDENTIFIER, TokenType.STRING)
# Without either word a statement names no constraint and has no CHECK, so
# the pragmas alone describe it and tokenizing (the slow part) is skipped.
_MAY_DECLARE = re.compile(r"\b(?:CONSTRAINT|CHECK)\b", re.IGNORECASE)
# Words that open a table-level constraint (a column definition starts with its name).
_TABLE_CONSTRAINT_START = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})


@dataclass(frozen=True)
class Declared:
    """One PRIMARY KEY / UNIQUE / FOREIGN KEY / CHECK clause as written in CREATE TABLE.

    ``name`` is None when the clause has no ``CONSTRAINT name``; ``column`` is the
    column a column-level clause belongs to; ``words`` are the identifiers a CHECK
    mentions (candidates for the columns it references).
    """

    kind: str
    name: str | None
    columns: tuple[str, ...] = ()
    column: str | None = None
    ref_table: str | None = None
    expression: str | None = None
    words: tuple[str, ...] = ()


def declared_constraints(sql: str | None) -> list[Declared]:
    """The constraint clauses of a CREATE TABLE statement, in declaration order.

    Only statements that name a constraint or declare a CHECK are read: for the
    others every clause is unnamed and the pragmas already say the rest.
    """
    if not sql or not _MAY_DECLARE.search(sql):
        return []
    tokens = _tokenize(sql)
    body = _table_body(tokens)
    found: list[Declared] = []
    for item in _split_commas(body):
        found.extend(_scan_definition(item, sql or ""))
    return found


def index_key_parts(sql: str | None) -> list[str]:
    """The key parts of a CREATE INDEX statement as written, without ASC/DESC."""
    tokens = _tokenize(sql)
    start = _index_of_word(tokens, "ON")
    if start is None or start + 2 >= len(tokens) or tokens[start + 2].token_type != TokenType.L_PAREN:
        return []
    inner, _ = _group(tokens, start + 2)
    return [_text(sql or "", _strip_order(part)) for part in _split_commas(inner) if part]


def index_predicate(sql: str | None) -> str | None:
    """The WHERE expression of a CREATE INDEX statement as written, or None."""
    tokens = _tokenize(sql)
    at = _index_of_word(tokens, "WHERE")
    return _text(sql or "", tokens[at + 1 :]) or None if at is not None else None


def generated_expressions(sql: str | None) -> dict[str, str]:
    """Column name -> the expression of its ``[GENERATED ALWAYS] AS (expr)``, from a CREATE TABLE statement."""
    found: dict[str, str] = {}
    for item in _split_commas(_table_body(_tokenize(sql))):
        if _word(item[0]) in _TABLE_CONSTRAINT_START:
            continue
        depth = 0
        for i, token in enumerate(item[:-1]):
            depth += _depth_change(token)
            if depth == 0 and _word(token) == "AS" and item[i + 1].token_type == TokenType.L_PAREN:
                found[_name(item[0])] = _text(sql or "", _group(item, i + 1)[0])
                break
    return found


def _tokenize(sql: str | None) -> list[Token]:
    if not sql:
        return []
    try:
        return _SQLITE.tokenize(sql)
    except SqlglotError:
        return []


def _word(token: Token) -> str | None:
    """The upper-cased first word of a keyword-like token; None for quoted names and strings."""
    if token.token_type in _NOT_WORDS or not token.text:
        return None
    return token.text.split()[0].upper()


def _name(token: Token) -> str:
    return token.text


def _text(sql: str, tokens: list[Token]) -> str:
    """The original text spanned by ``tokens``."""
    return sql[tokens[0].start : tokens[-1].end + 1] if tokens else ""


def _index_of_word(tokens: list[Token], word: str) -> int | None:
    depth = 0
    for i, token in enumerate(tokens):
        depth += _depth_change(token)
        if depth == 0 and _word(token) == word:
            return i
    return None


def _depth_change(token: Token) -> int:
    if token.token_type == TokenType.L_PAREN:
        return 1
    if token.token_type == TokenType.R_PAREN:
        return -1
    return 0


def _group(tokens: list[Token], open_at: int) -> tuple[list[Token], int]:
    """The tokens inside the parenthesis opened at ``open_at``, and the index after it closes."""
    depth = 0
    for i in range(open_at, len(tokens)):
        depth += _depth_change(tokens[i])
        if depth == 0:
            return tokens[open_at + 1 : i], i + 1
    return tokens[open_at + 1 :], len(tokens)


def _table_body(tokens: list[Token]) -> list[Token]:
    """The definitions between CREATE TABLE name ( ... ); empty for CREATE TABLE ... AS SELECT."""
    for i, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            return _group(tokens, i)[0]
        if _word(token) == "AS":
            return []
    return []


def _split_commas(tokens: list[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        depth += _depth_change(token)
        if depth == 0 and token.token_type == TokenType.COMMA:
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]


def _strip_order(tokens: list[Token]) -> list[Token]:
    while tokens and _word(tokens[-1]) in ("ASC", "DESC"):
        tokens = tokens[:-1]
    return tokens


def _column_names(tokens: list[Token]) -> tuple[str, ...]:
    """Names from a parenthesised column list; each item's first token (COLLATE/DESC ignored)."""
    return tuple(_name(part[0]) for part in _split_commas(tokens))


def _scan_definition(item: list[Token], sql: str) -> list[Declared]:
    """The constraint clauses of one column definition or table constraint."""
    column = None if _word(item[0]) in _TABLE_CONSTRAINT_START else _name(item[0])
    i = 0 if column is None else 1
    found: list[Declared] = []
    pending: str | None = None
    while i < len(item):
        word = _word(item[i])
        if word == "CONSTRAINT" and i + 1 < len(item):
            pending, i = _name(item[i + 1]), i + 2
            continue
        reader = _READERS.get(word)
        if reader is None:
            pending = None
            i = _group(item, i)[1] if item[i].token_type == TokenType.L_PAREN else i + 1
            continue
        declared, i = reader(item, i, column, pending, sql)
        if declared is not None:
            found.append(declared)
        pending = None
    return found


def _after_key(item: list[Token], i: int) -> int:
    """Index after PRIMARY KEY / FOREIGN KEY, whether tokenized as one token or two."""
    if len(item[i].text.split()) == 1 and i + 1 < len(item) and _word(item[i + 1]) == "KEY":
        return i + 2
    return i + 1


def _next_group(item: list[Token], i: int) -> tuple[list[Token] | None, int]:
    if i < len(item) and item[i].token_type == TokenType.L_PAREN:
        return _group(item, i)
    return None, i


def _read_key(kind: str):
    def read(item, i, column, name, sql):
        i = _after_key(item, i) if kind == "primary_key" else i + 1
        if column is not None:
            return Declared(kind, name, (column,), column=column), i
        inner, i = _next_group(item, i)
        return (Declared(kind, name, _column_names(inner)) if inner else None), i

    return read


def _read_check(item, i, column, name, sql):
    inner, i = _next_group(item, i + 1)
    if not inner:
        return None, i
    words = tuple(t.text for t in inner if t.token_type != TokenType.STRING)
    return Declared("check", name, column=column, expression=_text(sql, inner), words=words), i


def _read_foreign_key(item, i, column, name, sql):
    inner, i = _next_group(item, _after_key(item, i))
    if not inner or i >= len(item) or _word(item[i]) != "REFERENCES":
        return None, i
    return _read_reference(item, i, _column_names(inner), name)


def _read_column_reference(item, i, column, name, sql):
    if column is None:
        return None, i + 1
    return _read_reference(item, i, (column,), name, column)


def _read_reference(item, i, columns, name, column=None):
    """``REFERENCES table [(columns)]`` at ``i``; the referenced columns come from the pragma."""
    if i + 1 >= len(item):
        return None, i + 1
    ref_table = _name(item[i + 1])
    _, after = _next_group(item, i + 2)
    return Declared("foreign_key", name, columns, column=column, ref_table=ref_table), after


_READERS = {
    "PRIMARY": _read_key("primary_key"),
    "UNIQUE": _read_key("unique"),
    "CHECK": _read_check,
    "FOREIGN": _read_foreign_key,
    "REFERENCES": _read_column_reference,
}
