"""What looked "already present", or what MySQL's MODIFY did besides the change, is now what the plan says."""

from __future__ import annotations

from support import plan_json
from test_plan_refusals import BASE, planned, refused


def test_a_table_over_a_view_of_that_name_is_refused_not_present(recon, specs, db):
    db.run(BASE + ";\nCREATE VIEW org_names AS SELECT id, name FROM organizations")
    err = refused(recon, specs, db, "create_table: {table: org_names, columns: [{name: id, type: integer}]}")
    assert "cannot plan:" in err and "org_names" in err and "view" in err


def test_a_constraint_name_taken_by_another_kind_is_refused_not_present(recon, specs, db):
    db.run(BASE)
    err = refused(recon, specs, db, "add_constraint: {name: badges_label_key, table: badges, type: check, check: \"label <> ''\"}")
    if db.dialect == "mysql":  # MariaDB's own rule for check names says it first
        assert "check constraint badges_label_key clashes with unique key badges_label_key of badges" in err
    else:
        assert "badges already has a unique constraint named badges_label_key" in err
    if db.dialect != "mysql":  # the same kind and name is present, as before
        plan = planned(recon, specs, db, "add_constraint: {name: badges_label_key, table: badges, type: unique, columns: [label]}")
        assert plan["actions"][0]["status"] == "present"


def test_a_drop_whose_object_is_gone_reads_already_absent(recon, specs, db):
    db.run(BASE)
    plan = planned(recon, specs, db, "drop_column: {table: badges, name: no_such_column}")
    assert [(a["status"], a["reason"]) for a in plan["actions"]] == [("present", "already absent")]
    plan = planned(recon, specs, db, "add_column: {table: badges, name: label, type: text}")
    assert [(a["status"], a["reason"]) for a in plan["actions"]] == [("present", "already present")]


def test_the_predicted_fingerprint_says_raw_sql_is_not_in_it(recon, specs, sqlite_db):
    """A raw sql operation's effect is simulated by no plan: the prediction says it leaves it out."""
    db = sqlite_db
    db.run(BASE)
    (specs / "fingerprint.yaml").write_text("kind: fingerprint\nname: f\nchecks:\n  - column: badges.w\n", encoding="utf-8")
    planned(recon, specs, db, "sql: {dialect: sqlite, statements: ['ALTER TABLE badges ADD COLUMN w integer'], guard: {column_missing: badges.w}}")
    code, out, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 0, err
    assert "fingerprint 0/1 -> 0/1 (without the effect of 1 raw sql operation: not simulated)" in out
    code, out, err = recon("plan", "--specs", specs, "--db", db.url, "--format", "markdown")
    assert "(without the effect of 1 raw `sql` operation: not simulated)" in out
    (specs / "unit.yaml").write_text("kind: migration\nid: U1\nscope: schema\noperations:\n"
                                     "  - add_column: {table: badges, name: w, type: integer}\n", encoding="utf-8")
    code, out, err = recon("plan", "--specs", specs, "--db", db.url)
    assert "fingerprint 0/1 -> 1/1" in out and "not simulated" not in out


def test_mysql_modify_keeps_a_columns_collation(recon, specs, mysql_db):
    db = mysql_db
    db.run("CREATE TABLE codes (id integer PRIMARY KEY, code varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci)")
    collation = ("SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                 "AND TABLE_NAME = 'codes' AND COLUMN_NAME = 'code'")
    plan = planned(recon, specs, db, "alter_column: {table: codes, name: code, nullable: false}",
                   "alter_column: {table: codes, name: code, type: varchar(40)}")
    assert "COLLATE latin1_swedish_ci" in plan["actions"][0]["sql"][0]
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    assert db.scalar(collation) == "latin1_swedish_ci"  # MODIFY without it gives the table's default, utf8mb4
    assert db.scalar("SELECT IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                     "AND TABLE_NAME = 'codes' AND COLUMN_NAME = 'code'") == "NO"
    assert plan_json(recon, specs, db)["actions"] == []


def test_mysql_modify_keeps_a_columns_comment(recon, specs, mysql_db):
    """MODIFY COLUMN restates the whole column: a comment it leaves out is gone, silently."""
    db = mysql_db
    db.run("CREATE TABLE codes (id integer PRIMARY KEY, code varchar(10) NOT NULL DEFAULT 'x' COMMENT 'the customer''s code \\\\ v2')")
    comment = ("SELECT COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
               "AND TABLE_NAME = 'codes' AND COLUMN_NAME = 'code'")
    before = db.scalar(comment)
    assert before == "the customer's code \\ v2"
    planned(recon, specs, db, "alter_column: {table: codes, name: code, type: varchar(20)}")
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    assert db.scalar(comment) == before
    assert db.scalar("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                     "AND TABLE_NAME = 'codes' AND COLUMN_NAME = 'code'") == "varchar(20)"
    assert plan_json(recon, specs, db)["actions"] == []


def test_an_innodb_key_holds_3072_bytes(recon, specs, db):
    """Four varchar(255) columns in utf8mb4 take 4080 bytes: MariaDB refuses the index (1071), or shortens a
    one-column one to a prefix silently; PostgreSQL and SQLite take both."""
    db.run("CREATE TABLE wide (id integer PRIMARY KEY, a varchar(255), b varchar(255), c varchar(255), d varchar(255), "
           "e varchar(800), f varchar(256), g varchar(256), h varchar(256))")
    wide = "create_index: {name: wide_abcd_idx, table: wide, columns: [a, b, c, d]}"
    single = "create_index: {name: wide_e_idx, table: wide, columns: [e]}"
    fits = "create_index: {name: wide_fgh_idx, table: wide, columns: [f, g, h]}"  # 3 x 256 x 4 = 3072: the limit itself
    retype = "alter_column: {table: wide, name: f, type: varchar(600)}"
    if db.dialect != "mysql":
        assert [a["status"] for a in planned(recon, specs, db, wide, single, fits, retype)["actions"]] == ["pending"] * 4
        return
    assert "index wide_abcd_idx on wide (a, b, c, d) would take 4080 bytes, more than the 3072" in refused(recon, specs, db, wide)
    assert "index wide_e_idx on wide (e) would take 3200 bytes" in refused(recon, specs, db, single)
    unique = "add_constraint: {name: wide_abcd_key, table: wide, type: unique, columns: [a, b, c, d]}"  # MariaDB hashes it
    planned(recon, specs, db, fits, unique)
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    assert db.scalar("SELECT count(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                     "AND INDEX_NAME = 'wide_fgh_idx' AND SUB_PART IS NULL") == 3  # whole columns, no prefix
    (specs / "unit2.yaml").write_text("kind: migration\nid: U2\nscope: schema\noperations:\n  - " + retype + "\n", encoding="utf-8")
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "index wide_fgh_idx on wide (f, g, h) would take 4448 bytes" in err


def test_mysql_a_unique_key_of_a_partitioned_table_holds_its_partitioning_columns(recon, specs, mysql_db):
    db = mysql_db
    db.run("CREATE TABLE visits (id integer NOT NULL, at date NOT NULL, n integer) "
           "PARTITION BY RANGE (year(at)) (PARTITION p0 VALUES LESS THAN (2030), PARTITION p1 VALUES LESS THAN MAXVALUE)")
    err = refused(recon, specs, db, "create_index: {name: visits_id_key, table: visits, columns: [id], unique: true}")
    assert "visits is partitioned by (at): a unique key on it must include at" in err  # MariaDB: error 1503
    planned(recon, specs, db, "create_index: {name: visits_id_at_key, table: visits, columns: [id, at], unique: true}",
            "create_index: {name: visits_n_idx, table: visits, columns: [n]}")
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    assert db.scalar("SELECT count(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                     "AND TABLE_NAME = 'visits'") == 2
    assert plan_json(recon, specs, db)["actions"] == []


def test_sqlite_virtual_tables_take_no_index_column_or_constraint(recon, specs, sqlite_db):
    db = sqlite_db
    db.run("CREATE VIRTUAL TABLE docs USING fts5(title, body)")
    for operation in ("create_index: {name: docs_title_idx, table: docs, columns: [title]}",
                      "add_column: {table: docs, name: extra, type: text}"):
        assert "docs is a SQLite virtual table (a module's, such as fts5)" in refused(recon, specs, db, operation)
    assert planned(recon, specs, db, "drop_table: {table: docs}")["actions"][0]["status"] == "pending"


def test_mysql_table_names_fold_where_lower_case_table_names_says_so(mysql_db):
    """The server here keeps case (lower_case_table_names = 0): the value is read, and where it is 1 or 2
    (Windows, macOS) a table `Tags` next to `tags` is one name, refused at plan."""
    from engine.changes import from_operation
    from engine.changes.refusals import refusal
    from engine.inspect import inspect_schema
    from engine.spec.model import Operation, Source
    from engine.target.connection import make_target, read_only_connection

    mysql_db.run("CREATE TABLE tags (id integer PRIMARY KEY)")
    with read_only_connection(make_target(mysql_db.url)) as conn:
        state = inspect_schema(conn, [])
    assert state.table_names_fold is False
    create = from_operation("U1", Operation("create_table", {"table": "Tags", "columns": [{"name": "id", "type": "integer"}]},
                                            Source("u.yaml", 5)))[0]
    assert refusal(create, state) is None
    state.table_names_fold = True
    assert "table Tags clashes with table tags: MySQL with lower_case_table_names 1 or 2" in refusal(create, state)
