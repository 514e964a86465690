"""Names the server finds taken, and foreign keys MySQL refuses, are refused by `recon plan`.

Each case was first run by hand on the servers (PostgreSQL 15, MariaDB 10.11, SQLite 3.40):
a refusal here is a statement the server refuses, or skips behind IF NOT EXISTS while the
ledger would record it applied; where a server accepts the statement, the plan goes through
and the apply converges.
"""

from __future__ import annotations

from support import dialect_sql, inspected, plan_json
from test_plan_refusals import planned, refused

BASE = """
CREATE TABLE projects (id integer PRIMARY KEY, org_id integer, name varchar(40),
  CONSTRAINT projects_org_name_key UNIQUE (org_id, name));
CREATE TABLE tasks (id integer PRIMARY KEY, project_id integer, title varchar(40), status varchar(10),
  priority integer, email varchar(40), display_name varchar(40),
  CONSTRAINT tasks_priority_check CHECK (priority > 0),
  CONSTRAINT tasks_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects (id));
CREATE INDEX tasks_project_status_idx ON tasks (project_id, status);
CREATE TABLE comments (id integer PRIMARY KEY, task_id integer, project_id integer, body varchar(200),
  CONSTRAINT comments_c CHECK (id > 0));
CREATE TABLE tags (id integer PRIMARY KEY, name varchar(40), note text, CONSTRAINT tags_name_key UNIQUE (name))
"""

SERVER = {"mysql": "MariaDB", "sqlite": "SQLite"}


def applied(recon, specs, db) -> None:
    """Apply the unit written last; the server takes it and a new plan has nothing left."""
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve")
    assert code == 0, out + err
    assert plan_json(recon, specs, db)["actions"] == []


def count(db, sql: dict) -> int:
    return db.scalar(sql[db.dialect])


COLUMNS = {"postgresql": "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tasks' AND lower(column_name) = 'title'",
           "mysql": "SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tasks' AND COLUMN_NAME = 'title'",
           "sqlite": "SELECT count(*) FROM pragma_table_info('tasks') WHERE lower(name) = 'title'"}


def test_a_column_name_in_another_spelling(recon, specs, db):
    """MariaDB skips ADD COLUMN IF NOT EXISTS Title when title exists; SQLite refuses it; PostgreSQL makes a second column."""
    db.run(BASE)
    add = "add_column: {table: tasks, name: Title, type: varchar(20)}"
    rename = "rename_column: {table: tasks, name: display_name, new_name: Email}"
    if db.dialect == "postgresql":
        planned(recon, specs, db, add, rename)
        applied(recon, specs, db)
        assert count(db, COLUMNS) == 2
        return
    reason = f"{SERVER[db.dialect]} compares column names ignoring case"
    assert f"unit.yaml:5: U1: add_column: cannot plan: column Title clashes with column title of tasks: {reason}" in refused(
        recon, specs, db, add)
    assert f"rename_column: cannot plan: column Email clashes with column email of tasks: {reason}" in refused(recon, specs, db, rename)
    planned(recon, specs, db, "rename_column: {table: tasks, name: display_name, new_name: Display_Name}")  # its own name
    applied(recon, specs, db)


def test_a_table_declaring_one_column_twice(recon, specs, db):
    db.run(BASE)
    twice = "create_table: {table: pairs, columns: [{name: a, type: integer}, {name: a, type: integer}]}"
    assert "create_table: cannot plan: column a is declared twice in table pairs" in refused(recon, specs, db, twice)
    spellings = "create_table: {table: pairs, columns: [{name: a, type: integer}, {name: A, type: integer}]}"
    if db.dialect == "postgresql":
        planned(recon, specs, db, spellings)
        applied(recon, specs, db)
        assert db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'pairs'") == 2
    else:
        err = refused(recon, specs, db, spellings)
        assert f"columns a and A of table pairs clash: {SERVER[db.dialect]} compares column names ignoring case" in err


INDEXES = {"postgresql": "SELECT count(*) FROM pg_indexes WHERE lower(indexname) = 'tasks_project_status_idx'",
           "mysql": "SELECT count(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                    "AND lower(INDEX_NAME) = 'tasks_project_status_idx'",
           "sqlite": "SELECT count(*) FROM sqlite_master WHERE lower(name) = 'tasks_project_status_idx'"}


def test_an_index_name_in_another_spelling(recon, specs, db):
    """MariaDB and SQLite skip CREATE INDEX IF NOT EXISTS under another spelling of a name they have."""
    db.run(BASE)
    index = "create_index: {name: TASKS_PROJECT_STATUS_IDX, table: tasks, columns: [status]}"
    if db.dialect == "postgresql":
        planned(recon, specs, db, index)
        applied(recon, specs, db)
        assert count(db, INDEXES) == 2
        return
    err = refused(recon, specs, db, index)
    if db.dialect == "mysql":
        assert ("create_index: cannot plan: index TASKS_PROJECT_STATUS_IDX clashes with index tasks_project_status_idx of tasks: "
                "MariaDB keeps the names of a table's indexes and keys in one namespace, ignoring case") in err
    else:
        assert ("index TASKS_PROJECT_STATUS_IDX clashes with index tasks_project_status_idx of tasks: "
                "SQLite keeps tables, views and indexes in one namespace and compares names ignoring case") in err


def test_a_table_name_in_another_spelling(recon, specs, db):
    """SQLite skips CREATE TABLE IF NOT EXISTS Tasks; MariaDB (lower_case_table_names = 0) and PostgreSQL make a second table."""
    db.run(BASE + ";\nCREATE VIEW task_titles AS SELECT id, title FROM tasks")
    create = "create_table: {table: %s, columns: [{name: id, type: integer}]}"
    if db.dialect == "sqlite":
        assert "create_table: cannot plan: table Tasks clashes with table tasks: SQLite keeps tables" in refused(
            recon, specs, db, create % "Tasks")
        assert "table Task_Titles clashes with view task_titles" in refused(recon, specs, db, create % "Task_Titles")
        return
    planned(recon, specs, db, create % "Tasks")
    applied(recon, specs, db)
    tables = {"postgresql": "SELECT count(*) FROM pg_tables WHERE lower(tablename) = 'tasks'",
              "mysql": "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND lower(TABLE_NAME) = 'tasks'"}
    assert count(db, tables) == 2


def test_a_constraint_name_in_another_spelling(recon, specs, db):
    """MariaDB: 1826 for a check, 1061 for a unique key named like an index; PostgreSQL and SQLite take both."""
    db.run(BASE)
    check = "add_constraint: {name: Tasks_Priority_Check, table: tasks, type: check, check: 'priority < 100'}"
    unique = "add_constraint: {name: Tasks_Project_Status_Idx, table: tasks, type: unique, columns: [title]}"
    if db.dialect == "mysql":
        assert ("add_constraint: cannot plan: check constraint Tasks_Priority_Check clashes with check constraint "
                "tasks_priority_check of tasks: MariaDB keeps a check constraint's name apart from every other constraint "
                "name of its table, ignoring case") in refused(recon, specs, db, check)
        assert ("unique key Tasks_Project_Status_Idx clashes with index tasks_project_status_idx of tasks: "
                "MariaDB keeps the names of a table's indexes and keys in one namespace, ignoring case") in refused(recon, specs, db, unique)
        err = refused(recon, specs, db, "add_constraint: {name: Comments_C, table: comments, type: unique, columns: [body]}")
        assert "unique key Comments_C clashes with check constraint comments_c of comments" in err
        return
    planned(recon, specs, db, check, unique)
    applied(recon, specs, db)


def test_a_unique_key_named_like_an_index_of_its_table(recon, specs, db):
    """Its index would take the name: PostgreSQL 'relation already exists', MariaDB 1061; SQLite names its own index."""
    db.run(BASE)
    unique = "add_constraint: {name: tasks_project_status_idx, table: tasks, type: unique, columns: [title]}"
    if db.dialect == "sqlite":
        planned(recon, specs, db, unique)
        applied(recon, specs, db)
        return
    why = {"postgresql": SHARED, "mysql": "MariaDB keeps the names of a table's indexes and keys in one namespace, ignoring case"}
    assert (f"add_constraint: cannot plan: unique key tasks_project_status_idx clashes with index tasks_project_status_idx "
            f"of tasks: {why[db.dialect]}") in refused(recon, specs, db, unique)


SHARED = "PostgreSQL keeps the tables, views, indexes, sequences and composite types of a schema in one namespace"


def test_postgresql_tables_indexes_and_sequences_share_names(recon, specs, postgres_db):
    """CREATE ... IF NOT EXISTS skips a name another relation has; ADD CONSTRAINT ... UNIQUE fails on one."""
    db = postgres_db
    db.run(BASE + ";\nCREATE TABLE users (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);\n"
           "CREATE INDEX teams_pkey ON tags (note);\nCREATE TABLE logs (id integer GENERATED BY DEFAULT AS IDENTITY);\n"
           "CREATE TYPE point2 AS (x integer, y integer)")
    create = "create_table: {table: %s, columns: [{name: id, type: integer}]}"
    cases = {
        "create_index: {name: users, table: tasks, columns: [title]}": "create_index: cannot plan: index users clashes with table users",
        create % "tasks_pkey": "create_table: cannot plan: table tasks_pkey clashes with index tasks_pkey of tasks",
        create % "users_id_seq": "table users_id_seq clashes with sequence users_id_seq",
        "create_index: {name: point2, table: tasks, columns: [title]}": "index point2 clashes with composite type point2",
        "add_constraint: {name: tasks_project_status_idx, table: comments, type: unique, columns: [body]}":
            "unique key tasks_project_status_idx clashes with index tasks_project_status_idx of tasks",
        "add_constraint: {name: tags, table: comments, type: unique, columns: [body]}": "unique key tags clashes with table tags",
        "create_table: {table: teams, columns: [{name: id, type: integer, primary_key: true}]}":
            "primary key teams_pkey clashes with index teams_pkey of tags",
    }
    for operation, message in cases.items():
        assert f"{message}: {SHARED}" in refused(recon, specs, db, operation), operation
    boards = "create_table: {table: boards, columns: [{name: id, type: integer, identity: true, primary_key: true}]}"
    assert "table boards_id_seq clashes with sequence boards_id_seq" in refused(recon, specs, db, boards, create % "boards_id_seq")
    # a check or a foreign key takes no relation name; a dropped table's sequence goes with it
    planned(recon, specs, db, "add_constraint: {name: users, table: tasks, type: check, check: 'id > 0'}",
            "drop_table: {table: logs}", create % "logs_id_seq")
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve", "--allow-destructive")
    assert code == 0, out + err
    assert db.scalar("SELECT relkind FROM pg_class WHERE relname = 'logs_id_seq'") == "r"


def test_postgresql_a_new_table_cannot_take_a_type_name(recon, specs, postgres_db):
    """A table makes a row type of its name: 'type "mood" already exists' for an enum, domain or range type of that
    name; an index makes no type, and an array type is renamed out of the way by the server."""
    db = postgres_db
    db.run(BASE + ";\nCREATE TYPE mood AS ENUM ('ok', 'sad');\nCREATE DOMAIN positive AS integer CHECK (VALUE > 0);\n"
           "CREATE TYPE floatrange AS RANGE (subtype = float8)")
    create = "create_table: {table: %s, columns: [{name: id, type: integer}]}"
    why = "PostgreSQL gives each table a row type of its name, and the types of a schema share one namespace"
    for name, kind in (("mood", "enum type"), ("positive", "domain"), ("floatrange", "range type"),
                       ("floatmultirange", "multirange type")):
        assert f"create_table: cannot plan: table {name} clashes with {kind} {name}: {why}" in refused(
            recon, specs, db, create % name), name
    planned(recon, specs, db, "create_index: {name: mood, table: tasks, columns: [title]}", create % "_mood")
    applied(recon, specs, db)
    assert db.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('mood', '_mood')") == 2


def test_sqlite_tables_and_indexes_share_names(recon, specs, sqlite_db):
    db = sqlite_db
    db.run(BASE)
    err = refused(recon, specs, db, "create_index: {name: Tags, table: tasks, columns: [title]}")
    assert "create_index: cannot plan: index Tags clashes with table tags: SQLite keeps tables, views and indexes" in err
    err = refused(recon, specs, db, "create_table: {table: tasks_project_status_idx, columns: [{name: id, type: integer}]}")
    assert "table tasks_project_status_idx clashes with index tasks_project_status_idx of tasks" in err
    # a unique constraint is no index of its name there (SQLite names the index itself)
    planned(recon, specs, db, "create_index: {name: tags_name_key, table: tasks, columns: [status]}")
    applied(recon, specs, db)


def test_mysql_foreign_key_names_are_unique_per_database(recon, specs, db):
    """MariaDB errno 121 (whatever the spelling); PostgreSQL and SQLite name constraints per table."""
    db.run(BASE + ";\nCREATE TABLE boards_old (id integer PRIMARY KEY, project_id integer,"
           "\n  CONSTRAINT boards_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects (id))")
    same = ("add_constraint: {name: %s, table: comments, type: foreign_key, columns: [project_id], "
            "references: {table: projects, columns: [id]}}")
    boards = ("create_table: {table: boards, columns: [{name: id, type: integer, primary_key: true}, "
              "{name: project_id, type: integer, references: {table: projects, column: id}}]}")
    if db.dialect != "mysql":
        planned(recon, specs, db, same % "tasks_project_id_fkey", boards)
        applied(recon, specs, db)
        keys = {(c.table, c.name) for c in inspected(db).constraints.values() if c.kind == "foreign_key"}
        assert {("comments", "tasks_project_id_fkey"), ("tasks", "tasks_project_id_fkey"), ("boards", "boards_project_id_fkey"),
                ("boards_old", "boards_project_id_fkey")} <= keys  # the same names on other tables
        return
    reason = "MariaDB keeps foreign key names unique per database, ignoring case (errno 121)"
    err = refused(recon, specs, db, same % "tasks_project_id_fkey")
    assert f"add_constraint: cannot plan: foreign key tasks_project_id_fkey clashes with foreign key tasks_project_id_fkey of tasks: {reason}" in err
    assert "foreign key TASKS_PROJECT_ID_FKEY clashes with foreign key tasks_project_id_fkey of tasks" in refused(
        recon, specs, db, same % "TASKS_PROJECT_ID_FKEY")
    assert (f"create_table: cannot plan: foreign key boards_project_id_fkey clashes with foreign key boards_project_id_fkey "
            f"of boards_old: {reason}") in refused(recon, specs, db, boards)
    err = refused(recon, specs, db, same % "Comments_C")
    assert "foreign key Comments_C clashes with check constraint comments_c of comments: MariaDB keeps a check" in err


def test_a_foreign_key_needs_the_key_columns_in_order_on_mysql(recon, specs, db):
    """The unique key is (org_id, name): PostgreSQL and SQLite take (name, org_id) as the same key, InnoDB does not."""
    db.run(BASE)
    backwards = ("add_constraint: {name: tasks_project_fkey, table: tasks, type: foreign_key, columns: [title, project_id], "
                 "references: {table: projects, columns: [name, org_id]}}")
    in_order = ("add_constraint: {name: tasks_project_fkey, table: tasks, type: foreign_key, columns: [project_id, title], "
                "references: {table: projects, columns: [org_id, name]}}")
    if db.dialect == "mysql":
        err = refused(recon, specs, db, backwards)
        assert ("add_constraint: cannot plan: foreign key tasks_project_fkey: projects (name, org_id) is not a primary key or unique "
                "key, and no index starts with those columns in that order, which MySQL needs") in err
    planned(recon, specs, db, in_order if db.dialect == "mysql" else backwards)
    applied(recon, specs, db)
    (key,) = [c for c in inspected(db).constraints.values() if c.table == "tasks" and c.kind == "foreign_key" and c.ref_table == "projects"
              and len(c.columns) == 2]
    assert (key.columns, key.ref_columns) == ((("project_id", "title"), ("org_id", "name")) if db.dialect == "mysql"
                                              else (("title", "project_id"), ("name", "org_id")))


def test_mysql_puts_no_text_column_in_a_foreign_key(recon, specs, db):
    db.run(BASE + ";\nCREATE UNIQUE INDEX tags_note_key ON tags (note%s)" % ("(100)" if db.dialect == "mysql" else ""))
    mine = "add_column: {table: comments, name: t, type: text, references: {table: tags, column: name}}"
    theirs = "add_column: {table: comments, name: v, type: varchar(40), references: {table: tags, column: note}}"
    if db.dialect != "mysql":  # a text column references a varchar one, and the other way round
        planned(recon, specs, db, mine, theirs)
        applied(recon, specs, db)
        return
    err = refused(recon, specs, db, mine)
    assert "add_column (its add_constraint): cannot plan: foreign key comments_t_fkey: column comments.t is" in err
    assert "MariaDB cannot put a TEXT or BLOB column in a foreign key" in err
    assert "foreign key comments_v_fkey: column tags.note is text: MariaDB cannot put a TEXT or BLOB column" in refused(
        recon, specs, db, theirs)
    assert db.scalar("SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_NAME = 'comments' AND COLUMN_NAME = 't' "
                     "AND TABLE_SCHEMA = DATABASE()") == 0  # nothing half-applied


def test_mysql_foreign_keys_need_one_collation_and_innodb(recon, specs, mysql_db):
    db = mysql_db
    db.run(dialect_sql(db, """
        CREATE TABLE labels (id integer PRIMARY KEY, name varchar(40) CHARACTER SET latin1 UNIQUE) ENGINE=InnoDB;
        CREATE TABLE notes (id integer PRIMARY KEY, label varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci,
          legacy_id integer) ENGINE=InnoDB;
        CREATE TABLE legacy (id integer PRIMARY KEY, note_id integer) ENGINE=MyISAM
    """))
    fk = "add_constraint: {name: %s, table: %s, type: foreign_key, columns: [%s], references: {table: %s, columns: [%s]}}"
    err = refused(recon, specs, db, fk % ("notes_label_fkey", "notes", "label", "labels", "name"))
    assert ("foreign key notes_label_fkey: notes.label (varchar(40)) cannot reference labels.name (varchar(40)): MySQL needs the "
            "same character set and collation on both sides (utf8mb4_general_ci and latin1_swedish_ci)") in err
    reason = "only InnoDB tables take foreign keys (MariaDB refuses a key that references one and ignores a key on one)"
    assert f"foreign key notes_legacy_fkey: legacy is a MyISAM table: {reason}" in refused(
        recon, specs, db, fk % ("notes_legacy_fkey", "notes", "legacy_id", "legacy", "id"))
    assert f"foreign key legacy_note_fkey: legacy is a MyISAM table: {reason}" in refused(
        recon, specs, db, fk % ("legacy_note_fkey", "legacy", "note_id", "notes", "id"))
    # MODIFY COLUMN restates the column's own collation (render/mysql.py), so an alter keeps latin1 and the key does not fit
    db.run("CREATE TABLE badges (id integer PRIMARY KEY, label varchar(40) CHARACTER SET latin1) "
           "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci")
    err = refused(recon, specs, db, "alter_column: {table: badges, name: label, nullable: false}",
                  "add_constraint: {name: badges_label_key, table: badges, type: unique, columns: [label]}",
                  fk % ("notes_badge_fkey", "notes", "label", "badges", "label"))
    assert "(utf8mb4_general_ci and latin1_swedish_ci)" in err


def test_mysql_case_rules_leave_table_names_exact(recon, specs, mysql_db):
    """With lower_case_table_names = 0 (Linux's default) MariaDB keeps tasks and TASKS apart: an index on each may share a name."""
    db = mysql_db
    assert db.scalar("SELECT @@lower_case_table_names") == 0
    db.run(BASE + ";\nCREATE TABLE TASKS (id integer PRIMARY KEY, status varchar(10))")
    planned(recon, specs, db, "create_index: {name: TASKS_PROJECT_STATUS_IDX, table: TASKS, columns: [status]}")
    applied(recon, specs, db)


def test_mysql8_check_names_are_unique_per_database(recon, specs, mysql_db):
    """MariaDB names checks per table (applied here); MySQL 8 refuses a check named like another table's (error
    3822). No MySQL 8 server is here: the MySQL 8 rule runs on the inspected MariaDB state, its version changed."""
    from engine.changes import from_operation
    from engine.changes.refusals import refusal
    from engine.inspect import inspect_schema
    from engine.spec.model import Operation, Source
    from engine.target.connection import make_target, read_only_connection

    mysql_db.run(BASE)
    check = "add_constraint: {name: Tasks_Priority_Check, table: comments, type: check, check: 'id < 100'}"
    with read_only_connection(make_target(mysql_db.url)) as conn:
        state = inspect_schema(conn, [])
    change = from_operation("U1", Operation("add_constraint", {"name": "Tasks_Priority_Check", "table": "comments", "type": "check",
                                                              "check": "id < 100"}, Source("u.yaml", 5)))[0]
    assert refusal(change, state) is None
    state.server_version = "8.0.36"
    assert refusal(change, state) == ("check constraint Tasks_Priority_Check clashes with check constraint tasks_priority_check "
                                      "of tasks: MySQL 8 keeps check constraint names unique per database, ignoring case (error 3822)")
    planned(recon, specs, mysql_db, check)
    applied(recon, specs, mysql_db)
    assert mysql_db.scalar("SELECT count(*) FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() "
                           "AND lower(CONSTRAINT_NAME) = 'tasks_priority_check'") == 2


def test_names_mysql_cannot_hold_are_refused(recon, specs, db):
    """Found by tests/test_properties_names.py: MariaDB refused these at apply (errors 1103, 1166, 1280,
    1300, 1060), after the unit's earlier statements had committed; PostgreSQL and SQLite hold them."""
    db.run(BASE)
    cases = {'create_table: {table: "trail ", columns: [{name: a, type: integer}]}': "table name 'trail ' (table) ends with a space",
             'add_column: {table: tasks, name: "note ", type: integer}': "column name 'note ' (column.name) ends with a space",
             'create_index: {name: "tasks_idx ", table: tasks, columns: [title]}': "index name 'tasks_idx ' (name) ends with a space",
             'add_column: {table: tasks, name: "c🚀", type: integer}':
                 "column name 'c🚀' (column.name) holds '🚀' (U+1F680), a character outside the Basic Multilingual Plane",
             'create_table: {table: dotted, columns: [{name: "İd", type: integer}, {name: id, type: integer}]}':
                 "columns İd and id of table dotted clash: MariaDB compares column names ignoring case"}
    for operation, said in cases.items():
        if db.dialect == "mysql":
            assert f"unit.yaml:5: U1: {operation.split(':')[0]}: cannot plan: {said}" in refused(recon, specs, db, operation)
        else:
            planned(recon, specs, db, operation)
    assert db.dialect != "mysql" or count(db, {"mysql": "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"}) == 4


def test_a_name_with_a_nul_is_refused_everywhere(recon, specs, db):
    """A NUL cut the rendered statement short on every server (a syntax error at apply)."""
    db.run(BASE)
    err = refused(recon, specs, db, 'add_column: {table: tasks, name: "a\\0b", type: integer}')
    assert "unit.yaml:5: U1: add_column: cannot plan: column name 'a\\x00b' (column.name) holds a NUL character" in err
