"""Names the target cannot hold: longer than it allows (PostgreSQL would cut them to 63 bytes, MySQL
refuses them), or with a character it refuses (a NUL; on MySQL a trailing space, a character outside the BMP)."""

from __future__ import annotations

from ...inspect.state import SchemaState
from ..base import Change
from ..columns import AddColumn, AlterColumn, DropColumn, RenameColumn
from ..constraints import AddConstraint, DropConstraint
from ..identifiers import change_names, too_long, unholdable
from ..indexes import CreateIndex, DropIndex
from ..tables import CreateTable, DropTable
from .registry import rule

_CONSEQUENCE = {"postgresql": "PostgreSQL would cut it to 63 bytes, so the object would not have the name the spec says",
                "mysql": "the server refuses it"}


@rule(CreateTable, AddColumn, AlterColumn, RenameColumn, DropColumn, CreateIndex, DropIndex, AddConstraint,
      DropConstraint, DropTable)
def _name_too_long(change: Change, state: SchemaState) -> str | None:
    """Every name a change declares or recon derives for it (``{table}_{column}_key``...) fits the target."""
    for name in change_names(change, state.dialect):
        problem = too_long(name.text, state.dialect)
        if problem:
            made = f"the name recon derives from {name.field}" if name.derived else name.field
            return f"{name.kind} name {name.text!r} ({made}) is {problem}: {_CONSEQUENCE[state.dialect]}"
    return None


@rule(CreateTable, AddColumn, AlterColumn, RenameColumn, DropColumn, CreateIndex, DropIndex, AddConstraint,
      DropConstraint, DropTable)
def _name_unholdable(change: Change, state: SchemaState) -> str | None:
    """Every name a change declares or derives is one the target can hold: the server would refuse
    the statement at apply, after the unit's earlier statements (on MySQL, committed ones)."""
    for name in change_names(change, state.dialect):
        problem = unholdable(name.text, state.dialect)
        if problem:
            made = f"the name recon derives from {name.field}" if name.derived else name.field
            return f"{name.kind} name {name.text!r} ({made}) {problem}"
    return None
