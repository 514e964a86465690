"""How a SQLite table is declared, clause by clause: what a table rebuild must write again.

SQLite changes a column or a constraint by rebuilding the table (``engine/render/sqlite_rebuild.py``).
The pragmas tell a rebuild the columns, keys and foreign keys, but not how they are written,
and several things only the ``CREATE TABLE`` text says: a column's ``COLLATE``, ``AUTOINCREMENT``,
a generated column's expression and ``STORED``, a foreign key's ``ON UPDATE``, ``MATCH`` and
``DEFERRABLE``, ``PRIMARY KEY DESC``, the collation and order of a key's columns, whether a
constraint is written on its column or at the end, whether it has a name, and the table options
``STRICT`` and ``WITHOUT ROWID``. This module reads the stored text (``sqlite_master.sql``) into
that shape with the SQLite tokenizer (as :mod:`.sqlite_ddl` does), so a rebuild writes each clause
again where it was. What it cannot represent (an ``ON CONFLICT`` clause, a virtual table, a word
it does not know) is listed in ``TableLayout.unkept``, and the plan refuses a rebuild that would
lose it. Types, nullability and defaults are taken from the pragmas, not from here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from sqlglot.tokens import Token, TokenType

from .sqlite_ddl import (
    _after_key,
    _group,
    _next_group,
    _split_commas,
    _text,
    _tokenize,
    _word,
)
from .state import Column, Table


@dataclass(frozen=True)
class KeyPart:
    """One column of a key as written: ``name [COLLATE collation] [ASC|DESC]``."""

    name: str
    collate: str | None = None
    desc: bool | None = None  # None: no order written


@dataclass(frozen=True)
class Clause:
    """One column constraint or table constraint as written.

    ``kind``: primary_key, unique, check, foreign_key (these declare a constraint), not_null,
    null, default, collate, generated. ``name`` is its ``CONSTRAINT name``, if written;
    ``columns`` the key's columns (a column constraint: its column); ``text`` a check's or a
    generated column's expression, or a collation; ``options`` a foreign key's actions and
    deferral, as SQLite words (``ON UPDATE CASCADE``, ``DEFERRABLE INITIALLY DEFERRED``).
    """

    kind: str
    name: str | None = None
    columns: tuple[KeyPart, ...] = ()
    text: str | None = None
    desc: bool | None = None
    autoincrement: bool = False
    stored: bool = False
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    @property
    def declares(self) -> bool:
        """Whether the clause is a constraint the catalog reader reports (and names)."""
        return self.kind in ("primary_key", "unique", "check", "foreign_key")


@dataclass(frozen=True)
class ColumnLayout:
    """A column definition: its name and its clauses in written order (the type is the pragma's)."""

    name: str
    clauses: tuple[Clause, ...] = ()


@dataclass(frozen=True)
class TableLayout:
    """A table's CREATE TABLE text as definitions; ``unkept``: what a rebuild could not write again."""

    columns: tuple[ColumnLayout, ...] = ()
    constraints: tuple[Clause, ...] = ()
    strict: bool = False
    without_rowid: bool = False
    unkept: tuple[str, ...] = ()

    def of(self, column: Column) -> ColumnLayout | None:
        """The definition of an inspected column, by its place (so a rename since keeps it); None
        for a column the plan adds, or one the text does not have (which ``readable`` tells)."""
        at = column.position
        return self.columns[at] if at is not None and at < len(self.columns) else None

    def readable(self, table: Table) -> bool:
        """Whether the text declares as many columns as inspection found (else it was misread)."""
        return all(c.position is None or c.position < len(self.columns) for c in table.columns)

    def renames(self, table: Table) -> dict[str, str]:
        """Each renamed column's name in the text (case-folded) -> its name in ``table``."""
        out = {}
        for col in table.columns:
            laid = self.of(col)
            if laid is not None and laid.name.casefold() != col.name.casefold():
                out[laid.name.casefold()] = col.name
        return out

    def declaring(self) -> list[Clause]:
        """The clauses that declare constraints, in written order (columns first, as SQLite requires)."""
        return [c for col in self.columns for c in col.clauses if c.declares] + [c for c in self.constraints if c.declares]


def derived_name(table: str, kind: str, columns: tuple[str, ...]) -> str:
    """The name inspection gives a constraint written without one (as PostgreSQL would name it)."""
    if kind == "primary_key":
        return f"{table}_pkey"
    if kind == "check":
        return "_".join((table, *(columns if len(columns) == 1 else ()), "check"))
    return "_".join((table, *columns, "key" if kind == "unique" else "fkey"))


@lru_cache(maxsize=256)
def layout(sql: str) -> TableLayout:
    """The definitions of a ``CREATE TABLE`` statement (cached: plans read one table many times)."""
    tokens = _tokenize(sql)
    if len(tokens) > 1 and _word(tokens[1]) == "VIRTUAL":
        return TableLayout(unkept=("the table itself (it is a virtual table; a rebuild cannot recreate its module)",))
    start = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.L_PAREN), None)
    if start is None:
        return TableLayout(unkept=("its CREATE TABLE text, which recon could not read",))
    body, after = _group(tokens, start)
    columns, constraints, unkept = [], [], []
    for item in _split_commas(body):
        if _word(item[0]) in _TABLE_CONSTRAINT_START:
            clause = _table_constraint(item, sql, unkept)
            constraints += [clause] if clause else []
        else:
            columns.append(_column(item, sql, unkept))
    options = [" ".join(t.text.upper() for t in part) for part in _split_commas(tokens[after:])]
    unkept += [f"the table option {o}" for o in options if o not in ("STRICT", "WITHOUT ROWID")]
    found = TableLayout(tuple(columns), tuple(constraints), "STRICT" in options, "WITHOUT ROWID" in options)
    names = [c.name.casefold() for c in found.declaring() if c.name]
    unkept += [f"the second constraint named {n}" for n in dict.fromkeys(n for n in names if names.count(n) > 1)]
    return replace(found, unkept=tuple(unkept))


_TABLE_CONSTRAINT_START = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})
_COLUMN_START = frozenset({"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
                           "REFERENCES", "GENERATED", "AS"})


def _skip(item: list[Token], i: int) -> int:
    """The index after the token (or parenthesised group) at ``i``."""
    return _group(item, i)[1] if item[i].token_type == TokenType.L_PAREN else i + 1


def _column(item: list[Token], sql: str, unkept: list[str]) -> ColumnLayout:
    """A column definition: the type is skipped (the pragma reports it), its clauses are read."""
    name, i = item[0].text, 1
    while i < len(item) and _word(item[i]) not in _COLUMN_START:
        i = _skip(item, i)
    clauses: list[Clause] = []
    pending = None
    while i < len(item):
        word = _word(item[i])
        if word == "CONSTRAINT" and i + 1 < len(item):
            pending, i = item[i + 1].text, i + 2
            continue
        if word == "AUTOINCREMENT" and clauses and clauses[-1].kind == "primary_key":
            clauses[-1], i = replace(clauses[-1], autoincrement=True), i + 1
            continue
        reader = _COLUMN_READERS.get(word)
        clause, j = reader(item, i, sql) if reader else (None, i)
        if clause is None:
            j = _unknown(item, i)
            unkept.append(f"{_text(sql, item[i:j])} on {name}")
        else:
            clauses.append(replace(clause, name=pending, columns=(KeyPart(name),) if clause.declares else ()))
        pending, i = None, j
    return ColumnLayout(name, tuple(clauses))


def _unknown(item: list[Token], i: int) -> int:
    """The end of a clause recon does not write again: ``ON CONFLICT x`` whole, else one token."""
    if _word(item[i]) == "ON" and i + 2 < len(item) and _word(item[i + 1]) == "CONFLICT":
        return i + 3
    return _skip(item, i)


def _primary_key(item, i, sql):
    i = _after_key(item, i)
    order = _word(item[i]) if i < len(item) else None
    if order in ("ASC", "DESC"):
        return Clause("primary_key", desc=order == "DESC"), i + 1
    return Clause("primary_key"), i


def _not_null(item, i, sql):
    if i + 1 < len(item) and _word(item[i + 1]) == "NULL":
        return Clause("not_null"), i + 2
    return None, i


def _check(item, i, sql):
    inner, after = _next_group(item, i + 1)
    return (Clause("check", text=_text(sql, inner)), after) if inner else (None, i)


def _default(item, i, sql):
    """``DEFAULT`` and its value (the value itself comes from the pragma)."""
    if i + 1 >= len(item):
        return None, i
    if item[i + 1].token_type in (TokenType.DASH, TokenType.PLUS):
        return Clause("default"), i + 3
    return Clause("default"), _skip(item, i + 1)


def _collate(item, i, sql):
    return (Clause("collate", text=item[i + 1].text), i + 2) if i + 1 < len(item) else (None, i)


def _generated(item, i, sql):
    """``[GENERATED ALWAYS] AS (expr) [STORED | VIRTUAL]``."""
    if _word(item[i]) == "GENERATED":
        if i + 2 >= len(item) or _word(item[i + 1]) != "ALWAYS" or _word(item[i + 2]) != "AS":
            return None, i
        i += 2
    inner, after = _next_group(item, i + 1)
    if not inner:
        return None, i
    storage = _word(item[after]) if after < len(item) else None
    written = 1 if storage in ("STORED", "VIRTUAL") else 0
    return Clause("generated", text=_text(sql, inner), stored=storage == "STORED"), after + written


def _references(item, i, sql):
    """``REFERENCES table [(columns)]`` and the actions and deferral that follow."""
    if i + 1 >= len(item):
        return None, i
    ref_table = item[i + 1].text
    inner, i = _next_group(item, i + 2)
    options = []
    while i < len(item):
        option, after = _fk_option(item, i)
        if option is None:
            break
        options.append(option)
        i = after
    ref_columns = tuple(part[0].text for part in _split_commas(inner or []))
    return Clause("foreign_key", ref_table=ref_table, ref_columns=ref_columns, options=tuple(options)), i


_ACTIONS = {("SET", "NULL"), ("SET", "DEFAULT"), ("NO", "ACTION"), ("CASCADE",), ("RESTRICT",)}


def _fk_option(item: list[Token], i: int) -> tuple[str | None, int]:
    """One of ``ON DELETE|UPDATE action``, ``MATCH name``, ``[NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]``."""
    words = [_word(t) for t in item[i : i + 4]] + [None] * 4
    if words[0] == "ON" and words[1] in ("DELETE", "UPDATE"):
        size = next((len(a) for a in _ACTIONS if tuple(words[2 : 2 + len(a)]) == a), 0)
        return (" ".join(words[: 2 + size]), i + 2 + size) if size else (None, i)
    if words[0] == "MATCH" and words[1]:
        return f"MATCH {words[1]}", i + 2
    size = 1 if words[0] == "DEFERRABLE" else 2 if words[:2] == ["NOT", "DEFERRABLE"] else 0
    if not size:
        return None, i
    if words[size] == "INITIALLY" and words[size + 1] in ("DEFERRED", "IMMEDIATE"):
        size += 2
    return " ".join(words[:size]), i + size


_COLUMN_READERS = {
    "PRIMARY": _primary_key, "NOT": _not_null, "NULL": lambda item, i, sql: (Clause("null"), i + 1),
    "UNIQUE": lambda item, i, sql: (Clause("unique"), i + 1), "CHECK": _check, "DEFAULT": _default,
    "COLLATE": _collate, "REFERENCES": _references, "GENERATED": _generated, "AS": _generated,
}


def _table_constraint(item: list[Token], sql: str, unkept: list[str]) -> Clause | None:
    """``[CONSTRAINT name] PRIMARY KEY (...) | UNIQUE (...) | CHECK (...) | FOREIGN KEY (...) REFERENCES ...``."""
    name, i = (item[1].text, 2) if _word(item[0]) == "CONSTRAINT" and len(item) > 2 else (None, 0)
    word = _word(item[i])
    if word in ("PRIMARY", "UNIQUE"):
        inner, after = _next_group(item, _after_key(item, i) if word == "PRIMARY" else i + 1)
        where = _text(sql, item[i:after])
        clause = Clause("primary_key" if word == "PRIMARY" else "unique", columns=_parts(inner or [], sql, where, unkept))
    elif word == "CHECK":
        clause, after = _check(item, i, sql)
    elif word == "FOREIGN":
        inner, after = _next_group(item, _after_key(item, i))
        clause, after = _references(item, after, sql) if after < len(item) and _word(item[after]) == "REFERENCES" else (None, after)
        clause = replace(clause, columns=tuple(KeyPart(p[0].text) for p in _split_commas(inner or []))) if clause else None
    else:
        clause, after = None, i
    if clause is None:
        unkept.append(f"the constraint {_text(sql, item)}")
        return None
    where = _text(sql, item[i:after])
    while after < len(item):
        end = _unknown(item, after)
        unkept.append(f"{_text(sql, item[after:end])} on {where}")
        after = end
    return replace(clause, name=name)


def _parts(inner: list[Token], sql: str, where: str, unkept: list[str]) -> tuple[KeyPart, ...]:
    """A key's columns, each with its ``COLLATE`` and ``ASC``/``DESC``; anything else is unkept."""
    parts = []
    for tokens in _split_commas(inner):
        collate, desc, i = None, None, 1
        while i < len(tokens):
            word = _word(tokens[i])
            if word == "COLLATE" and i + 1 < len(tokens):
                collate, i = tokens[i + 1].text, i + 2
            elif word in ("ASC", "DESC"):
                desc, i = word == "DESC", i + 1
            else:
                unkept.append(f"{_text(sql, tokens[i:])} on {where}")
                break
        parts.append(KeyPart(tokens[0].text, collate, desc))
    return tuple(parts)
