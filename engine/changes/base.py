"""The base of the change vocabulary: ``Change``, the column and foreign-key declarations, literal defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..inspect.state import SchemaState
from ..spec import defaults
from ..spec.model import ObjectRef, Source

UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET", "__bool__": lambda self: False})()


@dataclass(frozen=True)
class ForeignKey:
    """Where a foreign key points: ``table (columns)``, with an optional ``on_delete`` action."""

    table: ObjectRef
    columns: tuple[str, ...]
    on_delete: str | None = None


@dataclass(frozen=True)
class ColumnDef:
    """A column as declared by ``create_table`` or ``add_column`` (portable type)."""

    name: str
    type: str
    nullable: bool = True
    default: Any = UNSET
    primary_key: bool = False
    unique: bool = False
    references: ForeignKey | None = None
    identity: bool = False  # the database numbers the rows (``defaults``: identity, AUTO_INCREMENT, rowid)


@dataclass(frozen=True)
class Change:
    """Base of every change: the unit it belongs to, where its operation is written, and the
    target dialects it is limited to (``dialects:``; empty: every dialect)."""

    unit: str = field(kw_only=True)
    source: Source = field(kw_only=True)
    dialects: tuple[str, ...] = field(default=(), kw_only=True)

    op: ClassVar[str] = ""
    action: ClassVar[str] = "update"  # create | update | delete: the plan's summary and its + ~ - symbol

    @property
    def destructive(self) -> bool:
        """Whether applying it can lose data or break readers irreversibly."""
        return self.action == "delete"

    def runs_on(self, dialect: str) -> bool:
        """Whether the operation is for ``dialect`` (elsewhere the plan shows it skipped)."""
        return not self.dialects or dialect in self.dialects

    @property
    def object(self) -> str:
        """The object it changes, as a user writes it."""
        raise NotImplementedError

    def tables(self) -> tuple[ObjectRef, ...]:
        """The tables whose inspected state this change's guard reads (for the plan's state digest)."""
        return (self.table,)  # type: ignore[attr-defined]

    def present(self, state: SchemaState) -> bool:
        """Whether the change's effect is already in ``state`` (then it is skipped)."""
        raise NotImplementedError

    def missing(self, state: SchemaState) -> str | None:
        """What must exist before this change can run and does not (None: nothing is missing)."""
        table = getattr(self, "table", None)
        if self.action != "delete" and table is not None and state.table(table.schema, table.table) is None:
            return f"table {table} does not exist (and no earlier change creates it)"
        return None

    def simulate(self, state: SchemaState) -> None:
        """Apply the change's effect to ``state`` in place, as the database will."""
        raise NotImplementedError

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        """Safety codes (``safety.CODES``) this change carries; ``live`` is the inspected state,
        ``before`` the simulated state just before it."""
        return ()

    def _on_existing_table(self, live: SchemaState) -> bool:
        table = getattr(self, "table", None)
        return table is not None and live.table(table.schema, table.table) is not None

    def reason(self, state: SchemaState) -> str:
        """Why the change is needed, for people only (never for decisions)."""
        what = self.op.split("_", 1)[-1]
        return f"{what} {self.object} is missing" if self.action == "create" else f"{what} {self.object} exists"


def default_sql(value: Any, dialect: str = "", native_type: str | None = None) -> str | None:
    """A declared default as SQL text, the way catalogs report defaults (``light`` -> ``'light'``;
    an expression as ``dialect``'s catalog spells it for a column of ``native_type``)."""
    from sqlglot import exp

    if value is UNSET or value is None:
        return None
    if isinstance(value, defaults.Expr):
        return defaults.catalog_text(value, dialect, native_type)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return exp.Literal.string(str(value)).sql()


def same_default(catalog: str | None, declared: Any) -> bool:
    """Whether a catalog default (``'light'::text``, ``0.00``, ``1``) is the declared value."""
    current = _plain_default(catalog)
    if declared is UNSET or declared is None:
        return current is None
    if isinstance(declared, defaults.Expr) or defaults.expression_of(catalog):  # an expression equals no literal
        return isinstance(declared, defaults.Expr) and defaults.same(catalog, declared)
    if current is None:
        return False
    if isinstance(declared, bool):
        return current.lower() in (("true", "1", "t") if declared else ("false", "0", "f"))
    if isinstance(declared, (int, float)):
        try:
            return float(current) == float(declared)
        except ValueError:
            return False
    return current == str(declared) or _same_moment(current, str(declared))


def _same_moment(catalog: str, declared: str) -> bool:
    """A date, time or timestamp default as the catalog restates it: ``10:00`` is ``10:00:00``,
    MariaDB's ``2024-01-01 10:00:00.000000`` is ``2024-01-01 10:00:00``, PostgreSQL's
    ``2024-01-01 08:00:00+00`` is ``2024-01-01 10:00:00+02:00``."""
    from datetime import datetime, time

    for parse in (datetime.fromisoformat, time.fromisoformat):
        try:
            return parse(catalog) == parse(declared.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
    return False


def _plain_default(text: str | None) -> str | None:
    """A catalog default without casts and quotes: ``'light'::text`` -> ``light``."""
    if text is None or text.upper() == "NULL":
        return None
    value = re.sub(r"::[A-Za-z_][\w ]*(\(\d+(,\s*\d+)?\))?(\[\])?$", "", text.strip()).strip()
    if value.upper() == "NULL":
        return None
    while value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        value = value[1:-1].replace("''", "'")
    return {"TRUE": "true", "FALSE": "false"}.get(value.upper(), value)
