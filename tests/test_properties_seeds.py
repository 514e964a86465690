"""Property: random seed values of every portable type round-trip and converge on each dialect.

A seed of random rows is planned and applied into a table of every portable type; the stored rows
read back equal the declared values as recon's diff compares them (``engine.diff.values.same``,
by the column's family as the catalog spells it), and a new plan is empty. Values outside what a
column holds are refused by ``plan``, before anything runs. One database per test function: the
table is made once, and each example deletes its rows at its end.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import inspected

import engine
from engine.diff.values import Column, same
from engine.errors import SpecError
from engine.spec.model import Seed, Source, table_ref

COLUMNS = {"t": "text", "v": "varchar(10)", "i": "integer", "b": "bigint", "s": "smallint", "bo": "boolean",
           "n": "numeric(12,3)", "d": "date", "ts": "timestamp", "tz": "timestamptz", "u": "uuid", "j": "json", "f": "double"}
UNIT = {"kind": "migration", "id": "vals", "scope": "schema",
        "operations": [{"create_table": {"table": "vals", "columns": [{"name": "id", "type": "integer", "primary_key": True}]
                                         + [{"name": c, "type": t} for c, t in COLUMNS.items()]}}],
        "rollback": {"operations": [{"drop_table": {"table": "vals"}}]}}

_BOUNDED = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
APPLIED = settings(max_examples=12, **_BOUNDED)
REFUSED = settings(max_examples=12, **_BOUNDED)


def _text(max_size: int) -> st.SearchStrategy[str]:
    """Text with quotes, backslashes, newlines, unicode and emoji; no NUL (no server stores one in text) and no lone surrogate."""
    return st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=max_size)


def _extremes(bits: int) -> st.SearchStrategy[int]:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return st.one_of(st.sampled_from([low, high, 0, -1, 1]), st.integers(low, high))


def _moment(offset: bool) -> st.SearchStrategy[str]:
    """ISO text of a date and time MySQL's DATETIME(6) holds (years 1000 to 9999), to the microsecond."""
    when = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 30))
    if not offset:
        return when.map(lambda m: m.isoformat(sep=" "))
    zone = st.integers(-14 * 4, 14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
    return st.tuples(when.filter(lambda m: m.year > 1000), zone).map(lambda p: p[0].replace(tzinfo=p[1]).isoformat(sep=" "))


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10 ** 6, 10 ** 6) | st.floats(allow_nan=False, allow_infinity=False) | _text(8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text(5), inner, max_size=3), max_leaves=6)

VALUES = {
    "t": _text(40), "v": _text(10),
    "i": _extremes(32), "b": _extremes(64), "s": _extremes(16), "bo": st.booleans(),
    "n": st.decimals(min_value=Decimal("-999999999.999"), max_value=Decimal("999999999.999"), places=3, allow_nan=False)
         .map(lambda d: float(d) if Decimal(repr(float(d))) == d else str(d)),
    "d": st.dates(min_value=datetime(1000, 1, 1).date(), max_value=datetime(9999, 12, 31).date()).map(str),
    "ts": _moment(offset=False), "tz": _moment(offset=True) | _moment(offset=False),
    "u": st.uuids().map(str).map(lambda u: u.upper() if u[0] in "0123" else u),
    "f": st.floats(allow_nan=False, allow_infinity=False),
    "j": _JSON.map(lambda v: json.dumps(v, ensure_ascii=False)),
}


def rows() -> st.SearchStrategy[list[dict]]:
    """One to three rows, keys 1..n, each naming every column with a value or null."""
    row = st.fixed_dictionaries({c: st.one_of(st.none(), s) if c != "t" else s for c, s in VALUES.items()})
    return st.lists(row, min_size=1, max_size=3).map(lambda rs: [{"id": i + 1, **r} for i, r in enumerate(rs)])


def folder(tmp_path, seed_rows: list[dict]):
    specs = tmp_path / "specs"
    specs.mkdir(exist_ok=True)
    seed = Seed(name="vals", table=table_ref("vals"), key=("id",), rows=tuple(seed_rows), source=Source("seed.yaml", 1),
                on_conflict="update")
    (specs / "unit.yaml").write_text(json.dumps(UNIT), encoding="utf-8")
    (specs / "seed.yaml").write_text(engine.dump_specs(seed), encoding="utf-8")  # the writer quotes what YAML would misread
    return engine.load_specs(specs)


def stored(db) -> dict[int, dict]:
    eng = db.engine()
    names = ["id", *COLUMNS]
    quote = eng.dialect.identifier_preparer.quote_identifier
    try:
        with eng.connect() as conn:
            got = conn.exec_driver_sql(f"SELECT {', '.join(map(quote, names))} FROM vals").all()
    finally:
        eng.dispose()
    return {r[0]: dict(zip(names, r)) for r in got}


def clear(db) -> None:
    eng = db.engine()
    try:
        with eng.begin() as conn:
            conn.exec_driver_sql("DELETE FROM vals")
    finally:
        eng.dispose()


def _db(request, dialect):
    db = request.getfixturevalue({"sqlite": "sqlite_db", "postgresql": "postgres_db", "mysql": "mysql_db"}[dialect])
    specs = folder(request.getfixturevalue("tmp_path"), [])
    engine.apply(engine.plan(specs, db.url), db.url)  # the table, once
    live = inspected(db).tables[(inspected(db).default_schema, "vals")]
    return db, {c.name: Column(c.type, dialect) for c in live.columns}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_random_seed_values_round_trip_and_converge(request, tmp_path, dialect):
    db, columns = _db(request, dialect)

    @APPLIED
    @given(rows())
    def check(declared):
        specs = folder(tmp_path, declared)
        try:
            engine.apply(engine.plan(specs, db.url), db.url)
            got = stored(db)
            assert sorted(got) == [r["id"] for r in declared]
            for row in declared:
                for name, value in row.items():
                    assert (value is None) == (got[row["id"]][name] is None), (name, value, got[row["id"]][name])
                    assert same(value, got[row["id"]][name], columns[name]), (name, value, got[row["id"]][name])
            again = engine.plan(specs, db.url)
            assert again.empty, [a.to_dict() for a in again.actions]
        finally:
            clear(db)

    check()


def out_of_range(dialect: str) -> st.SearchStrategy[tuple[str, object, str]]:
    """A column, a value it cannot hold on ``dialect``, and what plan says of it."""
    past = st.integers(1, 10 ** 6)
    cases = [st.tuples(st.just("b"), past.map(lambda k: 2 ** 63 - 1 + k) | past.map(lambda k: -(2 ** 63) - k)),
             st.tuples(st.just("f"), st.integers(309, 400).map(lambda e: f"1e{e}"))]
    if dialect != "sqlite":  # SQLite keeps any 64-bit integer in any integer column, and any number in a numeric
        cases += [st.tuples(st.just("i"), past.map(lambda k: 2 ** 31 - 1 + k) | past.map(lambda k: -(2 ** 31) - k)),
                  st.tuples(st.just("s"), past.map(lambda k: 32767 + k)),
                  st.tuples(st.just("n"), st.integers(10 ** 9, 10 ** 15).map(lambda k: str(Decimal(k) + Decimal("0.5"))))]
    if dialect == "postgresql":  # elsewhere a uuid is text
        cases += [st.tuples(st.just("u"), _text(8).filter(lambda t: not _is_uuid(t)))]
    if dialect != "sqlite":  # MariaDB's JSON is a longtext whose json_valid check plan reads; SQLite's JSON takes any text
        cases += [st.tuples(st.just("j"), st.sampled_from(["{bad", "[1,", "nul", "{'a': 1}", ""]))]
    said = {"u": "is not a valid uuid value", "j": "is not a valid json value"}
    return st.one_of(cases).map(lambda c: (c[0], c[1], said.get(c[0], "is out of range")))


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text.strip())
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_values_a_column_cannot_hold_are_refused_at_plan_time(request, tmp_path, dialect):
    db, _ = _db(request, dialect)

    @REFUSED
    @given(out_of_range(dialect))
    def check(case):
        name, value, said = case
        with pytest.raises(SpecError) as refused:
            engine.plan(folder(tmp_path, [{"id": 1, name: value}]), db.url)
        assert f"rows[0].{name}: {value!r} {said}" in str(refused.value), str(refused.value)
        assert stored(db) == {}

    check()


def test_json_numbers_compare_by_value(request, tmp_path, db):
    """Found by the property above: a SQLite JSON column (numeric affinity) stores '0.0' as 0 and
    PostgreSQL's jsonb restates 1e5 as 100000, so every plan updated the row again."""
    db, columns = _db(request, db.dialect)
    declared = [{"id": 1, "j": "0.0"}, {"id": 2, "j": '{"a": 1e5, "b": [1.50, -0.0]}'}]
    specs = folder(tmp_path, declared)
    engine.apply(engine.plan(specs, db.url), db.url)
    got = stored(db)
    assert [same(r["j"], got[r["id"]]["j"], columns["j"]) for r in declared] == [True, True]
    assert engine.plan(specs, db.url).empty


def test_numbers_past_the_column_are_refused_before_apply(request, tmp_path, db):
    """The servers refused these at apply (PostgreSQL out of range, MariaDB 1264, SQLite's driver past 64 bits)."""
    db, _ = _db(request, db.dialect)
    cases = {"b": (2 ** 63, "is out of range: bigint"), "f": ("1e309", "is out of range: double")}
    if db.dialect != "sqlite":
        cases |= {"i": (2 ** 31, "is out of range: int"), "n": ("1234567890.5", "is out of range: ")}
    for name, (value, said) in cases.items():
        with pytest.raises(SpecError) as refused:
            engine.plan(folder(tmp_path, [{"id": 1, name: value}]), db.url)
        assert f"seed.yaml:6: seed vals: rows[0].{name}: {value!r} {said}" in str(refused.value)  # the row's line
    engine.apply(engine.plan(folder(tmp_path, [{"id": 1, "b": 2 ** 63 - 1, "i": -(2 ** 31), "n": "999999999.999"}]), db.url), db.url)
    assert stored(db)[1]["b"] == 2 ** 63 - 1 and stored(db)[1]["i"] == -(2 ** 31)
