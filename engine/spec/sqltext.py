"""Declared raw SQL (migration ``sql`` operations, guard and invariant queries) parsed with sqlglot.

Parsing happens at validation, so a statement that does not parse, or a
query that must be one SELECT and is not, is reported with its file and line
before anything connects.
"""

from __future__ import annotations

_WRITES = ("Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "TruncateTable", "Command", "Into", "Lock")


def parse(text: str, dialect: str | None) -> list:
    """The sqlglot trees of ``text`` (one per statement); ValueError names what failed."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        trees = [t for t in sqlglot.parse(text, read=dialect or None) if t is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"SQL does not parse{f' as {dialect}' if dialect else ''}: {first}") from None
    if not trees:
        raise ValueError("SQL is empty")
    return trees


def single_select_problem(text: str, dialect: str | None) -> str | None:
    """Why ``text`` is not exactly one read-only SELECT, or None when it is."""
    from sqlglot import exp

    try:
        trees = parse(text, dialect)
    except ValueError as exc:
        return str(exc)
    if len(trees) != 1:
        return "must be exactly one SELECT statement, found %d statements" % len(trees)
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        return "must be exactly one SELECT statement, found " + type(tree).__name__.upper()
    writes = sorted({type(node).__name__.upper() for node in tree.walk() if type(node).__name__ in _WRITES})
    if writes:
        return "must be a read-only SELECT, found %s inside" % ", ".join(writes)
    return None


def _trees(text: str, dialect: str):
    try:
        return parse(text, dialect)
    except ValueError:
        return []


def destructive(text: str, dialect: str) -> bool:
    """DROP, TRUNCATE, ALTER ... DROP, and DELETE/UPDATE without WHERE lose data."""
    from sqlglot import exp

    for tree in _trees(text, dialect):
        if isinstance(tree, (exp.Drop, exp.TruncateTable)):
            return True
        if isinstance(tree, (exp.Delete, exp.Update)) and not tree.args.get("where"):
            return True
        if isinstance(tree, exp.Alter) and any(isinstance(a, exp.Drop) or type(a).__name__.startswith("Drop") for a in tree.args.get("actions") or []):
            return True
    return False


def self_guarded(text: str, dialect: str) -> bool:
    """Whether every statement carries its own guard: ``IF [NOT] EXISTS`` or a plain SELECT."""
    from sqlglot import exp

    trees = _trees(text, dialect)
    if not trees:
        return False
    for tree in trees:
        if isinstance(tree, exp.Query):
            continue
        if isinstance(tree, (exp.Create, exp.Drop)) and tree.args.get("exists"):
            continue
        if isinstance(tree, exp.Alter) and all(a.args.get("exists") for a in tree.args.get("actions") or []):
            continue
        return False
    return True
