"""The rule registry and the reads of the simulated state that every rule shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlglot import exp

from ...inspect.state import SchemaState, Table
from ..base import Change
from ..simstate import _key as key_of  # noqa: F401  (the lookups every rule shares)
from ..simstate import _table as table_of  # noqa: F401

Rule = Callable[[Change, SchemaState], "str | None"]
RULES: dict[type, list[Rule]] = {}


def rule(*kinds: type) -> Callable[[Rule], Rule]:
    """Register a rule for the change types ``kinds``."""
    def register(fn: Rule) -> Rule:
        for kind in kinds:
            RULES.setdefault(kind, []).append(fn)
        return fn
    return register


def mariadb(state: SchemaState) -> bool:
    return state.is_mariadb


def absent(table: Table, names: Iterable[str]) -> list[str]:
    return [n for n in names if table.column(n) is None]


def expression_columns(text: str | None, dialect: str) -> list[str]:
    """The column names a declared SQL expression (a check, an index predicate) reads."""
    if not text:
        return []
    tree = exp.condition(text, dialect=dialect)
    return list(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))


def unknown_in_expression(table: Table, text: str | None, dialect: str) -> list[str]:
    """Columns an expression names that the table lacks (unquoted names match case-insensitively)."""
    have = {c.name.lower() for c in table.columns}
    return [n for n in expression_columns(text, dialect) if table.column(n) is None and n.lower() not in have]


def names(columns: Iterable[str]) -> str:
    return ", ".join(columns)
