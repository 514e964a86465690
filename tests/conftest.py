"""Real databases for the tests: each test gets its own, created and dropped here.

PostgreSQL and MariaDB/MySQL come from RECON_TEST_POSTGRES_URL and
RECON_TEST_MYSQL_URL (defaulting to the local servers). An unreachable server
skips its tests with the reason, unless RECON_REQUIRE_SERVERS=1 (set by .ci/run),
which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from support import RECON_VARIABLES

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("RECON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("RECON_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql")
REQUIRE = os.environ.get("RECON_REQUIRE_SERVERS") == "1"


@dataclass
class TestDB:
    """One throwaway database: its URL, its dialect, and a way to run setup SQL."""

    __test__ = False
    url: str
    dialect: str

    def engine(self):
        return sa.create_engine(_with_driver(self.url), poolclass=NullPool)

    def run(self, script: str) -> None:
        """Execute a ';'-separated setup script, committed."""
        eng = self.engine()
        try:
            if self.dialect == "sqlite":
                raw = eng.raw_connection()
                try:
                    raw.executescript(script)
                    raw.commit()
                finally:
                    raw.close()
                return
            with eng.begin() as conn:
                for stmt in _split(script):
                    conn.exec_driver_sql(stmt)
        finally:
            eng.dispose()

    def scalar(self, sql: str):
        eng = self.engine()
        try:
            with eng.connect() as conn:
                return conn.exec_driver_sql(sql).scalar()
        finally:
            eng.dispose()


def _with_driver(url: str) -> str:
    for plain, driver in (("postgresql://", "postgresql+psycopg://"), ("mysql://", "mysql+pymysql://"), ("mariadb://", "mariadb+pymysql://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";\n") if s.strip() and not s.strip().startswith("--")]


def _server_engine(url: str, what: str):
    eng = sa.create_engine(_with_driver(url), poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        eng.dispose()
        reason = f"{what} not reachable at {sa.engine.make_url(url).render_as_string(hide_password=True)}: {type(exc).__name__}"
        if REQUIRE:
            pytest.fail(reason + " (RECON_REQUIRE_SERVERS=1)")
        pytest.skip(reason)
    return eng


@pytest.fixture
def sqlite_db(tmp_path) -> TestDB:
    path = tmp_path / "test.db"
    sa.create_engine(f"sqlite:///{path}").connect().close()
    return TestDB(url=f"sqlite:///{path}", dialect="sqlite")


@pytest.fixture
def postgres_db():
    eng = _server_engine(POSTGRES_URL, "PostgreSQL")
    name = f"recon_t_{uuid.uuid4().hex[:12]}"
    with eng.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(_with_driver(POSTGRES_URL)).set(database=name)
    try:
        yield TestDB(url=url.render_as_string(hide_password=False), dialect="postgresql")
    finally:
        with eng.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        eng.dispose()


@pytest.fixture
def mysql_db():
    eng = _server_engine(MYSQL_URL, "MariaDB/MySQL")
    name = f"recon_t_{uuid.uuid4().hex[:12]}"
    with eng.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}`")
    url = sa.engine.make_url(_with_driver(MYSQL_URL)).set(database=name)
    try:
        yield TestDB(url=url.render_as_string(hide_password=False), dialect="mysql")
    finally:
        with eng.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def db(request) -> TestDB:
    """The same test on each of the three engines."""
    fixture = {"sqlite": "sqlite_db", "postgresql": "postgres_db", "mysql": "mysql_db"}[request.param]
    return request.getfixturevalue(fixture)


@pytest.fixture(params=["postgresql", "mysql"])
def server_db(request) -> TestDB:
    """The same test on each database server (where SQLite's embedded engine has no meaning for it)."""
    return request.getfixturevalue({"postgresql": "postgres_db", "mysql": "mysql_db"}[request.param])


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """No RECON_* variable of the shell that runs the tests leaks into them."""
    for name in RECON_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def recon(capsys):
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    from engine.cli import main

    def run(*args) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main([str(a) for a in args])
        out, err = capsys.readouterr()
        return exit_info.value.code, out, err

    return run


@pytest.fixture
def specs(tmp_path) -> Path:
    """An empty spec folder."""
    folder = tmp_path / "specs"
    folder.mkdir()
    return folder
