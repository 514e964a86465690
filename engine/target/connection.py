"""Targets: a SQLAlchemy URL resolved from --db, RECON_DATABASE_URL or an environment.

This module is the only place that opens connections. It picks the drivers
recon ships (psycopg 3, PyMySQL), opens read-only sessions for the commands
that must never write, counts the statements sent (for the constant round-trip
property) and keeps passwords out of every message.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import TargetError, UsageError

DIALECTS = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg", "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
# user:password@host, the password up to the last @ before the path (an unencoded @ or space included)
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)([^/]*)(@)")
# libpq and the MySQL drivers also take passwords as query parameters (?password=..., ?sslpassword=...)
_PASSWORD_PARAMETERS = ("password", "passwd", "pwd", "sslpassword")
_PASSWORD_IN_QUERY = re.compile(r"([?&](?:" + "|".join(_PASSWORD_PARAMETERS) + r")=)(?!\*\*\*(?:$|[&\s:'\"]))([^&]*)", re.IGNORECASE)
# (the value up to the next parameter, whatever it holds; one already hidden as *** is left, so that
# redacting a message twice does not swallow the text after its URL)


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with any of ``secrets`` and any URL password (in the authority or the query) replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):  # a longer secret first, should one contain another
        if secret:
            text = text.replace(secret, "***")
    text = _PASSWORD_IN_URL.sub(r"\1***\3", text)
    return _PASSWORD_IN_QUERY.sub(r"\1***", text)


@dataclass
class Target:
    """A database to inspect or change, with a password-free display form."""

    url: "object"  # sqlalchemy.engine.URL
    dialect: str
    statements: int = field(default=0)

    @property
    def display_url(self) -> str:
        """The URL as it may appear in output: password hidden (also a ``?password=`` parameter), driver suffix kept."""
        return redact_text(self.url.render_as_string(hide_password=True))

    @property
    def sqlite_path(self) -> str | None:
        """The SQLite file path, or None for a server or an in-memory database."""
        if self.dialect != "sqlite":
            return None
        db = self.url.database
        return None if db in (None, "", ":memory:") else db

    def scrub(self, text: str) -> str:
        """``text`` with this target's password removed."""
        secrets = [self.url.password] + [self.url.query.get(k) for k in self.url.query if k.lower() in _PASSWORD_PARAMETERS]
        return redact_text(text, tuple(str(x if isinstance(x, str) else x[0]) for x in secrets if x))


def resolve_url(db: str | None, env_name: str | None = None, environments=None) -> str:
    """The target URL: ``--db``, else ``RECON_DATABASE_URL``, else the named environment's variable."""
    if db:
        return db
    value = os.environ.get("RECON_DATABASE_URL")
    if value:
        return value
    if env_name:
        env = _find_environment(env_name, environments)
        value = os.environ.get(env.database_url_env)
        if not value:
            raise UsageError(f"environment {env_name!r} reads its URL from ${env.database_url_env}, which is not set")
        return value
    raise UsageError("no target database: give --db URL, set RECON_DATABASE_URL, or select an environment with --env NAME")


def _find_environment(name, environments):
    for env in environments or ():
        if env.name == name:
            return env
    known = ", ".join(e.name for e in environments or ()) or "none declared"
    raise UsageError(f"unknown environment {name!r} (declared: {known})")


def make_target(url_text: str) -> Target:
    """Parse and normalise ``url_text``; a bad URL is a TargetError that never shows the password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError):
        raise TargetError(f"invalid database URL {redact_text(url_text)!r}: expected dialect://user@host/db or sqlite:///path.db") from None
    backend = url.get_backend_name()
    dialect = DIALECTS.get(backend)
    if dialect is None:
        raise TargetError(f"unsupported database {backend!r} in {redact_text(url_text)!r}: recon supports sqlite, postgresql, mysql and mariadb")
    if "+" not in url.drivername and url.drivername in DRIVERS:
        url = url.set(drivername=DRIVERS[url.drivername])
    return Target(url=url, dialect=dialect)


def create_engine(target: Target, read_only: bool):
    """A SQLAlchemy engine without pooling; SQLite read-only opens the file with ``mode=ro``."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    url = target.url
    kwargs: dict = {"poolclass": NullPool}
    if target.dialect == "sqlite":
        path = target.sqlite_path
        if not read_only:
            kwargs["connect_args"] = {"timeout": 0}  # apply's BEGIN IMMEDIATE: a held lock answers at once
        if path is not None:
            if not Path(path).is_file():
                raise TargetError(f"no SQLite database at {path!r} (recon never creates one when it only reads)")
            if read_only:
                url = url.set(database=f"file:{Path(path).resolve()}?mode=ro", query={"uri": "true"})
    elif target.dialect == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 10}
    elif target.dialect == "mysql":
        kwargs["connect_args"] = {"connect_timeout": 10}
    engine = sa.create_engine(url, **kwargs)
    _count_statements(engine, target)
    return engine


def _count_statements(engine, target: Target) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        target.statements += 1


@contextmanager
def read_only_connection(target: Target) -> Iterator["object"]:
    """A connection inside a read-only transaction, rolled back on exit.

    PostgreSQL: ``BEGIN READ ONLY``; MySQL/MariaDB: ``START TRANSACTION READ ONLY``
    in a session set ``READ ONLY`` (the connection is never pooled);
    SQLite: the file opened with ``mode=ro`` (and never created).
    """
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(target, read_only=True)
    try:
        with _connect(engine, target) as conn:
            if target.dialect == "postgresql":
                conn = conn.execution_options(postgresql_readonly=True)
                conn.begin()
            elif target.dialect == "mysql":
                # Session-wide too: DDL commits implicitly and would escape a
                # read-only transaction, but not a read-only session.
                conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
                conn.exec_driver_sql("START TRANSACTION READ ONLY")
            else:
                conn.begin()
            try:
                yield conn
            except DBAPIError as exc:
                raise TargetError(f"query failed on {target.display_url}: {target.scrub(driver_message(exc))}") from None
            finally:
                conn.rollback()
    finally:
        engine.dispose()


@contextmanager
def _connect(engine, target: Target):
    from sqlalchemy.exc import DBAPIError, OperationalError

    try:
        conn = engine.connect()
    except (OperationalError, DBAPIError) as exc:
        raise TargetError(f"cannot connect to {target.display_url}: {target.scrub(driver_message(exc))}") from None
    try:
        yield conn
    finally:
        conn.close()


def driver_message(exc) -> str:
    """The first line of what the driver said (passwords are scrubbed by the caller)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__
