"""Validation rules of identity columns and expression defaults that a JSON Schema cannot say.

The portable rule for ``identity: true``: the column is ``integer`` or ``bigint``, it is the
table's whole primary key (``primary_key: true`` on it, or the table's ``primary_key: [it]``),
it has no ``default``, and a table has at most one. Each dialect can number such a column:
SQLite only a single-column ``INTEGER PRIMARY KEY`` (its rowid), MySQL only a key column,
one per table. ``add_column`` cannot add one (see ``ADD_COLUMN``). An expression default
(``{expr: NAME}``) must fit the column's type (``defaults.FITS``), a literal default must be a
value of it (``literals``; ``.nan`` and ``.inf`` fit none), and a declared size must be one
some supported dialect holds (``typesizes``). An ``alter_column`` without ``type`` is checked
against the live column by ``plan``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Diagnostic
from . import defaults, literals, typesizes
from .loader import LocDict

IDENTITY_TYPES = ("integer", "bigint")
ADD_COLUMN = ("identity is only for create_table columns: an identity column must be the table's primary key, which add_column "
              "cannot add portably (SQLite's ALTER TABLE adds no PRIMARY KEY column, MySQL needs AUTO_INCREMENT to be a key as it is "
              "added, and the table usually has a primary key already)")


def check(file: str, path: str, name: str, body: LocDict) -> Iterator[Diagnostic]:
    """Diagnostics for the identity and expression-default keys of one operation's ``body``."""
    if name == "create_table":
        yield from _table(file, path, body)
    elif name == "add_column":
        if "identity" in body:
            yield Diagnostic(file, body.line_of("identity"), f"{path}.identity", ADD_COLUMN)
        yield from _column(file, path, body, body.get("type"))
    elif name == "alter_column":  # without a type, plan checks the default against the column's
        yield from _column(file, path, body, body.get("type"))


def _table(file: str, path: str, body: LocDict) -> Iterator[Diagnostic]:
    columns = body["columns"]
    keyed = [c["name"] for c in columns if c.get("primary_key")]
    primary = list(body.get("primary_key", keyed))
    seen = None
    for i, col in enumerate(columns):
        where = f"{path}.columns[{i}]"
        yield from _column(file, where, col, col["type"])
        if not col.get("identity"):
            continue
        yield from _identity(file, where, col, primary, keyed)
        if seen is not None:
            yield Diagnostic(file, col.line_of("identity"), f"{where}.identity", f"a table has at most one identity column ({seen} is one already)")
        seen = col["name"]


def _identity(file: str, where: str, col: LocDict, primary: list, keyed: list) -> Iterator[Diagnostic]:
    line, key = col.line_of("identity"), f"{where}.identity"
    if col["type"] not in IDENTITY_TYPES:
        yield Diagnostic(file, line, key, f"identity: true needs an integer or bigint column, not {col['type']}")
    if primary != [col["name"]] or (keyed and keyed != [col["name"]]):
        yield Diagnostic(file, line, key, "identity: true needs the column to be the table's whole primary key: add primary_key: true "
                                          "to it (SQLite numbers only a single-column INTEGER PRIMARY KEY, MySQL only a key column)")
    if "default" in col:
        yield Diagnostic(file, col.line_of("default"), f"{where}.default", "an identity column takes its values from the database: it has no default")


def _column(file: str, where: str, body: LocDict, portable: str | None) -> Iterator[Diagnostic]:
    """A column's declared size, then its default against its type (against nothing without one)."""
    size = typesizes.problem(portable)
    if size:
        yield Diagnostic(file, body.line_of("type"), f"{where}.type", size)
    elif "default" in body:
        yield from _default(file, where, body, portable)


def _default(file: str, where: str, body: LocDict, portable: str | None) -> Iterator[Diagnostic]:
    value = defaults.declared(body.get("default"))
    line, key = body.line_of("default"), f"{where}.default"
    if isinstance(value, defaults.Expr):
        if portable and not defaults.fits(value.name, portable):
            yield Diagnostic(file, line, key, f"{value} cannot be the default of a column of type {portable} "
                                              f"(it fits {' or '.join(defaults.FITS[value.name])} columns)")
        return
    why = literals.unspellable(value) if portable is None else literals.problem(value, portable)
    if why:
        yield Diagnostic(file, line, key, why if literals.unspellable(value) else
                         f"{literals.shown(value)} cannot be the default of a column of type {portable}: {why}")
