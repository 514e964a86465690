"""Declared sizes: validate refuses what no supported dialect holds, warns about what only some
hold, and plan refuses those on the dialect that does not (each limit tried on PostgreSQL 15 and
MariaDB 10.11 first: PostgreSQL ``length for type varchar must be at least 1``, ``NUMERIC
precision 1001 must be between 1 and 1000``; MariaDB 1074 ``Column length too big``, 1426 ``Too
big precision``, 1425 ``Too big scale``, 1427 ``M must be >= D``)."""

from __future__ import annotations

import json

import pytest
from support import plan_json, stored_rows
from test_literal_defaults import LEDGER, unit_file
from test_plan_refusals import refused

ERRORS = {
    "varchar(0)": "varchar(0) holds no character: PostgreSQL refuses a length of 0 (and MySQL's column holds only '')",
    "char(0)": "char(0) holds no character: PostgreSQL refuses a length of 0 (and MySQL's column holds only '')",
    "varchar(10485761)": "varchar(10485761) is longer than any supported dialect holds (PostgreSQL at most 10485760; declare text)",
    "numeric(0)": "numeric(0) has no digits: PostgreSQL refuses a precision of 0 and MySQL makes it DECIMAL(10,0)",
    "numeric(1001)": "numeric(1001) has more digits than any supported dialect holds (PostgreSQL at most 1000, MySQL 65)",
    "numeric(10,20)": "numeric(10,20) has a scale above its precision: MySQL and PostgreSQL before 15 refuse it "
                      "(declare numeric(20,20) or more digits)",
    "numeric(100,200)": "numeric(100,200) has a scale above its precision",
}


@pytest.mark.parametrize("type_", sorted(ERRORS))
def test_validate_refuses_a_size_no_dialect_holds(recon, specs, type_):
    unit_file(specs,
              f'create_table: {{table: t, columns: [{{name: id, type: integer, primary_key: true}}, {{name: c, type: "{type_}"}}]}}',
              f'add_column: {{table: t, name: d, type: "{type_}"}}',
              f'alter_column: {{table: t, name: c, type: "{type_}", default: 1}}')
    code, out, err = recon("validate", "--specs", specs, "--format", "json")
    assert code == 1
    found = json.loads(out)["diagnostics"]
    assert [(d["line"], d["path"]) for d in found] == [
        (6, "operations[0].create_table.columns[1].type"), (7, "operations[1].add_column.type"), (8, "operations[2].alter_column.type")]
    assert all(d["message"].startswith(ERRORS[type_]) for d in found), found
    code, out, err = recon("validate", "--specs", specs)
    assert code == 1 and "Traceback" not in err and f"unit.yaml:7: operations[1].add_column.type: {ERRORS[type_]}" in err


MYSQL_ONLY = {  # a size PostgreSQL (and SQLite) take and MySQL/MariaDB refuse -> plan's reason on MariaDB
    "varchar(20000)": "varchar(20000) is longer than MySQL's VARCHAR holds (65535 bytes: 16383 characters at 4 bytes each "
                      "in the database's character set, error 1074): declare text, or at most varchar(16383)",
    "char(300)": "char(300) is longer than MySQL's CHAR holds (255 characters, error 1074): declare varchar(n) or text",
    "numeric(66)": "numeric(66) has more digits than MySQL's DECIMAL holds (65, error 1426)",
    "numeric(65,39)": "numeric(65,39) has a larger scale than MariaDB's DECIMAL holds (38 decimal places, error 1425)",
}
WARNED = {  # at validate, where the server is not known: MySQL 8's limits (the stricter)
    "numeric(65,39)": "numeric(65,39) has a larger scale than MySQL 8's DECIMAL holds (30 decimal places, error 1425; MariaDB takes 38)",
}


@pytest.mark.parametrize("type_", sorted(MYSQL_ONLY))
def test_a_size_only_mysql_refuses_is_a_warning_and_refused_there(recon, specs, db, type_):
    unit_file(specs, f'create_table: {{table: t, columns: [{{name: id, type: integer, primary_key: true}}, {{name: c, type: "{type_}"}}]}}')
    code, out, err = recon("validate", "--specs", specs)
    warned = WARNED.get(type_, MYSQL_ONLY[type_])
    assert code == 0 and f"warning: {specs}/unit.yaml:6: operations[0].create_table.columns[1].type: {warned}; recon plan refuses it on that server" in out, out
    if db.dialect == "mysql":
        err = refused(recon, specs, db, f'create_table: {{table: t, columns: [{{name: id, type: integer, primary_key: true}}, {{name: c, type: "{type_}"}}]}}')
        assert f"unit.yaml:5: U1: create_table: cannot plan: column t.c: {MYSQL_ONLY[type_]}" in err, err
        assert db.scalar(LEDGER["mysql"]) == 0
        return
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    assert plan_json(recon, specs, db)["actions"] == []


def test_limits_that_fit_mysql_apply_there(recon, specs, mysql_db):
    """The largest sizes MariaDB takes in utf8mb4 are not refused, and apply (validate warns about a scale
    over MySQL 8's 30, which MariaDB holds)."""
    cols = ", ".join(f'{{name: c{i}, type: "{t}"}}' for i, t in enumerate(("char(255)", "numeric(65,30)", "numeric(38,38)")))
    unit_file(specs, f"create_table: {{table: t, columns: [{{name: id, type: integer, primary_key: true}}, {cols}]}}",
              "create_table: {table: t2, columns: [{name: v, type: varchar(16383)}]}")  # 65532 + 2 + 1 bytes: the row's limit
    code, out, err = recon("validate", "--specs", specs)
    assert code == 0 and out.count("warning: ") == 1, out
    assert "columns[3].type: numeric(38,38) has a larger scale than MySQL 8's DECIMAL holds (30 decimal places" in out
    code, out, err = recon("apply", "--specs", specs, "--db", mysql_db.url, "--auto-approve")
    assert code == 0, out + err
    assert stored_rows(mysql_db, "SELECT table_name, column_name, column_type FROM information_schema.columns "
                                 "WHERE table_schema = DATABASE() AND table_name IN ('t', 't2') ORDER BY table_name, ordinal_position") == [
        ("t", "id", "int(11)"), ("t", "c0", "char(255)"), ("t", "c1", "decimal(65,30)"), ("t", "c2", "decimal(38,38)"),
        ("t2", "v", "varchar(16383)")]
    assert plan_json(recon, specs, mysql_db)["actions"] == []


WIDE = "create_table: {table: wide, columns: [{name: id, type: integer, primary_key: true}, {name: a, type: varchar(16000)}, {name: b, type: varchar(400)}]}"
ROW = ("a row of wide would take 65609 bytes, more than the 65535 MySQL holds (error 1118; a TEXT or JSON column counts 9 to "
       "12 bytes there): declare the longest varchar columns as text")


def test_a_row_over_65535_bytes_is_refused_on_mysql(recon, specs, db):
    """4 + (16000 * 4 + 2) + (400 * 4 + 2) + 1 null byte: MariaDB refuses the table (1118), the others take it."""
    unit_file(specs, WIDE)
    code, out, err = recon("validate", "--specs", specs)
    assert code == 0 and f"unit.yaml:6: operations[0].create_table.columns: {ROW}; recon plan refuses it on that server" in out, out
    if db.dialect != "mysql":
        code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
        assert code == 0, out + err
        assert plan_json(recon, specs, db)["actions"] == []
        return
    err = refused(recon, specs, db, WIDE)
    assert f"unit.yaml:5: U1: create_table: cannot plan: {ROW}" in err
    db.run("CREATE TABLE wide (id integer PRIMARY KEY, a varchar(16000))")
    err = refused(recon, specs, db, "add_column: {table: wide, name: b, type: varchar(400)}")
    assert f"unit.yaml:5: U1: add_column: cannot plan: {ROW}" in err
    assert db.scalar(LEDGER["mysql"]) == 0


def test_a_latin1_database_holds_longer_varchars(recon, specs, mysql_db):
    """The bytes per character come from the database's default character set (one catalog value)."""
    name = mysql_db.url.rsplit("/", 1)[1]
    mysql_db.run(f"ALTER DATABASE `{name}` CHARACTER SET latin1 COLLATE latin1_swedish_ci")
    err = refused(recon, specs, mysql_db, "create_table: {table: t, columns: [{name: id, type: integer, primary_key: true}, "
                                          "{name: v, type: varchar(70000)}]}")
    assert ("U1: create_table: cannot plan: column t.v: varchar(70000) is longer than MySQL's VARCHAR holds (65535 bytes: 65535 "
            "characters at 1 byte each in the database's character set, error 1074): declare text, or at most varchar(65535)") in err
    unit_file(specs, "create_table: {table: t, columns: [{name: id, type: integer, primary_key: true}, {name: v, type: varchar(20000)}]}")
    code, out, err = recon("apply", "--specs", specs, "--db", mysql_db.url, "--auto-approve")
    assert code == 0, out + err
    assert mysql_db.scalar("SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE TABLE_NAME = 't' "
                           "AND COLUMN_NAME = 'v' AND TABLE_SCHEMA = DATABASE()") == 20000
