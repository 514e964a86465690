"""Safety analysis: stable codes for risky changes, as Atlas's analyzers give them.

Each finding has a code users can allow one by one (``allow: [RC102]`` on a
unit, or ``--allow-destructive`` for all). Destructive codes make ``apply``
refuse; warnings are shown in the plan and never block.
"""

from __future__ import annotations

from dataclasses import dataclass

from .changes import UNSET, AddColumn, AlterColumn, Change, CreateIndex, DropColumn, DropConstraint, DropIndex, DropTable, RawSQL, RenameColumn
from .inspect.state import SchemaState
from . import types


@dataclass(frozen=True)
class Finding:
    """One safety finding on one change: ``code`` is stable, ``message`` is for people."""

    code: str
    destructive: bool
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "destructive": self.destructive, "message": self.message}


CODES = {
    "RC101": "table dropped: its rows are lost",
    "RC102": "column dropped: its values are lost",
    "RC103": "index dropped: queries using it slow down",
    "RC104": "constraint dropped: data it protected may go bad",
    "RC105": "destructive raw SQL (DROP, TRUNCATE, or DELETE/UPDATE without WHERE)",
    "RC106": "row deleted by prune (seed or rbac): it is not declared, and its values are lost",
    "RC201": "NOT NULL column without a default added to an existing table: fails if it has rows",
    "RC202": "column made NOT NULL: fails if it holds NULLs, and scans the table",
    "RC301": "index built without CONCURRENTLY on an existing PostgreSQL table: blocks writes while it builds",
    "RC302": "column type change that rewrites the table and holds an exclusive lock",
    "RC303": "column renamed: readers still using the old name break",
}


def finding(code: str, destructive: bool = False) -> Finding:
    """The finding for ``code`` with its standard message."""
    return Finding(code, destructive, CODES[code])


def analyze(change: Change, live: SchemaState, before: SchemaState) -> list[Finding]:
    """Findings for ``change``; ``live`` is the inspected state, ``before`` the state just before it."""
    existing = hasattr(change, "table") and change.table is not None and live.table(change.table.schema, change.table.table) is not None
    found: list[Finding] = []
    if isinstance(change, DropTable):
        found.append(finding("RC101", True))
    elif isinstance(change, DropColumn):
        found.append(finding("RC102", True))
    elif isinstance(change, DropIndex):
        found.append(finding("RC103"))
    elif isinstance(change, DropConstraint):
        found.append(finding("RC104", True))
    elif isinstance(change, RawSQL) and change.destructive:
        found.append(finding("RC105", True))
    elif isinstance(change, AddColumn) and existing and not change.column.nullable and change.column.default in (UNSET, None):
        found.append(finding("RC201"))
    elif isinstance(change, AlterColumn):
        needs = change.needs(before)
        if needs["nullable"] and change.nullable is False:
            found.append(finding("RC202"))
        if needs["type"] and existing and live.dialect in ("postgresql", "mysql") and _rewrites(change, before):
            found.append(finding("RC302"))
    elif isinstance(change, CreateIndex) and existing and live.dialect == "postgresql" and not change.concurrently:
        found.append(finding("RC301"))
    elif isinstance(change, RenameColumn):
        found.append(finding("RC303"))
    return found


def _rewrites(change: AlterColumn, state: SchemaState) -> bool:
    """Widening a varchar (or turning it into text) is metadata-only; other type changes rewrite."""
    col = state.table(change.table.schema, change.table.table).column(change.name)
    old, new = types.canonical(col.type, state.dialect), types.canonical(types.native(change.type, state.dialect), state.dialect)
    if old.startswith("varchar") and (new == "text" or new.startswith("varchar")):
        return _length(new) < _length(old) if new.startswith("varchar") else False
    return True


def _length(canonical: str) -> int:
    return int(canonical[canonical.index("(") + 1 : -1]) if "(" in canonical else 1 << 30
