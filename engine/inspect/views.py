"""Which views read which tables and columns, for the drops and type changes they would block.

PostgreSQL records it in ``pg_depend`` (one catalog query, ``postgresql_view_reads.sql``);
SQLite keeps only each view's ``CREATE VIEW`` text, which is parsed here with sqlglot.
The result maps ``(schema, table)`` to ``((view, column), ...)``, where a column of
``None`` means the view reads the table as a whole (``SELECT *``), not a named column.
"""

from __future__ import annotations

from collections.abc import Iterable

Reads = dict[tuple[str, str], tuple[tuple[str, "str | None"], ...]]


def from_rows(rows: Iterable[tuple]) -> Reads:
    """Reads from catalog rows ``(schema, table, view_schema, view, column)``; the view is
    named ``schema.view`` where it lives in another schema than the table."""
    out: dict[tuple[str, str], list] = {}
    for schema, table, view_schema, view, column in rows:
        name = view if view_schema == schema else f"{view_schema}.{view}"
        out.setdefault((schema, table), []).append((name, column))
    return {key: tuple(dict.fromkeys(reads)) for key, reads in out.items()}


def from_sqlite(schema: str, views: Iterable[tuple[str, str | None]], columns: dict[tuple[str, str], set[str]]) -> Reads:
    """Reads of SQLite views ``(name, create_sql)`` in database ``schema``; ``columns`` names
    each table's columns, to place the unqualified columns a view reads."""
    out: dict[tuple[str, str], list] = {}
    for name, sql in views:
        for table, column in _view_reads(sql or "", columns, schema):
            out.setdefault((schema, table), []).append((name, column))
    return {key: tuple(dict.fromkeys(reads)) for key, reads in out.items()}


def _view_reads(sql: str, columns: dict[tuple[str, str], set[str]], schema: str) -> list[tuple[str, str | None]]:
    import sqlglot  # here, not at the top: only SQLite's views are parsed (PostgreSQL's inspection imports no sqlglot)
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except SqlglotError:
        return []
    query = tree.expression if isinstance(tree, exp.Create) else tree
    if query is None:
        return []
    ctes = {c.alias_or_name for c in query.find_all(exp.CTE)}
    aliases = {t.alias_or_name: t.name for t in query.find_all(exp.Table) if t.name not in ctes}
    reads = [(table, None) for table in aliases.values()]
    for col in query.find_all(exp.Column):
        if col.name == "*":
            continue
        owners = [aliases[col.table]] if col.table in aliases else [
            t for t in aliases.values() if col.name in columns.get((schema, t), ())]
        reads += [(owner, col.name) for owner in owners]
    return reads
