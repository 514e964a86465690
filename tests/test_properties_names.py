"""Property: random identifiers render, execute and re-inspect exactly on each dialect that can hold
them; names a dialect cannot hold are refused by ``plan``, before anything runs.

Names mix quotes, backticks, backslashes, spaces, dots, digits first, mixed case, accented and
CJK letters (and on PostgreSQL and SQLite characters outside the BMP) with SQL's reserved words.
One database per test function serves every example: each example's tables and the ledger are
dropped at its end. Examples are few and derandomized, so the run is bounded and repeatable.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.errors import SpecError

RESERVED = ["select", "order", "user", "group", "table", "from", "where", "index", "key", "primary", "default",
            "check", "limit", "SELECT", "Order", "USER", "desc", "values", "column", "all"]
# Characters every dialect holds in a quoted name; "🚀" (outside the BMP) only PostgreSQL and SQLite.
PLAIN = "abcXYZ019 _-$%.\"'`\\éÉßüÜΩ日本"
WIDE = "🚀𝔸"

# One database per test function, reused by every example on purpose (each example drops what it made).
_BOUNDED = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
APPLIED = settings(max_examples=15, **_BOUNDED)  # each example applies, audits and plans again: ~0.3 s on MariaDB
REFUSED = settings(max_examples=20, **_BOUNDED)  # each example only plans


def quoted(name: str) -> str:
    """A one-part spec identifier for ``name``: in double quotes, ``""`` for a quote."""
    return '"' + name.replace('"', '""') + '"'


def holdable(dialect: str) -> st.SearchStrategy[str]:
    """Names ``dialect`` holds as written: no trailing space nor wide character on MySQL, at most 63 UTF-8 bytes."""
    alphabet = PLAIN + ("" if dialect == "mysql" else WIDE)
    made = st.text(alphabet=alphabet, min_size=1, max_size=14)
    name = st.one_of(st.sampled_from(RESERVED), made, st.tuples(st.sampled_from(RESERVED), made).map("".join))
    if dialect == "mysql":
        name = name.map(lambda n: n.rstrip(" ") or "sp")
    return name


def folded(dialect: str, name: str) -> str:
    """A key under which two names are surely one name on ``dialect`` when equal (a conservative fold)."""
    return name if dialect == "postgresql" else name.lower()


def tables(dialect: str):
    """A table name, its column names (distinct on every dialect's comparison) and an index name."""
    columns = st.lists(holdable(dialect), min_size=1, max_size=4, unique_by=lambda n: n.lower())
    return st.tuples(holdable(dialect), columns, holdable(dialect).map(lambda n: n + "_i")).filter(
        lambda t: folded(dialect, t[2]) != folded(dialect, t[0]))


def spec_folder(tmp_path, table: str, columns: list[str], index: str):
    """A unit creating ``table`` with ``columns`` and an index on the first, and a fingerprint naming each."""
    folder = tmp_path / "specs"
    folder.mkdir(exist_ok=True)
    unit = {"kind": "migration", "id": "names", "scope": "schema",
            "operations": [{"create_table": {"table": quoted(table), "columns": [{"name": c, "type": "integer"} for c in columns]}},
                           {"create_index": {"name": index, "table": quoted(table), "columns": [columns[0]]}}],
            "rollback": {"operations": [{"drop_table": {"table": quoted(table)}}]}}
    checks = [{"name": "t", "table": quoted(table)}, {"name": "i", "index": quoted(index), "on": quoted(table), "columns": [columns[0]]}]
    checks += [{"name": f"c{i}", "column": f"{quoted(table)}.{quoted(c)}", "type": "integer"} for i, c in enumerate(columns)]
    fingerprint = {"kind": "fingerprint", "name": "names", "checks": checks}
    (folder / "unit.yaml").write_text(json.dumps(unit, ensure_ascii=False), encoding="utf-8")  # JSON is YAML 1.2
    (folder / "fingerprint.yaml").write_text(json.dumps(fingerprint, ensure_ascii=False), encoding="utf-8")
    return engine.load_specs(folder)


def drop_all(db) -> None:
    """Drop every table of ``db`` (the example's table and the ledger), quoted by the dialect."""
    eng = db.engine()
    try:
        with eng.begin() as conn:
            for name in sa.inspect(conn).get_table_names():
                conn.exec_driver_sql(f"DROP TABLE {eng.dialect.identifier_preparer.quote_identifier(name)}")
    finally:
        eng.dispose()


def live_tables(db) -> dict[str, list[str]]:
    """The tables of ``db`` but the ledger, with their column names, as recon inspects them."""
    from support import inspected

    state = inspected(db)
    return {name: [c.name for c in t.columns] for (_, name), t in state.tables.items() if name != "recon_ledger"}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_random_names_apply_inspect_audit_and_replan_empty(request, tmp_path, dialect):
    db = request.getfixturevalue({"sqlite": "sqlite_db", "postgresql": "postgres_db", "mysql": "mysql_db"}[dialect])

    @APPLIED
    @given(tables(dialect))
    def check(names):
        table, columns, index = names
        specs = spec_folder(tmp_path, table, columns, index)
        try:
            engine.apply(engine.plan(specs, db.url), db.url)
            assert live_tables(db) == {table: columns}
            report = engine.audit(specs, db.url)
            assert report.fingerprint.complete, report.fingerprint.summary()
            assert report.fingerprint.total == len(columns) + 2
            assert engine.plan(specs, db.url).empty
        finally:
            drop_all(db)

    check()


def unholdable(dialect: str) -> st.SearchStrategy[tuple[str, list[str], str, str]]:
    """A table, columns and index of which one name ``dialect`` cannot hold, and what plan says of it."""
    name = st.text(alphabet="abcXY_é", min_size=1, max_size=8)
    ascii_name = st.text(alphabet="abcXY_", min_size=1, max_size=8)  # SQLite folds ASCII letters only
    cases = [name.map(lambda n: ("t", [n, "a\x00" + n], "ix", "holds a NUL character"))]
    if dialect == "mysql":
        cases += [name.map(lambda n: (n + " ", ["a"], "ix", "ends with a space")),
                  name.map(lambda n: ("t", ["a", n + "  "], "ix", "ends with a space")),
                  name.map(lambda n: ("t", ["a"], n + " ", "ends with a space")),
                  st.tuples(name, st.sampled_from(WIDE)).map(lambda p: (p[0] + p[1], ["a"], "ix", "outside the Basic Multilingual Plane")),
                  st.tuples(name, st.sampled_from(WIDE)).map(lambda p: ("t", [p[1] + p[0]], "ix", "outside the Basic Multilingual Plane")),
                  name.filter(lambda n: n.swapcase() != n).map(lambda n: ("t", [n, n.swapcase()], "ix", "compares column names ignoring case")),
                  st.integers(65, 80).map(lambda k: ("é" * k, ["a"], "ix", "characters on MySQL/MariaDB, which allows 64"))]
    if dialect == "sqlite":
        cases += [ascii_name.filter(lambda n: n.swapcase() != n).map(lambda n: ("t", [n, n.swapcase()], "ix", "compares column names ignoring case")),
                  ascii_name.filter(lambda n: n.upper() != n).map(lambda n: (n, ["a"], n.upper(), "one namespace"))]
    if dialect == "postgresql":
        cases += [st.integers(32, 40).map(lambda k: ("t", ["é" * k], "ix", "bytes on PostgreSQL, which allows 63")),
                  st.integers(64, 80).map(lambda k: ("x" * k, ["a"], "ix", "bytes on PostgreSQL, which allows 63"))]
    return st.one_of(cases)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_names_a_dialect_cannot_hold_are_refused_at_plan_time(request, tmp_path, dialect):
    db = request.getfixturevalue({"sqlite": "sqlite_db", "postgresql": "postgres_db", "mysql": "mysql_db"}[dialect])

    @REFUSED
    @given(unholdable(dialect))
    def check(case):
        table, columns, index, said = case
        specs = spec_folder(tmp_path, table, columns, index)
        with pytest.raises(SpecError) as refused:
            engine.plan(specs, db.url)
        assert "cannot plan" in str(refused.value) and said in str(refused.value), str(refused.value)
        assert live_tables(db) == {}  # nothing ran: the plan refused before apply

    check()
