"""MySQL 8 / MariaDB catalog reader: five information_schema queries, whatever the number of tables.

The version and connected database come first (the version says whether the
server is MariaDB, whose catalog differs in two places: it has no
``STATISTICS.EXPRESSION`` and names check constraints per table); then
columns, indexes, key constraints and check constraints come in one query
each, filtered with ``TABLE_SCHEMA IN :schemas``.

Column defaults are reported as SQL expressions (``'abc'``, ``0``,
``current_timestamp()``), which is what MariaDB's catalog holds; MySQL 8's raw
literals are quoted to match, and MariaDB's ``NULL`` (no default) is None.
The primary key constraint is named ``PRIMARY``, as the server names it.
Each table keeps its storage engine and each string column its collation, which a
foreign key needs to match.
"""

from __future__ import annotations

from dataclasses import replace

from .catalog import (
    build_constraints,
    build_indexes,
    build_tables,
    fetch,
    load_sql,
    only,
    schema_list,
)
from .state import SchemaState

# DATA_TYPE values whose MySQL 8 COLUMN_DEFAULT is already a valid SQL literal.
UNQUOTED_TYPES = frozenset(
    {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric",
     "float", "double", "real", "bit", "year", "bool", "boolean"}
)


def inspect(conn, schemas: tuple[str, ...], tables=None) -> SchemaState:
    """Read the connected database plus ``schemas`` (other databases) from MySQL or MariaDB (only ``tables``, if given)."""
    state = SchemaState(dialect="mysql", default_schema="")
    version, default, charset_bytes, folds = fetch(conn, state, load_sql("mysql_meta"))[0]
    state.table_names_fold = int(folds or 0) in (1, 2)
    state.server_version = version
    state.charset_bytes = int(charset_bytes or 0)
    state.default_schema = default or ""
    state.only = only(tables, state.default_schema)
    flavor = "mariadb" if "mariadb" in version.lower() else "mysql"
    params = {"schemas": schema_list(state.default_schema, schemas)}

    def run(name: str) -> list:
        return fetch(conn, state, load_sql(name), params, expanding=("schemas",))

    columns = run("mysql_columns")
    state.tables = _with_storage(build_tables(_normalised_columns(columns, flavor == "mariadb")), columns)
    state.indexes = build_indexes(run(f"{flavor}_indexes"))
    state.constraints = build_constraints(run("mysql_constraints") + run(f"{flavor}_checks"))
    state.tables = _with_partition_keys(conn, state, params)
    return state


def _with_partition_keys(conn, state: SchemaState, params: dict) -> dict:
    """Partitioned tables with the columns their partitioning reads (a unique key must hold them):
    one more query, only when there are partitioned tables, for those only."""
    names = sorted({t.name for t in state.tables.values() if t.kind == "partitioned"})
    if not names:
        return state.tables
    rows = fetch(conn, state, load_sql("mysql_partitions"), {**params, "names": names}, expanding=("schemas", "names"))
    keys: dict[tuple[str, str], list[str]] = {}
    for schema, table, expression, subexpression in rows:
        for text in (expression, subexpression):
            keys.setdefault((schema, table), []).extend(_columns_read(text))
    return {k: replace(t, partition_key=tuple(dict.fromkeys(keys[k]))) if k in keys else t for k, t in state.tables.items()}


def _columns_read(text: str | None) -> list[str]:
    """The columns a partitioning expression or column list reads (``year(`at`)``, ```a`,`b```)."""
    if not text:
        return []
    from sqlglot import exp

    return [c.name for c in exp.condition(f"({text})", dialect="mysql").find_all(exp.Column)]


def _normalised_columns(rows: list, mariadb: bool):
    """Column rows in the shared shape, with defaults as SQL expressions.

    Each table's header row (position 0) carries its kind; columns of objects
    without a header (MariaDB sequences) are dropped.
    """
    kinds: dict[tuple[str, str], str] = {}
    for schema, table, position, kind, name, type_, nullable, default, data_type, extra, generation, _comment, _table_collation, _storage in rows:
        if position == 0:
            kinds[(schema, table)] = kind
            yield schema, table, kind, None, None, None, None, None, None
        elif (schema, table) in kinds:
            generated = "auto_increment" in (extra or "").lower()
            computed = any(word in (extra or "").upper() for word in ("VIRTUAL GENERATED", "STORED GENERATED"))
            default = column_default(default, data_type, extra, mariadb)
            yield (schema, table, kinds[(schema, table)], name, type_, nullable, default, generated, computed, False,
                   generation if computed else None)


def _with_storage(tables: dict, rows: list) -> dict:
    """``tables`` with each table's storage engine and default collation and each column's comment
    and string column's collation (the rows' last field: ENGINE on a header row, COLLATION_NAME on a
    column row; the one before it TABLE_COLLATION on a header row; the one before that COLUMN_COMMENT)."""
    engines = {(row[0], row[1]): row[-1] for row in rows if row[2] == 0}
    defaults = {(row[0], row[1]): row[-2] for row in rows if row[2] == 0}
    collations = {(row[0], row[1], row[4]): row[-1] for row in rows if row[2] != 0 and row[-1]}
    comments = {(row[0], row[1], row[4]): row[-3] for row in rows if row[2] != 0 and row[-3]}
    out = {}
    for key, table in tables.items():
        columns = tuple(replace(c, collation=collations.get((*key, c.name)), comment=comments.get((*key, c.name)))
                        for c in table.columns)
        out[key] = replace(table, columns=columns, engine=engines.get(key), collation=defaults.get(key))
    return out


def column_default(raw: str | None, data_type: str, extra: str | None, mariadb: bool) -> str | None:
    """A catalog COLUMN_DEFAULT as a SQL expression, or None when there is no default.

    MariaDB 10.2+ already stores expressions and spells "no default" ``NULL``.
    MySQL 8 stores string literals bare and marks expression defaults
    ``DEFAULT_GENERATED`` in EXTRA.
    """
    if raw is None:
        return None
    if mariadb:
        return None if raw == "NULL" else raw
    if "DEFAULT_GENERATED" in (extra or "").upper() or (data_type or "").lower() in UNQUOTED_TYPES:
        return raw
    return "'" + raw.replace("\\", "\\\\").replace("'", "''") + "'"
