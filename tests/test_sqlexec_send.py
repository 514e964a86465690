"""``sqlexec.send``: the statements of an apply's units past SQLAlchemy's execution layer, on every
dialect, behave as ``exec_driver_sql`` does: values bound, a doubled ``%`` read as one, the statement
counted, a driver error raised as a ``DBAPIError`` and a lost session invalidating the connection."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from support import stored_rows

from engine.target import sqlexec
from engine.target.connection import create_engine, make_target


def _session(db):
    """(target, engine, connection) as apply opens them: recon's engine (with its statement count), autocommit."""
    target = make_target(db.url)
    engine = create_engine(target, read_only=False)
    return target, engine, engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def test_send_binds_values_counts_statements_and_keeps_percent(db):
    target, engine, conn = _session(db)
    try:
        before = target.statements
        sqlexec.send_text(conn, "CREATE TABLE sent (id INTEGER PRIMARY KEY, note VARCHAR(20) DEFAULT '50% off')")
        sqlexec.send(conn, "BEGIN")
        insert = sqlexec.prepare(sa_insert(), target.dialect)
        sqlexec.send(conn, insert, sqlexec.params([1, "it's 100%"]))
        sqlexec.send_text(conn, "INSERT INTO sent (id) VALUES (2)")
        sqlexec.send(conn, "COMMIT")
        assert target.statements - before == 5
    finally:
        conn.close()
        engine.dispose()
    assert stored_rows(db, "SELECT id, note FROM sent ORDER BY id") == [(1, "it's 100%"), (2, "50% off")]


def sa_insert():
    """INSERT INTO sent (id, note) VALUES (param 0, param 1) as a sqlglot tree."""
    from sqlglot import exp

    return exp.insert(exp.values([(sqlexec.param(0), sqlexec.param(1))]),
                      exp.Schema(this=sqlexec.table("sent"), expressions=[sqlexec.ident("id"), sqlexec.ident("note")]))


def test_send_raises_a_dbapi_error_naming_the_statement(db):
    _, engine, conn = _session(db)
    try:
        with pytest.raises(DBAPIError) as caught:
            sqlexec.send_text(conn, "INSERT INTO no_such_table (id) VALUES (1)")
        assert caught.value.statement == "INSERT INTO no_such_table (id) VALUES (1)"
        assert "no_such_table" in str(caught.value.orig)
        assert not caught.value.connection_invalidated and not conn.invalidated
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1  # the session goes on
    finally:
        conn.close()
        engine.dispose()


def test_send_on_a_session_the_server_ended_invalidates_the_connection(server_db):
    target, engine, conn = _session(server_db)
    try:
        if target.dialect == "postgresql":
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            kill = f"SELECT pg_terminate_backend({pid})"
        else:
            kill = f"KILL {conn.exec_driver_sql('SELECT CONNECTION_ID()').scalar()}"
        other = sa.create_engine(make_target(server_db.url).url, poolclass=sa.pool.NullPool)
        with other.connect() as killer:
            killer.exec_driver_sql(kill)
        other.dispose()
        with pytest.raises(DBAPIError) as caught:
            sqlexec.send(conn, "BEGIN")
        assert caught.value.connection_invalidated and conn.invalidated
    finally:
        conn.close()
        engine.dispose()
