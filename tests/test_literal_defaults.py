"""A literal default must be a value of its column's type: validate refuses what no dialect holds,
plan refuses what this server would refuse (or take and then fail every insert with).

Each refused case was first seen failing on the servers (PostgreSQL 15, MariaDB 10.11): at
apply (``invalid input syntax for type boolean``, MariaDB 1067 ``Invalid default value``), or
later, at every insert that takes the default (PostgreSQL keeps ``DEFAULT 99999999`` on a
smallint and ``DEFAULT 'toolong'`` on a varchar(3)).
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone

import pytest
from support import RECON_VARIABLES, plan_json, stored_rows, write
from test_plan_refusals import refused

HEAD = "kind: migration\nid: U1\nscope: schema\nrollback: {notes: additive, operations: []}\noperations:\n"


def unit_file(specs, *operations: str) -> None:
    """A unit whose operations start on line 6 of specs/unit.yaml."""
    (specs / "unit.yaml").write_text(HEAD + "".join(f"  - {op}\n" for op in operations), encoding="utf-8")


def column(name: str, type_: str, default: str) -> str:
    return f"{{name: {name}, type: {type_}, default: {default}}}"


INVALID = {  # type, default as written in YAML -> the message after "cannot be the default of a column of type T: "
    "boolean maybe": ("boolean", "maybe", "'maybe' cannot be the default of a column of type boolean: a boolean default is true or false"),
    "boolean 1": ("boolean", "1", "1 cannot be the default of a column of type boolean: a boolean default is true or false"),
    "date": ("date", "not-a-date", "'not-a-date' cannot be the default of a column of type date: it is not a date (YYYY-MM-DD)"),
    "day 30 of February": ("date", "2024-02-30", "it is not a date (YYYY-MM-DD)"),
    "json": ("json", '"{bad json"', "'{bad json' cannot be the default of a column of type json: it is not JSON text"),
    "json number": ("json", "3", "a json default is JSON text in a string (write default: '3')"),
    "smallint": ("smallint", "99999999", "99999999 cannot be the default of a column of type smallint: smallint holds -32768 to 32767"),
    "integer": ("integer", "3000000000", "integer holds -2147483648 to 2147483647"),
    "bigint": ("bigint", "9223372036854775808", "bigint holds -9223372036854775808 to 9223372036854775807"),
    "integer 1.5": ("integer", "1.5", "it is not a whole number (the column would store it rounded)"),
    "integer true": ("integer", "true", "integer takes a number, not true"),
    "varchar": ("varchar(3)", "toolong", "'toolong' cannot be the default of a column of type varchar(3): varchar(3) holds at most 3 characters"),
    "char": ("char(3)", "abcd", "char(3) holds at most 3 characters"),
    "numeric digits": ('"numeric(5,2)"', "12345.6", "numeric(5,2) holds at most 3 digits before the point"),
    "numeric scale": ('"numeric(5,2)"', "1.005", "numeric(5,2) keeps 2 decimal places (the column would store it rounded)"),
    "float": ("float", "1e40", "float holds numbers up to about 3.403e+38"),
    "timestamp": ("timestamp", "noon", "it is not a date and time (YYYY-MM-DD HH:MM:SS)"),
    "timestamp now": ("timestamptz", "now", "(for the time of each insert, declare {expr: now})"),
    "time": ("time", '"25:00"', "it is not a time of day (00:00 to 24:00)"),
    "uuid": ("uuid", "not-a-uuid", "'not-a-uuid' cannot be the default of a column of type uuid: it is not a UUID"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_validate_refuses_a_default_no_dialect_holds(recon, specs, case):
    type_, default, message = INVALID[case]
    unit_file(specs,
              f"create_table: {{table: t, columns: [{{name: id, type: integer, primary_key: true}}, {column('c', type_, default)}]}}",
              f"add_column: {{table: t, name: d, type: {type_}, default: {default}}}",
              f"alter_column: {{table: t, name: c, type: {type_}, default: {default}}}",
              f"alter_column: {{table: t, name: c, default: {default}}}")  # no type: plan checks it against the column
    code, out, err = recon("validate", "--specs", specs, "--format", "json")
    assert code == 1
    found = json.loads(out)["diagnostics"]
    assert [(d["line"], d["path"], d["severity"]) for d in found] == [
        (6, "operations[0].create_table.columns[1].default", "error"), (7, "operations[1].add_column.default", "error"),
        (8, "operations[2].alter_column.default", "error")]
    assert all(message in d["message"] for d in found), found
    code, out, err = recon("validate", "--specs", specs)
    assert code == 1 and "Traceback" not in err
    assert "unit.yaml:7: operations[1].add_column.default: " in err and message in err


@pytest.mark.parametrize("word,bare", [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf"), (".NaN", "nan")])
def test_validate_refuses_nan_and_infinity_everywhere(recon, specs, word, bare):
    unit_file(specs,
              f"create_table: {{table: t, columns: [{{name: id, type: integer, primary_key: true}}, {column('x', 'double', word)}]}}",
              f"add_column: {{table: t, name: y, type: text, default: {word}}}",
              f"alter_column: {{table: t, name: x, default: {word}}}")
    code, out, err = recon("validate", "--specs", specs, "--format", "json")
    assert code == 1
    found = [(d["line"], d["path"], d["message"]) for d in json.loads(out)["diagnostics"]]
    message = (f"{word.lower() if word != '.NaN' else '.nan'} has no portable SQL literal (it would be written as the bare word {bare}, "
               "which PostgreSQL and MySQL read as a column name and SQLite stores as text): declare a finite number")
    assert found == [(6, "operations[0].create_table.columns[1].default", message),
                     (7, "operations[1].add_column.default", message), (8, "operations[2].alter_column.default", message)]


VALID = [  # type, default in YAML, what an insert that takes the default stores (str of the driver's value), per dialect
    ("boolean", "true", {"sqlite": "1", "postgresql": "True", "mysql": "1"}),
    ("smallint", "32767", "32767"), ("smallint", "-32768", "-32768"), ("integer", '"12"', "12"),
    ("varchar(3)", "abc", "abc"), ('"numeric(5,2)"', "999.99", "999.99"), ("date", '"2024-02-29"', "2024-02-29"),
    ("json", "'{\"a\": 1}'", {"a": 1}), ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
    ("time", '"23:59:59"', "23:59:59"),
]


def test_defaults_at_the_bounds_apply_and_insert_on_every_dialect(recon, specs, db):
    """What the checks let through the server takes and stores, and a re-plan finds present."""
    cols = ", ".join(column(f"c{i}", t, d) for i, (t, d, _) in enumerate(VALID))
    unit_file(specs, f"create_table: {{table: t, columns: [{{name: id, type: integer, primary_key: true}}, {cols}]}}")
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    db.run("INSERT INTO t (id) VALUES (1)")
    row = stored_rows(db, "SELECT " + ", ".join(f"c{i}" for i in range(len(VALID))) + " FROM t")[0]
    for (type_, _, want), got in zip(VALID, row):
        want = want.get(db.dialect, want) if isinstance(want, dict) and "sqlite" in want else want
        if isinstance(want, dict):
            assert (got if isinstance(got, dict) else json.loads(got)) == want, (type_, got)
        else:
            assert str(got) == want, (type_, got)
    assert plan_json(recon, specs, db)["actions"] == []


LIVE = """
CREATE TABLE t (id integer PRIMARY KEY, s smallint, b boolean, v varchar(3), d date, n numeric(5,2), j text)
"""

PLAN_REFUSED = [  # alter_column of the default alone: checked against the live column's type
    ("s", "99999999", "99999999 cannot be the default of t.s, of type {s}: {s} holds -32768 to 32767"),
    ("b", "maybe", "'maybe' cannot be the default of t.b, of type {b}: a boolean default is true or false"),
    ("v", "toolong", "'toolong' cannot be the default of t.v, of type {v}: {v} holds at most 3 characters"),
    ("d", "not-a-date", "'not-a-date' cannot be the default of t.d, of type {d}: it is not a date (YYYY-MM-DD)"),
    ("n", "12345.6", "12345.6 cannot be the default of t.n, of type {n}: {n} holds at most 3 digits before the point"),
]
SPELLED = {  # each catalog's spelling of the live columns
    "sqlite": {"s": "smallint", "b": "boolean", "v": "varchar(3)", "d": "date", "n": "numeric(5,2)"},
    "postgresql": {"s": "smallint", "b": "boolean", "v": "character varying(3)", "d": "date", "n": "numeric(5,2)"},
    "mysql": {"s": "smallint(6)", "b": "tinyint(1)", "v": "varchar(3)", "d": "date", "n": "decimal(5,2)"},
}


def test_plan_refuses_a_default_the_live_column_cannot_hold(recon, specs, db):
    db.run(LIVE)
    operations = [f"alter_column: {{table: t, name: {name}, default: {value}}}" for name, value, _ in PLAN_REFUSED]
    err = refused(recon, specs, db, *operations)
    spelled = SPELLED[db.dialect]
    for i, (_, _, message) in enumerate(PLAN_REFUSED):
        assert f"unit.yaml:{5 + i}: U1: alter_column: cannot plan: {message.format(**spelled)}" in err, err
    assert stored_rows(db, DEFAULTS[db.dialect]) == []  # nothing ran: no default changed
    assert db.scalar(LEDGER[db.dialect]) == 0


DEFAULTS = {  # the live columns' defaults
    "sqlite": "SELECT name, dflt_value FROM pragma_table_info('t') WHERE dflt_value IS NOT NULL",
    "postgresql": "SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 't' AND column_default IS NOT NULL",
    "mysql": "SELECT COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_NAME = 't' "
             "AND TABLE_SCHEMA = DATABASE() AND COLUMN_DEFAULT IS NOT NULL AND COLUMN_DEFAULT <> 'NULL'"}
LEDGER = {"sqlite": "SELECT count(*) FROM sqlite_master WHERE name = 'recon_ledger'",
          "postgresql": "SELECT count(*) FROM pg_tables WHERE tablename = 'recon_ledger'",
          "mysql": "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'recon_ledger' AND TABLE_SCHEMA = DATABASE()"}


def test_an_earlier_type_change_counts(recon, specs, db):
    """The column's type after the unit's earlier operations is what the default must fit."""
    db.run(LIVE)
    err = refused(recon, specs, db, "alter_column: {table: t, name: j, type: smallint}",
                  "alter_column: {table: t, name: j, default: 40000}")
    assert "unit.yaml:6: U1: alter_column: cannot plan: 40000 cannot be the default of t.j, of type" in err
    assert "holds -32768 to 32767" in err


def test_mariadb_enum_values_are_read_from_the_catalog(recon, specs, mysql_db):
    mysql_db.run("CREATE TABLE t (id integer PRIMARY KEY, mood enum('sad','ok'))")
    err = refused(recon, specs, mysql_db, "alter_column: {table: t, name: mood, default: happy}")
    assert ("unit.yaml:5: U1: alter_column: cannot plan: 'happy' cannot be the default of t.mood, of type enum('sad','ok'): "
            "it is not one of the enum's values ('sad', 'ok')") in err
    write(specs, "unit", HEAD.replace("rollback: {notes: additive, operations: []}\n", "")
          + "  - alter_column: {table: t, name: mood, default: ok}\n")
    code, out, err = recon("apply", "--specs", specs, "--db", mysql_db.url, "--auto-approve")
    assert code == 0, out + err
    mysql_db.run("INSERT INTO t (id) VALUES (1)")
    assert stored_rows(mysql_db, "SELECT mood FROM t") == [("ok",)]


def test_mysql_refuses_an_offset_in_a_datetime_default(recon, specs, db):
    """MariaDB refuses `DEFAULT '... +02:00'` for a DATETIME (1067); PostgreSQL and SQLite take it."""
    operation = "add_column: {table: t, name: at, type: timestamptz, default: '2024-01-01 10:00:00+02:00'}"
    db.run("CREATE TABLE t (id integer PRIMARY KEY)")
    unit_file(specs, operation)
    code, out, err = recon("validate", "--specs", specs)
    assert code == 0 and ("unit.yaml:6: operations[0].add_column.default: '2024-01-01 10:00:00+02:00' cannot be the default of "
                          "a column of type DATETIME(6): MySQL's DATETIME holds no offset") in out, out + err
    assert "recon plan refuses it on mysql" in out
    if db.dialect == "mysql":
        err = refused(recon, specs, db, operation)
        assert "unit.yaml:5: U1: add_column: cannot plan: '2024-01-01 10:00:00+02:00' cannot be the default of t.at, of type DATETIME(6)" in err
        return
    unit_file(specs, operation)
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    db.run("INSERT INTO t (id) VALUES (1)")
    (at,), = stored_rows(db, "SELECT at FROM t")
    if db.dialect == "postgresql":  # the instant, with its offset
        assert at == datetime(2024, 1, 1, 8, 0, tzinfo=timezone.utc)
    else:  # SQLite keeps the text
        assert at == "2024-01-01 10:00:00+02:00"
    assert plan_json(recon, specs, db)["actions"] == []


def test_mysql8_takes_no_literal_default_on_text(recon):
    """MySQL 8 (not MariaDB) refuses a literal default for TEXT and JSON (ER_BLOB_CANT_HAVE_DEFAULT): told from the version."""
    from engine.changes import AddColumn, ColumnDef
    from engine.changes.refusals import refusal
    from engine.inspect.state import Column, SchemaState, Table
    from engine.spec.model import ObjectRef, Source

    change = AddColumn(ObjectRef(None, "t"), ColumnDef("note", "text", default="x"), unit="U1", source=Source("u.yaml", 5))
    for version, expected in (("8.0.36", "MySQL 8 takes no literal default for a TEXT or JSON column (MariaDB does)"),
                              ("10.11.6-MariaDB", None)):
        state = SchemaState("mysql", "app", version, tables={("app", "t"): Table("app", "t", (Column("id", "int(11)", False),))})
        why = refusal(change, state)
        assert (why is None) if expected is None else why.endswith(expected), why


def test_the_installed_recon_refuses_a_bad_default(specs, tmp_path):
    from test_audit_faults import installed_recon

    unit_file(specs, "add_column: {table: t, name: flag, type: boolean, default: maybe}")
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    done = subprocess.run([installed_recon(), "validate", "--specs", str(specs)], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ("specs/unit.yaml:6: operations[0].add_column.default: 'maybe' cannot be the default of a column of type boolean: "
            "a boolean default is true or false") in done.stderr


def test_date_and_time_defaults_converge_as_each_catalog_restates_them(recon, specs, db):
    """MariaDB restates '2024-01-01 10:00:00' as '... 10:00:00.000000', PostgreSQL and MariaDB '10:00' as
    '10:00:00', PostgreSQL an offset in UTC: before, the re-plan showed ~ for each of them forever."""
    db.run("CREATE TABLE t (id integer PRIMARY KEY, at timestamp NULL, day date, at_time time, zoned timestamp NULL)"
           if db.dialect != "postgresql" else
           "CREATE TABLE t (id integer PRIMARY KEY, at timestamp, day date, at_time time, zoned timestamptz)")
    zoned = "'2024-01-01 10:00:00+02:00'" if db.dialect == "postgresql" else "'2024-01-01 10:00'"
    unit_file(specs, "alter_column: {table: t, name: at, default: '2024-01-01 10:00:00'}",
              "alter_column: {table: t, name: day, default: '2024-01-01'}",
              "alter_column: {table: t, name: at_time, default: '10:00'}",
              f"alter_column: {{table: t, name: zoned, default: {zoned}}}")
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    (specs / "again.yaml").write_text((specs / "unit.yaml").read_text().replace("id: U1", "id: U2"), encoding="utf-8")
    plan = plan_json(recon, specs, db)
    assert [(a["unit"], a["status"]) for a in plan["actions"]] == [("U2", "present")] * 4, plan["actions"]
    db.run("INSERT INTO t (id) VALUES (1)")
    at, day, at_time = stored_rows(db, "SELECT at, day, at_time FROM t")[0]
    assert (str(at)[:19], str(day)[:10], str(at_time)[:5]) == ("2024-01-01 10:00:00", "2024-01-01", "10:00")


def test_a_mysql_tinyint1_column_takes_small_integers(recon, specs, mysql_db):
    """A live TINYINT(1) is a byte to MySQL (a flag or a small code): 2 is a default it holds, 300 is not."""
    mysql_db.run("CREATE TABLE t (id integer PRIMARY KEY, code tinyint(1))")
    err = refused(recon, specs, mysql_db, "alter_column: {table: t, name: code, default: 300}")
    assert "U1: alter_column: cannot plan: 300 cannot be the default of t.code, of type tinyint(1): tinyint(1) holds -128 to 127" in err
    unit_file(specs, "alter_column: {table: t, name: code, default: 2}")
    code, out, err = recon("apply", "--specs", specs, "--db", mysql_db.url, "--auto-approve")
    assert code == 0, out + err
    mysql_db.run("INSERT INTO t (id) VALUES (1)")
    assert stored_rows(mysql_db, "SELECT code FROM t") == [(2,)]


def test_postgresql_special_dates_are_refused_on_mysql_only(recon, specs, db):
    """`infinity` is a PostgreSQL timestamp (an open-ended validity, say); MariaDB refuses it (1067), SQLite keeps the text."""
    operation = "add_column: {table: t, name: valid_to, type: timestamp, default: infinity}"
    db.run("CREATE TABLE t (id integer PRIMARY KEY)")
    unit_file(specs, operation)
    code, out, err = recon("validate", "--specs", specs)
    assert code == 0 and ("unit.yaml:6: operations[0].add_column.default: 'infinity' cannot be the default of a column of type "
                          "DATETIME(6): MySQL has no such date or time (it is PostgreSQL's); recon plan refuses it on mysql") in out, out + err
    if db.dialect == "mysql":
        assert "cannot plan: 'infinity' cannot be the default of t.valid_to, of type DATETIME(6)" in refused(recon, specs, db, operation)
        return
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    db.run("INSERT INTO t (id) VALUES (1)")
    assert stored_rows(db, "SELECT CAST(valid_to AS text) FROM t") == [("infinity",)]
    assert plan_json(recon, specs, db)["actions"] == []
