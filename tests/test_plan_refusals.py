"""What the server would refuse is refused by `recon plan`, at the operation's line, before anything runs.

Each case was first seen failing on the server at apply time (PostgreSQL, MariaDB, SQLite);
the plan now says so with the unit, the operation and the spec line, exit 1, and writes nothing.
"""

from __future__ import annotations

import textwrap

import pytest
from support import inspected, plan_json

BASE = """
CREATE TABLE organizations (id integer PRIMARY KEY, name varchar(50), code varchar(10), note text);
CREATE TABLE members (id integer PRIMARY KEY, org_id integer, email varchar(80),
  CONSTRAINT members_org_fkey FOREIGN KEY (org_id) REFERENCES organizations (id));
CREATE TABLE badges (id integer PRIMARY KEY, label varchar(20), CONSTRAINT badges_label_key UNIQUE (label));
CREATE TABLE awards (id integer PRIMARY KEY, badge varchar(20),
  CONSTRAINT awards_badge_fkey FOREIGN KEY (badge) REFERENCES badges (label))
"""


def unit(*operations: str) -> str:
    """A migration unit whose operations start on line 5 of its file."""
    body = "\n".join(f"  - {op}" for op in operations)
    return f"kind: migration\nid: U1\nscope: schema\noperations:\n{body}\n"


def refused(recon, specs, db, *operations: str) -> str:
    """Plan a unit of ``operations`` on ``db``; the plan must fail as a spec problem. Returns stderr."""
    (specs / "unit.yaml").write_text(unit(*operations), encoding="utf-8")
    code, out, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1, out + err
    assert "Traceback" not in err
    return err


def keys(db) -> set[tuple]:
    """(table, kind, columns, referenced table, referenced columns) of every unique and foreign key of ``db``."""
    return {(c.table, c.kind, c.columns, c.ref_table, c.ref_columns)
            for c in inspected(db).constraints.values() if c.kind in ("unique", "foreign_key")}


def planned(recon, specs, db, *operations: str) -> dict:
    (specs / "unit.yaml").write_text(unit(*operations), encoding="utf-8")
    return plan_json(recon, specs, db)


CASES = {
    "index on a missing column": (
        "create_index: {name: members_nope_idx, table: members, columns: [email, nope_col]}",
        "unit.yaml:5: U1: create_index: cannot plan: column members.nope_col does not exist (index members_nope_idx names it)"),
    "unique constraint on a missing column": (
        "add_constraint: {name: members_nope_key, table: members, type: unique, columns: [nope_col]}",
        "unit.yaml:5: U1: add_constraint: cannot plan: column members.nope_col does not exist (constraint members_nope_key names it)"),
    "foreign key to a missing column": (
        "add_constraint: {name: members_org2_fkey, table: members, type: foreign_key, columns: [org_id], "
        "references: {table: organizations, columns: [idd]}}",
        "cannot plan: foreign key members_org2_fkey: referenced column organizations.idd does not exist"),
    "add_column referencing a missing column": (
        "add_column: {table: members, name: owner_id, type: integer, references: {table: organizations, column: idd}}",
        "unit.yaml:5: U1: add_column (its add_constraint): cannot plan: foreign key members_owner_id_fkey: referenced column "
        "organizations.idd does not exist"),
    "foreign key to a column that is no key": (
        "add_column: {table: members, name: org_code, type: varchar(10), references: {table: organizations, column: code}}",
        "foreign key members_org_code_fkey: organizations (code) is not a primary key or unique key"),
    "set_null on a NOT NULL column": (
        "create_table: {table: teams, columns: [{name: id, type: integer, primary_key: true}, "
        "{name: org_id, type: integer, nullable: false, references: {table: organizations, column: id, on_delete: set_null}}]}",
        "cannot plan: foreign key teams_org_id_fkey: on_delete: set_null, but teams.org_id is NOT NULL"),
    "create_table with a foreign key to a missing column": (
        "create_table: {table: teams, columns: [{name: id, type: integer, primary_key: true}, "
        "{name: org_id, type: integer, references: {table: organizations, column: idd}}]}",
        "unit.yaml:5: U1: create_table: cannot plan: foreign key teams_org_id_fkey: referenced column organizations.idd does not exist"),
    "primary key naming no column of the table": (
        "create_table: {table: teams, columns: [{name: id, type: integer}], primary_key: [idd]}",
        "create_table: cannot plan: primary key column idd is not one of the table's columns"),
    "check reading a missing column": (
        "add_constraint: {name: members_email_check, table: members, type: check, check: \"emial <> ''\"}",
        "cannot plan: column members.emial does not exist (check members_email_check reads it)"),
    "drop of a referenced table": (
        "drop_table: {table: organizations}",
        "cannot plan: organizations is referenced by foreign key members_org_fkey of members: drop that key first (or declare cascade: true)"),
    "drop of a referenced column": (
        "drop_column: {table: organizations, name: id}",
        "cannot plan: organizations.id is referenced by foreign key members_org_fkey of members: drop that key first"),
    "index on a view": (
        "create_index: {name: org_names_idx, table: org_names, columns: [name]}",
        "cannot plan: org_names is a view, not a table"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_plan_refuses_what_the_server_would(recon, specs, db, case):
    db.run(BASE + ";\nCREATE VIEW org_names AS SELECT id, name FROM organizations")
    operation, message = CASES[case]
    assert message in refused(recon, specs, db, operation)
    assert db.scalar("SELECT count(*) FROM organizations") == 0  # and nothing ran: no ledger either
    tables = {"sqlite": "SELECT count(*) FROM sqlite_master WHERE name = 'recon_ledger'",
              "postgresql": "SELECT count(*) FROM pg_tables WHERE tablename = 'recon_ledger'",
              "mysql": "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'recon_ledger' AND TABLE_SCHEMA = DATABASE()"}
    assert db.scalar(tables[db.dialect]) == 0


def test_a_refusal_points_at_the_operation_inside_a_long_unit(recon, specs, db):
    db.run(BASE)
    err = refused(recon, specs, db,
                  "add_column: {table: members, name: nickname, type: varchar(40)}",
                  "create_index: {name: members_nick_idx, table: members, columns: [nickname]}",
                  "create_index: {name: members_bad_idx, table: members, columns: [nick_name]}")
    assert "unit.yaml:7: U1: create_index: cannot plan: column members.nick_name does not exist" in err
    assert "members_nick_idx" not in err  # the column added by the unit itself counts


def test_what_earlier_operations_make_counts(recon, specs, db):
    """A key made by the same unit can be referenced; a self-referencing table can point at its own key."""
    db.run(BASE)
    plan = planned(recon, specs, db,
                   "add_constraint: {name: organizations_code_key, table: organizations, type: unique, columns: [code]}",
                   "add_column: {table: members, name: org_code, type: varchar(10), references: {table: organizations, column: code}}",
                   "create_table: {table: teams, columns: [{name: id, type: integer, primary_key: true}, "
                   "{name: parent_id, type: integer, references: {table: teams, column: id}}]}",
                   "drop_constraint: {name: awards_badge_fkey, table: awards}",
                   "drop_constraint: {name: badges_label_key, table: badges}")
    assert [a["status"] for a in plan["actions"]] == ["pending"] * 6
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--allow-destructive", "--auto-approve")
    assert code == 0, out + err
    assert [a["status"] for a in plan_json(recon, specs, db)["actions"]] == []  # converged: the unit is applied
    assert keys(db) == {("organizations", "unique", ("code",), None, ()),  # badges_label_key and awards_badge_fkey are gone
                        ("members", "foreign_key", ("org_id",), "organizations", ("id",)),
                        ("members", "foreign_key", ("org_code",), "organizations", ("code",)),
                        ("teams", "foreign_key", ("parent_id",), "teams", ("id",))}


def test_a_foreign_key_needs_compatible_types(recon, specs, db):
    db.run(BASE)
    operation = "add_column: {table: members, name: org_name, type: integer, references: {table: badges, column: label}}"
    if db.dialect == "sqlite":  # SQLite compares stored values, not declared types: the key works
        assert planned(recon, specs, db, operation)["actions"][1]["status"] == "pending"
        return
    assert "cannot reference badges.label" in refused(recon, specs, db, operation)
    assert "different families" in refused(recon, specs, db, operation)


def test_mysql_needs_the_same_integer_type_on_both_sides(recon, specs, db):
    db.run(BASE)
    operation = "add_column: {table: members, name: big_org, type: bigint, references: {table: organizations, column: id}}"
    if db.dialect == "mysql":
        err = refused(recon, specs, db, operation)
        assert "members.big_org (BIGINT) cannot reference organizations.id (int(11)): MySQL needs the same type" in err
    else:  # PostgreSQL compares integer widths; SQLite does not look at types
        assert planned(recon, specs, db, operation)["actions"][1]["status"] == "pending"


def test_dropping_a_referenced_key(recon, specs, db):
    db.run(BASE)
    err = refused(recon, specs, db, "drop_constraint: {name: badges_label_key, table: badges}")
    if db.dialect == "mysql":
        assert "badges_label_key is the only index foreign key awards_badge_fkey can use" in err
    else:
        assert "badges_label_key is the key foreign key awards_badge_fkey of awards references: drop that key first" in err


def test_mysql_keeps_a_foreign_key_column_until_its_key_is_dropped(recon, specs, db):
    db.run(BASE)
    operation = "drop_column: {table: members, name: org_id}"
    if db.dialect == "mysql":
        assert "members.org_id is a column of foreign key members_org_fkey: MySQL needs that key dropped first" in refused(
            recon, specs, db, operation)
    else:  # PostgreSQL drops the key with its column; SQLite rebuilds the table without it
        plan = planned(recon, specs, db, operation)
        assert plan["actions"][0]["status"] == "pending"


def test_mysql_cannot_change_the_type_of_a_foreign_key_column(recon, specs, db):
    db.run(BASE)
    operation = "alter_column: {table: awards, name: badge, type: varchar(40)}"
    if db.dialect == "mysql":
        assert "awards.badge is in foreign key awards_badge_fkey: MySQL cannot change its type" in refused(recon, specs, db, operation)
    else:
        assert planned(recon, specs, db, operation)["actions"][0]["status"] == "pending"
    if db.dialect == "postgresql":
        err = refused(recon, specs, db, "alter_column: {table: awards, name: badge, type: integer}")
        assert "awards.badge is in foreign key awards_badge_fkey" in err


GENERATED = {
    "postgresql": "CREATE TABLE tickets (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total integer, "
                  "doubled integer GENERATED ALWAYS AS (total * 2) STORED)",
    "mysql": "CREATE TABLE tickets (id integer AUTO_INCREMENT PRIMARY KEY, total integer, "
             "doubled integer GENERATED ALWAYS AS (total * 2) STORED)",
    "sqlite": "CREATE TABLE tickets (id integer PRIMARY KEY, total integer, "
              "doubled integer GENERATED ALWAYS AS (total * 2) STORED)",
}


def test_a_generated_column_takes_no_default(recon, specs, db):
    db.run(GENERATED[db.dialect])
    err = refused(recon, specs, db, "alter_column: {table: tickets, name: doubled, default: 3}")
    assert "tickets.doubled is generated by the database: it takes no default" in err
    if db.dialect != "sqlite":
        err = refused(recon, specs, db, "alter_column: {table: tickets, name: id, default: 3}")
        assert "tickets.id is" in err and "it takes no default" in err


def test_postgresql_json_and_partitioned_tables(recon, specs, postgres_db):
    db = postgres_db
    db.run(textwrap.dedent("""
        CREATE TABLE events (id integer, at date, payload json) PARTITION BY RANGE (at);
        CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')
    """))
    err = refused(recon, specs, db, "create_index: {name: events_payload_idx, table: events, columns: [payload]}")
    assert "events_payload_idx: column events.payload is json, which PostgreSQL cannot index" in err
    err = refused(recon, specs, db, "create_index: {name: events_id_key, table: events, columns: [id], unique: true}")
    assert "events is partitioned by (at): a unique key on it must include at" in err
    (specs / "unit.yaml").write_text(unit("create_index: {name: events_at_idx, table: events, columns: [at], concurrently: true}")
                                     .replace("scope: schema", "scope: schema\ntransactional: false"), encoding="utf-8")
    code, _, err = recon("plan", "--specs", specs, "--db", db.url)
    assert code == 1 and "PostgreSQL cannot build an index on it concurrently" in err
    ok = planned(recon, specs, db, "create_index: {name: events_id_at_key, table: events, columns: [id, at], unique: true}")
    assert ok["actions"][0]["status"] == "pending"
    assert recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")[0] == 0
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'events_id_at_key'") == 1


def test_mysql_partitioned_tables_take_no_foreign_key(recon, specs, mysql_db):
    db = mysql_db
    db.run(BASE + ";\nCREATE TABLE visits (id integer, org_id integer, at date) "
           "PARTITION BY RANGE (year(at)) (PARTITION p0 VALUES LESS THAN (2030), PARTITION p1 VALUES LESS THAN MAXVALUE)")
    err = refused(recon, specs, db, "add_constraint: {name: visits_org_fkey, table: visits, type: foreign_key, columns: [org_id], "
                                    "references: {table: organizations, columns: [id]}}")
    assert "foreign key visits_org_fkey: MySQL has no foreign keys on partitioned tables" in err


def test_a_column_a_view_reads(recon, specs, db):
    db.run(BASE + ";\nCREATE VIEW member_emails AS SELECT m.id, email FROM members AS m")
    drop = "drop_column: {table: members, name: email}"
    if db.dialect == "mysql":  # MySQL drops the column and leaves the view to fail when read
        assert planned(recon, specs, db, drop)["actions"][0]["status"] == "pending"
        return
    err = refused(recon, specs, db, drop)
    assert "members.email is read by view member_emails: change or drop the view first" in err
    if db.dialect == "postgresql":
        err = refused(recon, specs, db, "alter_column: {table: members, name: email, type: text}")
        assert "PostgreSQL cannot change the type of a column a view reads" in err
        assert "members is read by view member_emails: drop the view first" in refused(
            recon, specs, db, "drop_constraint: {name: members_org_fkey, table: members}", "drop_table: {table: members}")


def test_sqlite_rebuilds_a_table_views_read(recon, specs, sqlite_db):
    """SQLite checks every view while renaming the rebuilt table; the legacy rename lets it through."""
    db = sqlite_db
    db.run(BASE + ";\nCREATE VIEW member_emails AS SELECT id, email FROM members;\n"
           "INSERT INTO organizations (id, name) VALUES (1, 'acme');\nINSERT INTO members (id, org_id, email) VALUES (7, 1, 'a@x.io')")
    plan = planned(recon, specs, db, "alter_column: {table: members, name: email, nullable: false}")
    sql = "\n".join(plan["actions"][0]["sql"])
    assert "PRAGMA legacy_alter_table = ON" in sql and sql.index("legacy_alter_table = OFF") > sql.index("RENAME TO")
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    assert db.scalar("SELECT email FROM member_emails WHERE id = 7") == "a@x.io"
    assert db.scalar("SELECT \"notnull\" FROM pragma_table_info('members') WHERE name = 'email'") == 1
    assert plan_json(recon, specs, db)["actions"] == []


def test_a_guard_query_the_server_refuses_names_its_unit(recon, specs, db):
    db.run(BASE)
    err = refused(recon, specs, db, 'sql: {dialect: postgres, statements: ["UPDATE members SET email = NULL"], '
                                    'guard: {sql: "SELECT count(*) > 0 FROM no_such_table"}}')
    assert "unit.yaml:5: U1: sql: the guard's query failed on the server:" in err
    assert "no_such_table" in err


def test_names_longer_than_the_target_holds(recon, specs, db):
    """PostgreSQL holds 63 bytes (it would cut a longer name silently), MySQL 64 characters, SQLite any."""
    t64, t65 = "t" * 64, "t" * 65
    create = "create_table: {table: %s, columns: [{name: id, type: integer, primary_key: true}]}"
    if db.dialect == "sqlite":
        assert planned(recon, specs, db, create % ("t" * 200))["actions"][0]["status"] == "pending"
        return
    err = refused(recon, specs, db, create % (t65,))
    assert f"unit.yaml:5: U1: create_table: cannot plan: table name '{t65}' (table) is 65" in err
    long_pk = "create_table: {table: %s, columns: [{name: id, type: integer, primary_key: true}]}" % ("p" * 60)
    if db.dialect == "postgresql":
        assert "is 64 bytes on PostgreSQL, which allows 63: PostgreSQL would cut it" in refused(recon, specs, db, create % (t64,))
        err = refused(recon, specs, db, long_pk)  # its primary key would be called pppp..._pkey, 65 bytes
        assert f"constraint name '{'p' * 60}_pkey' (the name recon derives from columns[0].primary_key) is 65 bytes" in err
        assert "which allows 63" in refused(recon, specs, db, create % ("é" * 32,))  # 32 characters, 64 bytes
    else:  # MySQL calls every primary key PRIMARY, and holds 64 characters
        assert planned(recon, specs, db, long_pk)["actions"][0]["status"] == "pending"
    db.run(BASE)
    err = refused(recon, specs, db, "add_column: {table: organizations, name: %s, type: integer, unique: true}" % ("c" * 50,))
    assert (f"add_column (its add_constraint): cannot plan: constraint name 'organizations_{'c' * 50}_key' "
            "(the name recon derives from unique) is 68") in err
    fits = "x" * 63 if db.dialect == "postgresql" else "x" * 64
    planned(recon, specs, db, "create_table: {table: %s, columns: [{name: id, type: integer}]}" % (fits,))
    assert recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")[0] == 0
    catalog = {"postgresql": "SELECT count(*) FROM pg_tables WHERE tablename = '%s'",
               "mysql": "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_NAME = '%s' AND TABLE_SCHEMA = DATABASE()"}
    assert db.scalar(catalog[db.dialect] % fits) == 1  # the table has exactly the declared name
    assert plan_json(recon, specs, db)["actions"] == []


def test_every_reason_an_operation_is_refused_is_reported(recon, specs, db):
    """One plan run names each thing to fix in an operation, not only the first: here an over-long index name and
    a `where` that reads a missing column (SQLite has no name limit, so one reason there)."""
    db.run(BASE)
    name = "n" * 70
    err = refused(recon, specs, db, f"create_index: {{name: {name}, table: members, columns: [email], where: 'nope_col > 0'}}")
    lines = [line for line in err.splitlines() if "unit.yaml:5: U1: create_index: cannot plan:" in line]
    assert any("nope_col" in line for line in lines), err
    assert len(lines) == (1 if db.dialect == "sqlite" else 2), err
    if db.dialect != "sqlite":
        assert any(name in line and ("allows 63" in line or "allows 64" in line) for line in lines), err
