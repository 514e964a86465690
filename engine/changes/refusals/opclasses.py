"""PostgreSQL types that a btree index cannot take: the geometric types (``point``, ``line``, ``lseg``,
``box``, ``path``, ``polygon``, ``circle``, and arrays of them) have no default btree operator
class, so neither an index nor a unique key can be made on them (``keys.py`` says the same of
``json`` and ``xml``). Such columns come only from the catalog: a ``create_table`` declares
portable types, none of them geometric.
"""

from __future__ import annotations

from ...inspect.state import SchemaState
from ..base import Change
from ..constraints import AddConstraint
from ..indexes import CreateIndex
from .registry import rule, table_of

_GEOMETRIC = frozenset({"point", "line", "lseg", "box", "path", "polygon", "circle"})


@rule(CreateIndex, AddConstraint)
def _geometric_key(change: Change, state: SchemaState) -> str | None:
    if state.dialect != "postgresql" or isinstance(change, AddConstraint) and change.kind != "unique":
        return None
    table = table_of(state, change.table)
    for col in (table.column(c) for c in change.columns) if table else ():
        if col is not None and col.type.strip().lower().removesuffix("[]") in _GEOMETRIC:
            return (f"{change.name}: column {table.name}.{col.name} is {col.type}, which PostgreSQL cannot index "
                    "(it has no btree operator class)")
    return None
