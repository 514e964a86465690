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
