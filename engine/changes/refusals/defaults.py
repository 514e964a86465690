"""Literal defaults the column's type cannot hold on this server: ``'maybe'`` for a boolean,
``99999999`` for a smallint, ``'happy'`` for a MySQL ``ENUM('sad','ok')``, an offset for a
MySQL ``DATETIME``. A declared type is checked as the dialect spells it; an ``alter_column``
of the default alone against the column's type in the simulated state (the live one, or
what an earlier change made it). A PostgreSQL enum or domain is not checked: inspection
does not read its allowed values.
"""

from __future__ import annotations

from ...inspect.state import SchemaState
from ...spec import defaults
from ..base import Change
from ..columns import AddColumn, AlterColumn
from ..tables import CreateTable
from ..typefit import declared, default_problem
from .registry import mariadb, rule, table_of


@rule(CreateTable, AddColumn, AlterColumn)
def _literal_default(change: Change, state: SchemaState) -> str | None:
    """Each literal default a change declares is a value of its column's type on this server."""
    table = table_of(state, change.table)
    for col in declared(change):
        if not col.literal:
            continue
        if col.type is not None:
            type_text = defaults.native_type(col.type, state.dialect)
        else:
            live = table.column(col.name) if table is not None else None
            if live is None:
                continue
            type_text = live.type
        why = default_problem(col, type_text, state.dialect, mariadb(state), f"{change.table}.{col.name},")
        if why:
            return why
    return None
