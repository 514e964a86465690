"""A SQLite rebuild writes the table again exactly as it was declared, but for the change; what it
cannot write again makes the plan refuse it.

Each reproduced case applies the change to a table recon did not create, then compares the
rebuilt table with the same table declared by hand with the change made: its ``sqlite_master``
text (tokens, identifiers unquoted) and what SQLite says of it (``table_xinfo``, ``index_list``
with each index's columns and collations, ``foreign_key_list``), and plans again: nothing left.
Each refused case checks the message, the exit code, and that the table is untouched.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType
from support import RECON_VARIABLES, plan_json

from engine.inspect.sqlite_layout import layout

LEGACY = ("CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
          "CREATE TABLE legacy (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT COLLATE NOCASE UNIQUE, "
          "owner INTEGER REFERENCES users(id) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED, note TEXT, "
          "at TEXT DEFAULT (datetime('now')), code TEXT, score INT CHECK (score >= 0), misc, "
          "boss INTEGER CONSTRAINT legacy_boss REFERENCES users ON DELETE SET NULL NOT DEFERRABLE, "
          "UNIQUE (code COLLATE NOCASE DESC, owner), CONSTRAINT legacy_score_max CHECK (score < 1000))")


def unit(*operations: str) -> str:
    body = "\n".join(f"  - {op}" for op in operations)
    return f"kind: migration\nid: U1\nscope: schema\noperations:\n{body}\n"


def tokens(sql: str) -> list[str]:
    """A CREATE TABLE as SQLite reads it: words upper-cased, names unquoted and case-folded, and the
    spellings SQLite takes as one written one way (``GENERATED ALWAYS AS`` is ``AS``, virtual is the default)."""
    out = []
    for token in Dialect.get_or_raise("sqlite").tokenize(sql):
        if token.token_type in (TokenType.IDENTIFIER, TokenType.VAR) and token.text.upper() not in ("GENERATED", "ALWAYS", "VIRTUAL"):
            out.append(token.text.casefold())
        elif token.token_type == TokenType.STRING:
            out.append(repr(token.text))
        elif token.text.upper() not in ("GENERATED", "ALWAYS", "VIRTUAL"):
            out.append(token.text.upper())
    return out


def described(path: str, table: str) -> dict:
    """What SQLite says of ``table``: its text as tokens, columns (a default's text as tokens), indexes
    (with their columns), foreign keys."""
    conn = sqlite3.connect(path)
    try:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
        indexes = conn.execute("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?) ORDER BY name", (table,)).fetchall()
        return {
            "sql": tokens(sql),
            "columns": [(*c[:4], c[4] and tokens(c[4]), *c[5:]) for c in conn.execute("SELECT * FROM pragma_table_xinfo(?)", (table,))],
            "indexes": [(ix, conn.execute("SELECT * FROM pragma_index_xinfo(?)", (ix[0],)).fetchall()) for ix in indexes],
            "foreign_keys": conn.execute("SELECT * FROM pragma_foreign_key_list(?)", (table,)).fetchall(),
        }
    finally:
        conn.close()


def declared_by_hand(tmp_path: Path, script: str, table: str) -> dict:
    """``described`` of a table created from ``script`` in a scratch database."""
    path = str(tmp_path / "by_hand.db")
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.close()
    return described(path, table)


def db_path(db) -> str:
    return db.url.removeprefix("sqlite:///")


def rebuilt(recon, specs, db, *operations: str) -> list[str]:
    """Plan ``operations``, apply them, and plan again (nothing left). Returns the planned SQL."""
    (specs / "unit.yaml").write_text(unit(*operations), encoding="utf-8")
    plan = plan_json(recon, specs, db)
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve", "--allow-destructive")
    assert code == 0, out + err
    assert plan_json(recon, specs, db)["actions"] == []
    return [sql for action in plan["actions"] for sql in action["sql"]]


def refused(recon, specs, db, *operations: str) -> str:
    """Plan ``operations``: exit 1, no traceback, and the database as it was. Returns stderr."""
    before = Path(db_path(db)).read_bytes()
    (specs / "unit.yaml").write_text(unit(*operations), encoding="utf-8")
    code, out, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "Traceback" not in err, out + err
    assert Path(db_path(db)).read_bytes() == before
    return err


def test_the_trial_table_keeps_every_clause_of_its_text(recon, specs, sqlite_db, tmp_path):
    sqlite_db.run(LEGACY + ";\nINSERT INTO users VALUES (1);\n"
                  "INSERT INTO legacy (name, owner, note, code, score) VALUES ('Ann', 1, 'a', 'x', 1), ('bob', 1, 'b', 'y', 2), ('cy', 1, 'c', 'z', 3);\n"
                  "DELETE FROM legacy WHERE id = 3")
    sql = rebuilt(recon, specs, sqlite_db, "alter_column: {table: legacy, name: note, type: varchar(20)}")
    assert any("DEFAULT (DATETIME('now'))" in s for s in sql)  # an expression default keeps its parentheses
    expected = declared_by_hand(tmp_path, LEGACY.replace("note TEXT", "note VARCHAR(20)"), "legacy")
    assert described(db_path(sqlite_db), "legacy") == expected
    sqlite_db.run("INSERT INTO legacy (name, owner, note, code) VALUES ('dee', 1, 'd', 'w')")
    assert sqlite_db.scalar("SELECT max(id) FROM legacy") == 4  # AUTOINCREMENT: id 3 was used once, it stays used
    assert sqlite_db.scalar("SELECT at IS NOT NULL FROM legacy WHERE id = 4") == 1
    assert sqlite_db.scalar("SELECT count(*) FROM legacy WHERE name = 'ANN'") == 1  # COLLATE NOCASE
    assert sqlite_db.scalar("SELECT count(*) FROM sqlite_sequence") == 1


def test_unnamed_constraints_stay_unnamed_and_added_ones_are_named(recon, specs, sqlite_db, tmp_path):
    sqlite_db.run(LEGACY)
    sql = rebuilt(recon, specs, sqlite_db, "add_constraint: {name: legacy_note_key, table: legacy, type: unique, columns: [note]}")
    assert 'CONSTRAINT "legacy_note_key" UNIQUE ("note")' in sql[0] and "legacy_name_key" not in sql[0]
    by_hand = LEGACY.replace("CHECK (score < 1000))", "CHECK (score < 1000), CONSTRAINT legacy_note_key UNIQUE (note))")
    assert described(db_path(sqlite_db), "legacy") == declared_by_hand(tmp_path, by_hand, "legacy")


def test_a_constraint_named_with_a_counter_keeps_its_name_when_its_sibling_goes(recon, specs, sqlite_db, tmp_path):
    """Two unnamed checks on one column are c_a_check and c_a_check1: dropping the first would make
    the second c_a_check, so the rebuild writes its name."""
    sqlite_db.run("CREATE TABLE c (a INT CHECK (a > 0), b INT, CHECK (a < 100))")
    sql = rebuilt(recon, specs, sqlite_db, "drop_constraint: {name: c_a_check, table: c}")
    assert sql[0] == 'CREATE TABLE "_recon_rebuild_c" ("a" INT, "b" INT, CONSTRAINT "c_a_check1" CHECK (a < 100))'
    assert sqlite_db.scalar("SELECT count(*) FROM sqlite_master WHERE sql LIKE '%c_a_check1%'") == 1


def test_generated_columns_stay_generated(recon, specs, sqlite_db, tmp_path):
    script = ("CREATE TABLE invoices (id INTEGER PRIMARY KEY, net INT NOT NULL, vat INT NOT NULL DEFAULT 0, "
              "gross INT GENERATED ALWAYS AS (net + vat) STORED, label TEXT AS ('#' || id) VIRTUAL, note TEXT)")
    sqlite_db.run(script + ";\nINSERT INTO invoices (id, net, vat, note) VALUES (1, 100, 20, 'x')")
    sql = rebuilt(recon, specs, sqlite_db, "alter_column: {table: invoices, name: note, nullable: false}")
    assert '"gross" INT AS (net + vat) STORED' in sql[0] and "\"net\", \"vat\", \"note\") SELECT" in sql[1]
    assert described(db_path(sqlite_db), "invoices") == declared_by_hand(tmp_path, script.replace("note TEXT", "note TEXT NOT NULL"), "invoices")
    sqlite_db.run("INSERT INTO invoices (id, net, vat, note) VALUES (2, 5, 1, 'y')")
    assert [sqlite_db.scalar(f"SELECT gross || label FROM invoices WHERE id = {i}") for i in (1, 2)] == ["120#1", "6#2"]


def test_a_dropped_column_a_generated_column_reads_is_refused(recon, specs, sqlite_db):
    sqlite_db.run("CREATE TABLE invoices (id INTEGER PRIMARY KEY, net INT, vat INT, gross INT AS (net + vat) STORED, UNIQUE (vat))")
    err = refused(recon, specs, sqlite_db, "drop_column: {table: invoices, name: vat}")
    assert "unit.yaml:5: U1: drop_column: cannot plan: invoices.vat is read by generated column gross (AS (net + vat))" in err


def test_strict_tables_stay_strict_and_take_only_strict_types(recon, specs, sqlite_db, tmp_path):
    script = "CREATE TABLE s (id INTEGER PRIMARY KEY, qty INT, note TEXT) STRICT"
    sqlite_db.run(script)
    err = refused(recon, specs, sqlite_db, "alter_column: {table: s, name: note, type: varchar(20)}")
    assert ("alter_column: cannot plan: s is a STRICT table, whose columns SQLite allows only the types INT, INTEGER, "
            "REAL, TEXT, BLOB, ANY: s.note cannot be varchar(20) (VARCHAR(20))") in err
    assert "s.extra cannot be bigint" in refused(recon, specs, sqlite_db, "add_column: {table: s, name: extra, type: bigint}")
    rebuilt(recon, specs, sqlite_db, "alter_column: {table: s, name: note, nullable: false}")
    assert described(db_path(sqlite_db), "s") == declared_by_hand(tmp_path, script.replace("note TEXT", "note TEXT NOT NULL"), "s")


def test_without_rowid_tables_stay_without_rowid_and_keep_their_key(recon, specs, sqlite_db, tmp_path):
    script = "CREATE TABLE kv (k TEXT, v TEXT, n INT, PRIMARY KEY (k DESC)) WITHOUT ROWID"
    sqlite_db.run(script + ";\nINSERT INTO kv VALUES ('a', 'x', 1)")
    err = refused(recon, specs, sqlite_db, "drop_constraint: {name: kv_pkey, table: kv}")
    assert "kv is a WITHOUT ROWID table, which SQLite cannot make without a primary key: kv_pkey stays" in err
    rebuilt(recon, specs, sqlite_db, "alter_column: {table: kv, name: n, type: bigint}")
    assert described(db_path(sqlite_db), "kv") == declared_by_hand(tmp_path, script.replace("n INT", "n BIGINT"), "kv")
    assert sqlite_db.scalar("SELECT v FROM kv WHERE k = 'a'") == "x"


def test_an_autoincrement_key_keeps_its_type(recon, specs, sqlite_db):
    sqlite_db.run(LEGACY)
    err = refused(recon, specs, sqlite_db, "alter_column: {table: legacy, name: id, type: text}")
    assert "legacy.id is declared AUTOINCREMENT, which SQLite allows only on an INTEGER PRIMARY KEY: it cannot become text" in err


def test_what_a_rebuild_cannot_write_again_is_refused_by_name(recon, specs, sqlite_db):
    sqlite_db.run("CREATE TABLE t (id INTEGER PRIMARY KEY ON CONFLICT REPLACE, code TEXT NOT NULL ON CONFLICT IGNORE, "
                  "note TEXT, UNIQUE (code) ON CONFLICT ROLLBACK)")
    err = refused(recon, specs, sqlite_db, "alter_column: {table: t, name: note, type: varchar(20)}")
    assert ("unit.yaml:5: U1: alter_column: cannot plan: SQLite rebuilds t to change note, and the rebuild would lose "
            "ON CONFLICT REPLACE on id, ON CONFLICT IGNORE on code, ON CONFLICT ROLLBACK on UNIQUE (code): "
            "change it with a sql operation") in err
    sqlite_db.run("CREATE TABLE j (id INTEGER PRIMARY KEY, doc TEXT CHECK (json(doc) IS NOT json('{}')), note TEXT)")
    err = refused(recon, specs, sqlite_db, "alter_column: {table: j, name: note, nullable: false}")
    assert "SQLite rebuilds j to change note, and the rebuild would lose CHECK (json(doc) IS NOT json('{}')) on doc" in err
    assert "SQLite rebuilds t to add constraint t_note_key" in refused(
        recon, specs, sqlite_db, "add_constraint: {name: t_note_key, table: t, type: unique, columns: [note]}")
    # a change ADD COLUMN makes needs no rebuild, so nothing is lost
    (specs / "unit.yaml").write_text(unit("add_column: {table: t, name: extra, type: text}"), encoding="utf-8")
    assert plan_json(recon, specs, sqlite_db)["actions"][0]["sql"] == ['ALTER TABLE "t" ADD COLUMN "extra" TEXT']


def test_a_rename_earlier_in_the_plan_is_followed(recon, specs, sqlite_db, tmp_path):
    """The rebuild finds a renamed column's declaration by its place, and writes its new name in
    the keys and expressions that read it."""
    script = "CREATE TABLE r (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b INT, UNIQUE (a, b), CHECK (length(a) < 9))"
    sqlite_db.run(script + ";\nINSERT INTO r VALUES (1, 'x', 2)")
    rebuilt(recon, specs, sqlite_db, "rename_column: {table: r, name: a, new_name: label}", "alter_column: {table: r, name: b, type: bigint}")
    by_hand = script.replace("a TEXT", "label TEXT").replace("(a, b)", "(label, b)").replace("length(a)", "length(label)").replace("b INT", "b BIGINT")
    assert described(db_path(sqlite_db), "r") == declared_by_hand(tmp_path, by_hand, "r")


def test_a_changed_declaration_makes_the_plan_stale(recon, specs, sqlite_db, tmp_path):
    sqlite_db.run("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, note TEXT)")
    (specs / "unit.yaml").write_text(unit("alter_column: {table: t, name: note, type: varchar(20)}"), encoding="utf-8")
    plan_file = tmp_path / "plan.json"
    assert recon("plan", "--specs", specs, "--db", sqlite_db.url, "--out", plan_file)[0] == 0
    sqlite_db.run("DROP TABLE t;\nCREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT COLLATE RTRIM, note TEXT)")
    code, out, err = recon("apply", plan_file, "--db", sqlite_db.url, "--auto-approve")
    assert code != 0 and "plan is stale" in err and "table main.t" in err
    assert "COLLATE RTRIM" in sqlite_db.scalar("SELECT sql FROM sqlite_master WHERE name = 't'")


def test_the_layout_lists_what_it_cannot_write_again():
    assert layout("CREATE VIRTUAL TABLE d USING fts5(a, b)").unkept
    found = layout("CREATE TABLE t (a INTEGER, b TEXT, PRIMARY KEY (a AUTOINCREMENT)) STRICT, WITHOUT ROWID")
    assert (found.strict, found.without_rowid, found.unkept) == (True, True, ("AUTOINCREMENT on PRIMARY KEY (a AUTOINCREMENT)",))
    odd = layout("CREATE TABLE t (a INT PRIMARY KEY) FUTURE_OPTION")
    assert odd.unkept == ("the table option FUTURE_OPTION",)
    twice = layout("CREATE TABLE t (a INT CONSTRAINT c CHECK (a > 0), b INT, CONSTRAINT C CHECK (b > 0))")
    assert twice.unkept == ("the second constraint named c",)  # inspection keeps one of the two


def test_the_installed_recon_refuses_a_lossy_rebuild(sqlite_db, specs, tmp_path):
    sqlite_db.run("CREATE TABLE t (id INTEGER PRIMARY KEY ON CONFLICT REPLACE, note TEXT)")
    (specs / "unit.yaml").write_text(unit("alter_column: {table: t, name: note, nullable: false}"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    recon_bin = str(Path(sys.executable).parent / "recon")
    done = subprocess.run([recon_bin, "plan", "--specs", str(specs), "--db", sqlite_db.url, "--format", "json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and done.stdout == "", done.stdout + done.stderr
    assert "the rebuild would lose ON CONFLICT REPLACE on id: change it with a sql operation" in done.stderr
