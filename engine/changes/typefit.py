"""The column types and literal defaults a change declares, against what one dialect takes.

``validate`` errors on what no dialect holds (``spec.columnrules``); what only some dialects
refuse (a ``varchar(20000)`` on MySQL, an offset in a MySQL ``DATETIME`` default) is a
validate warning here (``warnings``, for the dialects an operation runs on) and a plan
refusal on the dialect itself (``refusals.defaults``, ``refusals.sizes``), where the live
column's type is known too (an ``alter_column`` of the default alone).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..spec import defaults, literals, types, typesizes
from .base import UNSET, Change
from .columns import AddColumn, AlterColumn
from .tables import CreateTable

_WARNED = ("postgresql", "mysql")  # SQLite takes any size and any default


@dataclass(frozen=True)
class Declared:
    """One column a change declares: where in the operation's body (``columns[1].``, or ``""``), its
    name, its portable type (None: an ``alter_column`` keeping the type) and its default (UNSET: none)."""

    key: str
    name: str
    type: str | None
    default: Any = UNSET

    @property
    def literal(self) -> bool:
        """Whether the default is a literal to check (not none, not null, not an expression)."""
        return self.default is not UNSET and self.default is not None and not isinstance(self.default, defaults.Expr)


def declared(change: Change) -> list[Declared]:
    """The columns ``change`` declares a type or default for."""
    if isinstance(change, CreateTable):
        return [Declared(f"columns[{i}].", c.name, c.type, c.default) for i, c in enumerate(change.columns)]
    if isinstance(change, AddColumn):
        return [Declared("", change.column.name, change.column.type, change.column.default)]
    if isinstance(change, AlterColumn):
        return [Declared("", change.name, change.type, change.default)]
    return []


def default_problem(col: Declared, type_text: str, dialect: str, mariadb: bool, owner: str = "a column") -> str | None:
    """Why ``dialect`` refuses ``col``'s literal default for a column (``owner``) of ``type_text``, its catalog spelling."""
    if not col.literal:
        return None
    why = literals.problem(col.default, type_text, dialect, mariadb)
    return f"{literals.shown(col.default)} cannot be the default of {owner} of type {type_text}: {why}" if why else None


def warnings(made: list[Change]) -> Iterator[tuple[str, str]]:
    """(key in the operation's body, message) for each size or default a dialect the change runs on
    refuses; what every dialect refuses is a validate error already, and is left out here."""
    for change in made:
        yield from _row(change)
        for col in declared(change):
            if col.type is None or typesizes.problem(col.type):
                continue
            for dialect in (d for d in _WARNED if change.runs_on(d)):
                size = typesizes.dialect_problem(col.type, dialect)
                if size:
                    yield f"{col.key}type", f"{size}; recon plan refuses it on that server"
                elif col.literal and not literals.problem(col.default, col.type):
                    why = default_problem(col, types.native(col.type, dialect), dialect, True)
                    if why:
                        yield f"{col.key}default", f"{why}; recon plan refuses it on {dialect}"


def _row(change: Change) -> Iterator[tuple[str, str]]:
    """A new table's row over MySQL's 65535 bytes in utf8mb4 (its columns sized on their own first)."""
    if not isinstance(change, CreateTable) or not change.runs_on("mysql"):
        return
    if any(typesizes.problem(c.type) or typesizes.dialect_problem(c.type, "mysql") for c in change.columns):
        return
    keyed = set(change.primary_key or (c.name for c in change.columns if c.primary_key))
    row = [(defaults.native_type(c.type, "mysql", c.identity), c.nullable and c.name not in keyed) for c in change.columns]
    why = typesizes.row_problem(str(change.table), typesizes.mysql_row_bytes(row))
    if why:
        yield "columns", f"{why}; recon plan refuses it on that server"
