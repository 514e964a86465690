"""Identifier length limits per dialect, and every name a change writes into SQL.

PostgreSQL cuts a longer identifier to 63 bytes with only a NOTICE (the table is then
created under another name than the spec's), MySQL and MariaDB refuse one longer than 64
characters, SQLite has no limit. ``recon validate`` warns about a name longer than the
smallest limit of the supported dialects (``lint``); the planner can refuse a name longer
than its target allows with the same two functions, and one its target cannot hold at all
(``unholdable``: a NUL anywhere; on MySQL/MariaDB a trailing space or a character outside the
Basic Multilingual Plane, which the server refuses with errors 1103, 1166, 1280 and 1300)::

    for name in change_names(change, "postgresql"):
        problem = too_long(name.text, "postgresql")
        if problem:
            ...  # f"{name.kind} name {name.text!r} is too long: {problem}"
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .. import changes as ch
from ..spec.model import ObjectRef

# dialect -> (longest identifier, what is counted). SQLite has no limit and no entry.
LIMITS: dict[str, tuple[int, str]] = {"postgresql": (63, "bytes"), "mysql": (64, "characters")}
_LABELS = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}


def length(name: str, unit: str) -> int:
    """The length of ``name`` counted in ``unit``: UTF-8 ``bytes`` or ``characters``."""
    return len(name.encode("utf-8")) if unit == "bytes" else len(name)


def too_long(name: str, dialect: str) -> str | None:
    """Why ``name`` cannot be an identifier on ``dialect`` (``postgresql``, ``mysql``, ``sqlite``),
    e.g. ``"64 bytes on PostgreSQL, which allows 63"``; None when it fits (always on SQLite)."""
    if dialect not in LIMITS:
        return None
    limit, unit = LIMITS[dialect]
    size = length(name, unit)
    return f"{size} {unit} on {_LABELS[dialect]}, which allows {limit}" if size > limit else None


def unholdable(name: str, dialect: str) -> str | None:
    """Why no object of ``dialect`` can be called ``name`` whatever its length, e.g. ``"ends with
    a space, which MySQL/MariaDB refuse in a name"``; None when it can (PostgreSQL and SQLite
    hold every name without a NUL)."""
    if "\x00" in name:
        return "holds a NUL character, which no dialect takes in a name"
    if dialect != "mysql":
        return None
    if name.endswith(" "):
        return "ends with a space, which MySQL/MariaDB refuse in a name (errors 1103, 1166, 1280)"
    wide = next((ch for ch in name if ord(ch) > 0xFFFF), None)
    if wide is not None:
        return (f"holds {wide!r} (U+{ord(wide):X}), a character outside the Basic Multilingual Plane, which "
                "MySQL/MariaDB names cannot hold: they are utf8mb3 (error 1300)")
    return None


@dataclass(frozen=True)
class Name:
    """One identifier a change writes into SQL.

    ``kind`` is what it names (``schema``, ``table``, ``column``, ``index``, ``constraint``);
    ``field`` the change's attribute it is read from, as a path (``table``, ``columns[1].name``,
    ``references.columns[0]``), or for a derived name the attribute that makes recon derive it
    (``columns[1].unique``, ``primary_key``); ``derived`` is true for names recon builds itself
    (``{table}_pkey``, ``{table}_{column}_key``, ``{table}_{column}_fkey``), never written in a spec.
    """

    text: str
    kind: str
    field: str
    derived: bool = False


def change_names(change: ch.Change, dialect: str) -> tuple[Name, ...]:
    """Every name ``change`` creates, derives or refers to when rendered for ``dialect``, in
    field order; a raw ``sql`` change has none (its statements are not analysed)."""
    namer = _NAMERS.get(type(change))
    return tuple(namer(change, dialect)) if namer else ()


def _table(ref: ObjectRef, field: str) -> Iterator[Name]:
    if ref.schema is not None:
        yield Name(ref.schema, "schema", field)
    yield Name(ref.table, "table", field)


def _columns(columns, field: str) -> Iterator[Name]:
    for i, column in enumerate(columns):
        yield Name(column, "column", f"{field}[{i}]")


def _reference(fk: ch.ForeignKey | None, field: str) -> Iterator[Name]:
    if fk is not None:
        yield from _table(fk.table, f"{field}.table")
        yield from _columns(fk.columns, f"{field}.columns")


def _create_table(c: ch.CreateTable, dialect: str) -> Iterator[Name]:
    yield from _table(c.table, "table")
    for i, col in enumerate(c.columns):
        yield Name(col.name, "column", f"columns[{i}].name")
        yield from _reference(col.references, f"columns[{i}].references")
    yield from _columns(c.primary_key, "primary_key")
    position = {col.name: i for i, col in enumerate(c.columns)}
    for con in ch.table_constraints(c.table, c.columns, c.primary_key, dialect):
        if con.kind == "primary_key":
            field = "primary_key" if c.primary_key else f"columns[{position[con.columns[0]]}].primary_key"
        else:
            field = f"columns[{position[con.columns[0]]}].{'unique' if con.kind == 'unique' else 'references'}"
        yield Name(con.name, "constraint", field, derived=True)


def _add_column(c: ch.AddColumn, dialect: str) -> Iterator[Name]:
    yield from _table(c.table, "table")
    yield Name(c.column.name, "column", "column.name")


def _on_column(c, dialect: str) -> Iterator[Name]:
    """alter_column, drop_column and rename_column: a table, a column, maybe its new name."""
    yield from _table(c.table, "table")
    yield Name(c.name, "column", "name")
    if isinstance(c, ch.RenameColumn):
        yield Name(c.new_name, "column", "new_name")


def _index(c: ch.CreateIndex | ch.DropIndex, dialect: str) -> Iterator[Name]:
    yield Name(c.name, "index", "name")
    if c.table is not None:
        yield from _table(c.table, "table")
    yield from _columns(getattr(c, "columns", ()), "columns")


def _constraint(c: ch.AddConstraint | ch.DropConstraint, dialect: str) -> Iterator[Name]:
    derived = getattr(c, "derived", "")
    yield Name(c.name, "constraint", derived or "name", derived=bool(derived))
    yield from _table(c.table, "table")
    yield from _columns(getattr(c, "columns", ()), "columns")
    yield from _reference(getattr(c, "references", None), "references")


def _drop_table(c: ch.DropTable, dialect: str) -> Iterator[Name]:
    yield from _table(c.table, "table")


_NAMERS: dict[type, Callable[[ch.Change, str], Iterator[Name]]] = {
    ch.CreateTable: _create_table, ch.AddColumn: _add_column, ch.AlterColumn: _on_column,
    ch.RenameColumn: _on_column, ch.DropColumn: _on_column, ch.CreateIndex: _index, ch.DropIndex: _index,
    ch.AddConstraint: _constraint, ch.DropConstraint: _constraint, ch.DropTable: _drop_table,
}
