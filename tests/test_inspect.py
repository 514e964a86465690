"""Inspection against real engines: what the catalog says, exactly spelled, in constant round trips."""

from __future__ import annotations

import sqlite3
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from engine.errors import TargetError
from engine.inspect import inspect_schema
from engine.inspect.mysql import column_default
from engine.inspect.sqlite_ddl import declared_constraints, index_key_parts
from engine.target.connection import make_target, read_only_connection

CATALOGUE = """
CREATE TABLE categories (
  id INTEGER NOT NULL,
  name VARCHAR(50) NOT NULL,
  CONSTRAINT categories_pkey PRIMARY KEY (id)
);
CREATE TABLE products (
  id INTEGER NOT NULL,
  category_id INTEGER,
  product_name VARCHAR(100) NOT NULL,
  "nameCanonical" TEXT,
  status VARCHAR(10) DEFAULT 'new',
  price NUMERIC(10,2),
  sku VARCHAR(20),
  CONSTRAINT products_pkey PRIMARY KEY (id),
  CONSTRAINT products_sku_key UNIQUE (sku),
  CONSTRAINT products_category_fk FOREIGN KEY (category_id) REFERENCES categories (id),
  CONSTRAINT products_price_positive CHECK (price >= 0)
);
CREATE TABLE role_permissions (
  role_id INTEGER NOT NULL,
  permission_id INTEGER NOT NULL,
  CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission_id)
);
CREATE INDEX products_name_idx ON products (product_name, category_id);
CREATE UNIQUE INDEX products_category_name_uq ON products (category_id, product_name);
CREATE VIEW product_names AS SELECT id, product_name FROM products
"""

VARCHAR_100 = {"sqlite": "VARCHAR(100)", "postgresql": "character varying(100)", "mysql": "varchar(100)"}
PRIMARY_KEY_NAME = {"sqlite": "products_pkey", "postgresql": "products_pkey", "mysql": "PRIMARY"}


def _portable(db, script: str) -> str:
    """``script`` with "double-quoted" identifiers in the engine's own quoting."""
    return script.replace('"', "`") if db.dialect == "mysql" else script


def _setup(db, script: str) -> None:
    db.run(_portable(db, script))


def _inspect(db, schemas=(), prepare=None):
    """The inspected state and the number of statements the inspection sent."""
    target = make_target(db.url)
    with read_only_connection(target) as conn:
        if prepare is not None:
            prepare(conn)
        before = target.statements
        state = inspect_schema(conn, schemas)
        return state, target.statements - before


# --- tables, views, columns ---------------------------------------------------


def test_tables_views_and_columns(db):
    _setup(db, CATALOGUE)
    state, _ = _inspect(db)
    assert state.dialect == db.dialect
    assert state.server_version
    products = state.table(None, "products")
    assert products is not None and products.kind == "table"
    assert [c.name for c in products.columns] == ["id", "category_id", "product_name", "nameCanonical", "status", "price", "sku"]
    assert products.column("product_name").type == VARCHAR_100[db.dialect]
    assert products.column("product_name").nullable is False
    assert products.column("sku").nullable is True
    assert products.column("id").nullable is False
    assert "new" in products.column("status").default
    assert products.column("sku").default is None
    view = state.table(None, "product_names")
    assert view.kind == "view"
    assert [c.name for c in view.columns] == ["id", "product_name"]



def test_tables_come_in_name_order_and_columns_in_their_order(db):
    """Each table's columns come in their ordinal order, a column added later last; on PostgreSQL and
    MySQL tables created in reverse name order are listed by name (the catalog's own order is creation
    order; SQLite's reader keeps it)."""
    _setup(db, "CREATE TABLE zeta (b INTEGER, a INTEGER);\nCREATE TABLE mid (z INTEGER);\nCREATE TABLE alpha (y INTEGER, x INTEGER);\n"
               "ALTER TABLE zeta ADD COLUMN c INTEGER")
    state, _ = _inspect(db)
    names = [t for (_, t) in state.tables if t in ("zeta", "mid", "alpha")]
    assert names == (["zeta", "mid", "alpha"] if db.dialect == "sqlite" else ["alpha", "mid", "zeta"])
    assert [c.name for c in state.table(None, "zeta").columns] == ["b", "a", "c"]
    assert [c.name for c in state.table(None, "alpha").columns] == ["y", "x"]

def test_identifiers_keep_their_exact_case(db):
    _setup(db, CATALOGUE)
    state, _ = _inspect(db)
    products = state.table(None, "products")
    assert products.column("nameCanonical") is not None
    assert products.column("namecanonical") is None
    assert "nameCanonical" in [c.name for c in products.columns]
    assert state.table(None, "PRODUCTS") is None


def test_default_schema_and_server_version(db):
    state, _ = _inspect(db)
    expected = {"sqlite": "main", "postgresql": "public", "mysql": sa.engine.make_url(db.url).database}
    assert state.default_schema == expected[db.dialect]
    if db.dialect == "sqlite":
        assert state.server_version == sqlite3.sqlite_version
    assert state.tables == {}


# --- indexes -------------------------------------------------------------------


def test_indexes_keep_column_order_and_flags(db):
    _setup(db, CATALOGUE)
    state, _ = _inspect(db)
    (plain,) = state.indexes_named("products_name_idx", table="products")
    assert plain.columns == ("product_name", "category_id")
    assert (plain.unique, plain.primary) == (False, False)
    (unique,) = state.indexes_named("products_category_name_uq")
    assert unique.columns == ("category_id", "product_name")
    assert (unique.unique, unique.primary) == (True, False)
    primary = [ix for ix in state.indexes.values() if ix.table == "role_permissions" and ix.primary]
    assert [(ix.columns, ix.unique) for ix in primary] == [(("role_id", "permission_id"), True)]
    sku = [ix for ix in state.indexes.values() if ix.table == "products" and ix.columns == ("sku",)]
    assert [ix.unique for ix in sku] == [True]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_expression_index_columns_are_expression_text(engine, request):
    db = request.getfixturevalue({"sqlite": "sqlite_db", "postgresql": "postgres_db"}[engine])
    _setup(db, CATALOGUE + ";\nCREATE INDEX products_lower_idx ON products (lower(product_name), sku DESC)")
    state, _ = _inspect(db)
    (index,) = state.indexes_named("products_lower_idx")
    assert "lower(" in index.columns[0] and "product_name" in index.columns[0]
    assert index.columns[1] == "sku"


def test_postgresql_include_columns_are_not_key_columns(postgres_db):
    _setup(postgres_db, CATALOGUE + ";\nCREATE INDEX products_sku_cover ON products (sku) INCLUDE (price)")
    state, _ = _inspect(postgres_db)
    assert state.indexes_named("products_sku_cover")[0].columns == ("sku",)


# --- constraints ---------------------------------------------------------------


def test_named_constraints_of_every_kind(db):
    _setup(db, CATALOGUE)
    state, _ = _inspect(db)
    pk_name = PRIMARY_KEY_NAME[db.dialect]
    (pk,) = state.constraints_named(pk_name, table="products")
    assert (pk.kind, pk.columns) == ("primary_key", ("id",))
    (composite,) = state.constraints_named(PRIMARY_KEY_NAME[db.dialect].replace("products", "role_permissions"), table="role_permissions")
    assert composite.columns == ("role_id", "permission_id")
    (unique,) = state.constraints_named("products_sku_key")
    assert (unique.kind, unique.columns) == ("unique", ("sku",))
    (fk,) = state.constraints_named("products_category_fk")
    assert fk.kind == "foreign_key"
    assert (fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns) == (("category_id",), state.default_schema, "categories", ("id",))
    (check,) = state.constraints_named("products_price_positive", table="products")
    assert check.kind == "check" and "price" in check.expression and ">=" in check.expression
    assert state.constraints_named("products_price_positive", table="categories") == []


def test_multi_column_foreign_key_pairs_columns_in_order(db):
    _setup(db, """
CREATE TABLE parent (a INTEGER NOT NULL, b INTEGER NOT NULL, CONSTRAINT parent_pkey PRIMARY KEY (a, b), CONSTRAINT parent_b_a_key UNIQUE (b, a));
CREATE TABLE child (x INTEGER, y INTEGER, CONSTRAINT child_parent_fk FOREIGN KEY (y, x) REFERENCES parent (b, a))
""")
    state, _ = _inspect(db)
    (fk,) = state.constraints_named("child_parent_fk")
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (("y", "x"), "parent", ("b", "a"))


def test_mysql_checks_with_the_same_name_on_two_tables(mysql_db):
    # MariaDB names a column CHECK after its column, so both are called "price".
    mysql_db.run("CREATE TABLE a (price INTEGER CHECK (price > 1));\nCREATE TABLE b (price INTEGER CHECK (price > 2))")
    state, _ = _inspect(mysql_db)
    checks = {c.table: c.expression for c in state.constraints.values() if c.kind == "check"}
    assert set(checks) == {"a", "b"}
    assert "> 1" in checks["a"] and "> 2" in checks["b"]


UNNAMED = """
CREATE TABLE parent (x INTEGER NOT NULL, y INTEGER NOT NULL, PRIMARY KEY (x, y), UNIQUE (y, x));
CREATE TABLE child (
  id INTEGER NOT NULL PRIMARY KEY,
  a INTEGER,
  b INTEGER,
  price INTEGER CHECK (price > 0),
  code VARCHAR(5) UNIQUE,
  FOREIGN KEY (a, b) REFERENCES parent (x, y),
  CHECK (a < b),
  CHECK (a > 0),
  CHECK (a > 1),
  CONSTRAINT child_named CHECK (b > 0)
)
"""

PG_NAMES = {
    ("parent", "parent_pkey"), ("parent", "parent_y_x_key"),
    ("child", "child_pkey"), ("child", "child_code_key"), ("child", "child_a_b_fkey"),
    ("child", "child_price_check"), ("child", "child_check"), ("child", "child_a_check"),
    ("child", "child_a_check1"), ("child", "child_named"),
}


def test_sqlite_names_unnamed_constraints_as_postgresql_does(sqlite_db):
    sqlite_db.run(UNNAMED)
    state, _ = _inspect(sqlite_db)
    assert {(t, n) for (_, t, n) in state.constraints} == PG_NAMES
    fk = state.constraints_named("child_a_b_fkey")[0]
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (("a", "b"), "parent", ("x", "y"))
    check = state.constraints_named("child_price_check")[0]
    assert (check.expression, check.columns) == ("price > 0", ("price",))


def test_synthesized_sqlite_names_match_real_postgresql_names(sqlite_db, postgres_db):
    sqlite_db.run(UNNAMED)
    postgres_db.run(UNNAMED)
    lite, _ = _inspect(sqlite_db)
    pg, _ = _inspect(postgres_db)
    assert {(t, n) for (_, t, n) in lite.constraints} == {(t, n) for (_, t, n) in pg.constraints} == PG_NAMES


def test_sqlite_implicit_parent_key_and_without_rowid(sqlite_db):
    sqlite_db.run("""
CREATE TABLE Cats (ID INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE pets (id INTEGER PRIMARY KEY, cat INTEGER REFERENCES cats, CONSTRAINT pets_cat_nonneg CHECK (cat >= 0));
CREATE TABLE kv (k TEXT, v TEXT, CONSTRAINT kv_pk PRIMARY KEY (k DESC)) WITHOUT ROWID
""")
    state, _ = _inspect(sqlite_db)
    (fk,) = state.constraints_named("pets_cat_fkey")
    assert (fk.ref_table, fk.ref_columns) == ("Cats", ("ID",))
    assert state.constraints_named("pets_cat_nonneg")[0].kind == "check"
    assert state.constraints_named("kv_pk")[0].columns == ("k",)
    assert [ix.primary for ix in state.indexes.values() if ix.table == "kv"] == [True]


def test_sqlite_broken_view_does_not_hide_the_tables(sqlite_db):
    sqlite_db.run("CREATE TABLE gone (a INTEGER);\nCREATE VIEW stale AS SELECT a FROM gone;\nDROP TABLE gone;\nCREATE TABLE kept (b INTEGER)")
    state, _ = _inspect(sqlite_db)
    assert [c.name for c in state.table(None, "kept").columns] == ["b"]
    assert state.table(None, "stale").kind == "view"


# --- schemas -------------------------------------------------------------------


def test_non_default_schema_postgresql(postgres_db):
    postgres_db.run("CREATE SCHEMA other;\nCREATE TABLE other.things (id INTEGER PRIMARY KEY, code TEXT UNIQUE);\nCREATE TABLE things (id INTEGER)")
    state, _ = _inspect(postgres_db, ["other"])
    assert state.table("other", "things").column("code").type == "text"
    assert state.table(None, "things").column("code") is None
    assert state.constraints_named("things_pkey", schema="other")[0].columns == ("id",)
    assert state.indexes_named("things_code_key", schema="other")
    default_only, _ = _inspect(postgres_db)
    assert default_only.table("other", "things") is None


def test_non_default_schema_mysql(mysql_db):
    other = f"recon_t_other_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(mysql_db.url, poolclass=NullPool)
    try:
        with server.begin() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE `{other}`")
            conn.exec_driver_sql(f"CREATE TABLE `{other}`.things (id INTEGER PRIMARY KEY, code VARCHAR(5), CONSTRAINT things_code_key UNIQUE (code))")
        state, _ = _inspect(mysql_db, [other])
        assert state.table(other, "things").column("code").type == "varchar(5)"
        assert state.constraints_named("things_code_key", schema=other)[0].kind == "unique"
        assert state.indexes_named("PRIMARY", schema=other, table="things")[0].primary
        default_only, _ = _inspect(mysql_db)
        assert default_only.table(other, "things") is None
    finally:
        with server.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{other}`")
        server.dispose()


def test_non_default_schema_sqlite_attached(sqlite_db, tmp_path):
    other_path = tmp_path / "other.db"
    with sqlite3.connect(other_path) as raw:
        raw.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, code TEXT UNIQUE)")
    sqlite_db.run("CREATE TABLE things (id INTEGER)")

    def attach(conn):
        conn.exec_driver_sql("ATTACH DATABASE ? AS other", (str(other_path),))

    state, _ = _inspect(sqlite_db, ["other", "not_attached"], prepare=attach)
    assert state.table("other", "things").column("code") is not None
    assert state.table("main", "things").column("code") is None
    assert state.constraints_named("things_code_key", schema="other")[0].columns == ("code",)


# --- constant round trips ------------------------------------------------------


def _numbered_tables(first: int, last: int) -> str:
    statements = []
    for i in range(first, last + 1):
        ref = f", CONSTRAINT t{i}_ref_fkey FOREIGN KEY (ref) REFERENCES t{i - 1} (id)" if i > 1 else ""
        statements.append(
            f"CREATE TABLE t{i} (id INTEGER NOT NULL, ref INTEGER, code VARCHAR(10), qty INTEGER,"
            f" CONSTRAINT t{i}_pkey PRIMARY KEY (id), CONSTRAINT t{i}_code_key UNIQUE (code),"
            f" CONSTRAINT t{i}_qty_check CHECK (qty > 0){ref})"
        )
        statements.append(f"CREATE INDEX t{i}_ix ON t{i} (qty, code)")
    return ";\n".join(statements)


def test_catalog_round_trips_do_not_grow_with_tables(db):
    db.run(_numbered_tables(1, 5))
    small, small_sent = _inspect(db)
    db.run(_numbered_tables(6, 60))
    large, large_sent = _inspect(db)
    assert (len(small.tables), len(large.tables)) == (5, 60)
    assert len(large.constraints) > len(small.constraints)
    assert small.queries == large.queries == small_sent == large_sent
    assert small.queries <= 5


# --- dispatch and pure helpers -------------------------------------------------


def test_unknown_dialect_is_a_target_error():
    with pytest.raises(TargetError, match="oracle"):
        inspect_schema(SimpleNamespace(dialect=SimpleNamespace(name="oracle")))


def test_mysql8_defaults_become_sql_expressions():
    assert column_default("abc", "varchar", "", mariadb=False) == "'abc'"
    assert column_default("it's", "text", None, mariadb=False) == "'it''s'"
    assert column_default("0.00", "decimal", "", mariadb=False) == "0.00"
    assert column_default("CURRENT_TIMESTAMP", "timestamp", "DEFAULT_GENERATED", mariadb=False) == "CURRENT_TIMESTAMP"
    assert column_default(None, "int", "", mariadb=False) is None
    assert column_default("NULL", "int", "", mariadb=True) is None
    assert column_default("'abc'", "varchar", "", mariadb=True) == "'abc'"


def test_sqlite_ddl_reader_handles_what_sqlglot_parse_rejects():
    found = declared_constraints(
        'CREATE TABLE "t x" (a INT CONSTRAINT a_pos CHECK (a > 0), [b c] TEXT DEFAULT \'CHECK (no)\','
        " CONSTRAINT t_pk PRIMARY KEY (a DESC, [b c]) ON CONFLICT ABORT) WITHOUT ROWID"
    )
    assert [(d.kind, d.name, d.columns, d.expression) for d in found] == [
        ("check", "a_pos", (), "a > 0"),
        ("primary_key", "t_pk", ("a", "b c"), None),
    ]
    assert index_key_parts('CREATE INDEX ix ON t (lower("B"), a DESC) WHERE a > 0') == ['lower("B")', "a"]
    assert declared_constraints("CREATE TABLE t (a INT, 'unterminated") == []


def test_catalog_column_is_the_column_the_dataclass_makes():
    """The catalog readers' fast constructor gives the same value as ``Column(...)``: every field,
    its defaults, equality, hash, and the frozen dataclass's refusal to change."""
    import dataclasses

    from engine.inspect.state import Column, catalog_column

    args = ("Price", "numeric(10,2)", False, "0", True, True, "qty * 2")
    fast, slow = catalog_column(*args), Column(*args)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
    assert [f.name for f in dataclasses.fields(Column)] == list(vars(fast))
    assert dataclasses.replace(fast, position=3) == Column(*args, position=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.name = "other"
