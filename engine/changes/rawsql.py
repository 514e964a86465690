"""Raw SQL: declared statements in a source dialect, transpiled to the target, guarded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..auditing.canaries import Guard
from ..inspect.state import SchemaState
from ..spec.model import ObjectRef
from .base import Change


@dataclass(frozen=True)
class RawSQL(Change):
    """Declared raw statements in a source dialect, transpiled to the target; guarded."""

    dialect: str
    statements: tuple[str, ...]
    guard: Guard | None = None
    declared_destructive: bool = False

    op: ClassVar[str] = "sql"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC105",) if self.destructive else ()

    @property
    def object(self) -> str:
        return f"{len(self.statements)} statement{'s' if len(self.statements) != 1 else ''}"

    @property
    def destructive(self) -> bool:
        from ..spec import sqltext

        return self.declared_destructive or any(sqltext.destructive(s, self.dialect) for s in self.statements)

    def tables(self) -> tuple[ObjectRef, ...]:
        return self.guard.tables() if self.guard else ()

    def present(self, state: SchemaState) -> bool:
        return False  # raw SQL has no effect the engine can see; its guard decides

    def simulate(self, state: SchemaState) -> None:
        return None
