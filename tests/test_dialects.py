"""Operations limited to dialects (``dialects:``) and the plan warnings for features a dialect
lacks, on SQLite, PostgreSQL and MariaDB: what is skipped runs nothing (the catalog shows it),
and what a dialect cannot do is said in the plan, never dropped silently.
"""

from __future__ import annotations

import json

from support import apply_ok, dialect_sql, inspected, plan_json, write
from support import stored_rows as rows

LIMITED = """
kind: migration
id: R4-limited
scope: schema
rollback:
  operations:
    - drop_index: {name: t_pg_idx, table: t, dialects: [postgresql]}
    - drop_index: {name: t_other_idx, table: t, dialects: [sqlite, mysql]}
operations:
  - create_index: {name: t_pg_idx, table: t, columns: [n], where: "n > 0", dialects: [postgresql]}
  - create_index: {name: t_other_idx, table: t, columns: [n], dialects: [sqlite, mysql]}
  - create_index: {name: t_all_idx, table: t, columns: [id, n]}
  - sql:
      dialect: postgres
      statements: ["UPDATE t SET n = 7 WHERE n IS NULL"]
      guard: {sql: "SELECT count(*) > 0 FROM t"}
      dialects: [postgresql]
"""


def test_dialects_skips_an_operation_elsewhere_and_runs_nothing_for_it(db, recon, specs, tmp_path):
    db.run(dialect_sql(db, 'CREATE TABLE "t" ("id" integer NOT NULL PRIMARY KEY, "n" integer);\nINSERT INTO "t" ("id") VALUES (1)'))
    write(specs, "u", LIMITED)
    out = tmp_path / "plan.json"
    code, text, err = recon("plan", "--specs", specs, "--db", db.url, "--out", out)
    assert code == 0, err
    saved = json.loads(out.read_text())
    mine = "postgresql" if db.dialect == "postgresql" else "other"
    statuses = {a["object"]: a["status"] for a in saved["actions"]}
    runs = {"postgresql": ["t_pg_idx", "t_all_idx", "1 statement"], "other": ["t_other_idx", "t_all_idx"]}[mine]
    assert [o for o, s in statuses.items() if s == "pending"] == runs
    skipped = [a for a in saved["actions"] if a["status"] == "skipped_dialect"]
    assert all(a["sql"] == [] and not a["destructive"] and a["guard_sql"] is None for a in skipped)
    if mine == "other":
        assert skipped[0]["reason"] == f"dialects: [postgresql]: not for {db.dialect}"
        assert f"= create_index t_pg_idx: skipped, dialects: [postgresql]: not for {db.dialect}" in text
    else:
        assert skipped[0]["reason"] == "dialects: [sqlite, mysql]: not for postgresql"
    assert saved["summary"] == {"create": 2, "update": 1 if mine == "postgresql" else 0, "delete": 0}

    code, _, err = recon("apply", out, "--db", db.url)
    assert code == 0, err
    names = {ix.name for ix in inspected(db).indexes.values()}
    assert {"t_pg_idx", "t_other_idx", "t_all_idx"} & names == ({"t_pg_idx", "t_all_idx"} if mine == "postgresql" else {"t_other_idx", "t_all_idx"})
    assert rows(db, dialect_sql(db, 'SELECT "n" FROM "t"')) == [(7,) if mine == "postgresql" else (None,)]
    again = plan_json(recon, specs, db)
    assert again["units"] == [] and again["drift"] == []  # what never ran here is no drift

    code, _, err = recon("rollback", "R4-limited", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, err
    names = {ix.name for ix in inspected(db).indexes.values()}
    assert {"t_pg_idx", "t_other_idx", "t_all_idx"} & names == {"t_all_idx"}


def test_an_operation_for_another_dialect_does_not_count_in_the_simulation(db, recon, specs):
    """A column added only on PostgreSQL does not exist elsewhere: a later change that needs it
    cannot be planned there (the plan says so at its line) instead of failing on the server."""
    db.run(dialect_sql(db, 'CREATE TABLE "t" ("id" integer NOT NULL PRIMARY KEY)'))
    write(specs, "u", """
        kind: migration
        id: R5
        scope: schema
        operations:
          - add_column: {table: t, name: pg_only, type: text, dialects: [postgresql]}
          - alter_column: {table: t, name: pg_only, default: x}
        """)
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    if db.dialect == "postgresql":
        assert code == 0, err
    else:
        assert code == 1 and "u.yaml:6: R5: alter_column: cannot plan: column t.pg_only does not exist" in err


def test_concurrently_is_a_plan_warning_where_the_dialect_has_none(db, recon, specs):
    db.run(dialect_sql(db, 'CREATE TABLE "t" ("id" integer NOT NULL PRIMARY KEY, "n" integer)'))
    write(specs, "u", """
        kind: migration
        id: R6-index
        scope: schema
        transactional: false
        statement_timeout: 2min
        operations:
          - create_index: {name: t_n_idx, table: t, columns: [n], concurrently: true}
        """)
    planned = plan_json(recon, specs, db)
    code, text, _ = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 0
    concurrent = [w for w in planned["warnings"] if "concurrently: true" in w]
    timeout = [w for w in planned["warnings"] if "statement_timeout 2min" in w]
    if db.dialect == "postgresql":
        assert concurrent == [] and timeout == [] and "warning:" not in text
        return
    assert concurrent == [f"unit R6-index: create_index t_n_idx ({specs / 'u.yaml'}:7): concurrently: true has no effect on "
                          f"{db.dialect}: it has no CONCURRENTLY; "
                          + {"mysql": "InnoDB creates and drops secondary indexes online (ALGORITHM=INPLACE), but the statement waits "
                                      "for a metadata lock behind open transactions on the table",
                             "sqlite": "the statement holds the database's write lock while it runs"}[db.dialect]]
    assert f"warning: {concurrent[0]}" in text
    code, markdown, _ = recon("plan", "--specs", specs, "--db", db.url, "--format", "markdown")
    assert code == 0 and f"> **warning:** {concurrent[0]}" in markdown
    assert timeout == [(f"unit R6-index ({specs / 'u.yaml'}:1): statement_timeout 2min has no effect on {db.dialect}: "
                        "its statements run without a time limit there (only lock waits are limited)")]
    apply_ok(recon, specs, db)
    assert "t_n_idx" in {ix.name for ix in inspected(db).indexes.values()}


def test_a_unique_prefix_index_on_mysql_is_a_plan_warning(mysql_db, recon, specs):
    mysql_db.run("CREATE TABLE t (id integer NOT NULL PRIMARY KEY, body text)")
    write(specs, "u", """
        kind: migration
        id: R7
        scope: schema
        operations:
          - create_index: {name: t_body_key, table: t, columns: [body], unique: true}
        """)
    warnings = plan_json(recon, specs, mysql_db)["warnings"]
    assert warnings == [(f"unit R7: create_index t_body_key ({specs / 'u.yaml'}:5): mysql indexes TEXT/JSON columns by a prefix: "
                         "unique index t_body_key compares only the first 255 characters of body (use varchar(n) to compare whole values)")]


def test_a_partial_index_refused_on_mysql_suggests_dialects(mysql_db, recon, specs):
    mysql_db.run("CREATE TABLE t (id integer NOT NULL PRIMARY KEY, n integer)")
    write(specs, "u", """
        kind: migration
        id: R8
        scope: schema
        operations:
          - create_index: {name: t_n_idx, table: t, columns: [n], where: "n > 0"}
        """)
    code, _, err = recon("plan", "--specs", specs, "--db", mysql_db.url)
    assert code == 1 and "u.yaml:5: create_index.where: mysql has no partial indexes" in err
    assert "dialects: [postgresql, sqlite]" in err
