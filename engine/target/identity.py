"""Which database a connection reaches, as the server reports it, not as the URL spells it.

A plan records the identity of the database it was made for, and apply refuses another:
``127.0.0.1`` and ``localhost`` reach the same database, and a database recreated under the
same name is another one. Read-only, without special privileges where possible:

- PostgreSQL: the cluster's system identifier (``pg_control_system()``, where the role may
  read it) and the database's oid; else the server's address, port and the database oid;
- MySQL 8: ``@@server_uuid`` and the schema;
- MariaDB, which has no ``server_uuid``: ``@@hostname``, ``@@port``, ``@@datadir`` and the schema;
- SQLite: the file's device and inode;

else (an in-memory SQLite database, a server that answers none of these) the normalized URL.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.exc import DBAPIError


def server_identity(conn, target, server_version: str = "") -> str:
    """The identity of the database ``conn`` (of ``target``) is connected to."""
    try:
        if target.dialect == "postgresql":
            return _postgres(conn)
        if target.dialect == "mysql":
            return _mysql(conn, "mariadb" in server_version.lower())
        if target.sqlite_path:
            stat = os.stat(Path(target.sqlite_path).resolve())
            return f"sqlite:dev={stat.st_dev}:ino={stat.st_ino}"
    except (DBAPIError, OSError):
        pass
    return url_identity(target)


def url_identity(target) -> str:
    """The fallback: dialect, host, port and database (or the SQLite file's absolute path)."""
    url = target.url
    where = str(Path(target.sqlite_path).resolve()) if target.sqlite_path else url.database or ""
    return f"{target.dialect}://{url.host or ''}:{url.port or ''}/{where}"


def _one(conn, sql: str):
    """One value, inside a savepoint where a transaction is open (a refused query leaves it usable)."""
    if not conn.in_transaction() or conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return conn.exec_driver_sql(sql).scalar()
    savepoint = conn.begin_nested()
    try:
        value = conn.exec_driver_sql(sql).scalar()
    except DBAPIError:
        savepoint.rollback()
        raise
    savepoint.commit()
    return value


def _postgres(conn) -> str:
    oid = _one(conn, "SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()")
    try:
        system = _one(conn, "SELECT system_identifier FROM pg_catalog.pg_control_system()")
        return f"postgresql:system={system}:db={oid}"
    except DBAPIError:  # not readable by this role
        where = conn.exec_driver_sql("SELECT host(inet_server_addr()), inet_server_port()").first()
        return f"postgresql:addr={where[0] or 'socket'}:port={where[1] or ''}:db={oid}"


def _mysql(conn, mariadb: bool) -> str:
    schema = _one(conn, "SELECT DATABASE()")
    if not mariadb:
        return f"mysql:uuid={_one(conn, 'SELECT @@server_uuid')}:schema={schema}"
    row = conn.exec_driver_sql("SELECT @@hostname, @@port, @@datadir").first()
    return f"mariadb:host={row[0]}:port={row[1]}:datadir={row[2]}:schema={schema}"
