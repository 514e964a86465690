"""Running sqlglot trees on a SQLAlchemy connection with bound values.

A tree carries values as named placeholders (``param(i)``); ``execute``
renders it for the connection's dialect and hands the values to the driver
separately, so nothing from a spec is ever pasted into SQL text. Identifiers
are quoted by construction (``ident``/``table``).
"""

from __future__ import annotations

import re

from ..spec.types import SQLGLOT_DIALECT

_PREFIX = "__p"


def ident(name: str):
    """A quoted identifier node."""
    from sqlglot import exp

    return exp.to_identifier(name, quoted=True)


def table(name: str, schema: str | None = None):
    """A quoted ``[schema.]table`` node."""
    from sqlglot import exp

    return exp.Table(this=ident(name), db=ident(schema) if schema else None)


def column(name: str, table_alias: str | None = None):
    """A quoted column node, optionally qualified by a table alias."""
    from sqlglot import exp

    return exp.Column(this=ident(name), table=ident(table_alias) if table_alias else None)


def param(index: int):
    """The placeholder node for bound value number ``index``."""
    from sqlglot import exp

    return exp.Placeholder(this=f"{_PREFIX}{index}")


def params(values) -> dict:
    """The parameter dict matching ``param(0..n-1)`` for ``values``."""
    return {f"{_PREFIX}{i}": v for i, v in enumerate(values)}


def render(tree, dialect: str) -> str:
    """SQL text of ``tree`` for recon dialect ``dialect`` (sqlite, postgresql, mysql)."""
    return tree.sql(dialect=SQLGLOT_DIALECT[dialect])


def to_driver(sql: str, dialect: str) -> str:
    """Rewrite sqlglot's placeholders into the driver's paramstyle, escaping stray ``%``."""
    if dialect == "sqlite":
        return sql  # sqlite3 takes :name natively
    if dialect == "postgresql":
        return re.sub(r"%(?!\(__p\d+\)s)", "%%", sql)
    escaped = sql.replace("%", "%%")
    return re.sub(r":(__p\d+)\b", r"%(\1)s", escaped)


def dialect_of(conn) -> str:
    """recon's dialect name for a SQLAlchemy connection (MariaDB is ``mysql``)."""
    name = conn.dialect.name
    return "mysql" if name == "mariadb" else name


def prepare(tree, dialect: str) -> str:
    """Driver-ready text of ``tree``: render once, run many times with ``run_prepared``."""
    return to_driver(render(tree, dialect), dialect)


def run_prepared(conn, sql: str, values=()):
    """Execute text from ``prepare`` with ``values`` bound."""
    return conn.exec_driver_sql(sql, params(values))


def driver_text(tree, dialect: str) -> str:
    """Driver-ready text of a tree that binds nothing: a literal ``%`` doubled where the driver formats."""
    text = render(tree, dialect)
    return text if dialect == "sqlite" else text.replace("%", "%%")


def run_driver(conn, sql: str, values=()):
    """Execute driver-ready text (``driver_text``, ``rowsql``) with ``values`` bound by position."""
    return conn.exec_driver_sql(sql, tuple(values))


def send(conn, sql: str, values=None) -> None:
    """Execute driver-ready ``sql`` whose result nobody reads (a unit's statements, BEGIN and COMMIT,
    a ledger row) on the DBAPI cursor beneath ``conn``, past SQLAlchemy's execution context and result
    objects (25 to 70 µs of client CPU a statement: a sixth of an apply's time per unit on PostgreSQL).
    ``values`` are what ``exec_driver_sql`` would take (None: none), and everything else is as
    ``exec_driver_sql`` does it: the same empty parameters (so a doubled ``%`` means one), the
    ``before_cursor_execute`` listeners told (the statement count), and a driver error raised as a
    ``DBAPIError`` naming the statement, with the connection invalidated when the driver says it is lost."""
    dialect = conn.dialect
    params = values if values is not None else (dialect.execute_sequence_format() if dialect.positional else {})
    _cursor(conn, sql, params).close()


def _cursor(conn, sql: str, params, fetch: bool = False):
    """A DBAPI cursor beneath ``conn`` that executed ``sql`` with ``params``, as ``send`` describes;
    with ``fetch``, its rows instead (SQLite may fail only as they are read: a view over a table
    dropped since)."""
    from sqlalchemy.exc import DBAPIError

    dbapi_conn, dialect = conn.connection.dbapi_connection, conn.dialect
    cursor = dbapi_conn.cursor()
    conn.dispatch.before_cursor_execute(conn, cursor, sql, params, None, False)
    try:
        cursor.execute(sql, params)
        if fetch:
            rows = cursor.fetchall()
            cursor.close()
            return rows
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, dbapi_conn, cursor)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                                  dialect=dialect) from exc
    return cursor


def fetch_all(conn, statement) -> list:
    """Every row of SQLAlchemy ``statement`` (a ``text()`` with its values bound), as the driver's
    tuples: compiled for the connection's dialect, then run as ``send`` runs a statement, past
    SQLAlchemy's result objects (a 21,000-row catalog read: 25 ms of its 100). The connection's
    transaction begins as ``execute`` would begin it."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    bound = compiled.params
    params = tuple(bound[name] for name in compiled.positiontup) if conn.dialect.positional else bound
    if not conn.in_transaction():
        conn.begin()
    return _cursor(conn, compiled.string, params, fetch=True)


def read_rows(conn, sql: str, values=()) -> list:
    """Rows of a driver-ready SELECT with ``values`` bound by position, inside a savepoint where a
    transaction is open, so that a refused query (a value the column cannot hold) leaves it usable."""
    if not conn.in_transaction():
        return run_driver(conn, sql, values).fetchall()
    savepoint = conn.begin_nested()
    try:
        rows = run_driver(conn, sql, values).fetchall()
    except Exception:
        savepoint.rollback()
        raise
    savepoint.commit()
    return rows


# Values one statement may bind: PostgreSQL's protocol counts them in 16 bits; PyMySQL formats
# values into the text (the real bound there is max_allowed_packet, which apply checks in bytes).
BIND_LIMITS = {"postgresql": 65535, "mysql": 65535}


def bind_limit(conn) -> int:
    """How many values one statement on ``conn`` may bind (SQLite: its SQLITE_MAX_VARIABLE_NUMBER)."""
    dialect = dialect_of(conn)
    if dialect == "sqlite":
        import sqlite3

        return conn.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return BIND_LIMITS[dialect]


def execute(conn, tree, values=()):
    """Execute ``tree`` with ``values`` bound; returns the SQLAlchemy result."""
    return run_prepared(conn, prepare(tree, dialect_of(conn)), values)


def run_text(conn, sql: str):
    """Execute declared or planned SQL text as written (a literal ``%`` escaped for the driver)."""
    return conn.exec_driver_sql(to_driver(sql, dialect_of(conn)))


def send_text(conn, sql: str) -> None:
    """``run_text`` for a statement whose result is not read: through ``send``."""
    send(conn, to_driver(sql, dialect_of(conn)))


def guard_holds(conn, query: str, source_dialect: str) -> bool:
    """A raw-SQL guard: one SELECT written in ``source_dialect``, true when it returns a true value."""
    import sqlglot

    text = sqlglot.transpile(query, read=source_dialect, write=SQLGLOT_DIALECT[dialect_of(conn)])[0]
    value = run_text(conn, text).scalar()
    return bool(value) and str(value).lower() not in ("0", "false", "f")
