"""A small catalogue schema in each dialect, shared by the audit and CLI tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

SCHEMA = """
CREATE TABLE roles (id integer NOT NULL, name varchar(100) NOT NULL, CONSTRAINT roles_pkey PRIMARY KEY (id), CONSTRAINT roles_name_key UNIQUE (name));
CREATE TABLE products (id integer NOT NULL, sku varchar(40) NOT NULL, "nameCanonical" varchar(200), price numeric(10,2) NOT NULL DEFAULT 0, role_id integer, CONSTRAINT products_pkey PRIMARY KEY (id), CONSTRAINT products_sku_key UNIQUE (sku), CONSTRAINT products_role_id_fkey FOREIGN KEY (role_id) REFERENCES roles (id), CONSTRAINT products_price_check CHECK (price >= 0));
CREATE INDEX products_name_canonical_idx ON products ("nameCanonical");
CREATE UNIQUE INDEX products_sku_price_idx ON products (sku, price);
INSERT INTO roles (id, name) VALUES (1, 'admin'), (2, 'viewer');
INSERT INTO products (id, sku, "nameCanonical", price, role_id) VALUES (1, 'TEA-1', 'Green tea', 4.5, 1)
"""

PKEY = {"postgresql": "products_pkey", "sqlite": "products_pkey", "mysql": "PRIMARY"}


def schema_sql(dialect: str) -> str:
    """The catalogue DDL for ``dialect`` (MySQL quotes identifiers with backticks)."""
    text = SCHEMA.strip()
    return text.replace('"', "`") if dialect == "mysql" else text


def create(db) -> None:
    """Create the catalogue in the test database ``db``."""
    db.run(schema_sql(db.dialect))


def write_specs(folder: Path, dialect: str, invariants: str | None = None) -> Path:
    """A spec folder whose fingerprint has passing and failing checks of every kind."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fingerprint.yaml").write_text(textwrap.dedent(f"""
        kind: fingerprint
        name: startup
        checks:
          - table: products
          - table: product
          - column: products.nameCanonical
            type: text
            nullable: true
          - column: products.namecanonical
          - column: products.product_name
          - column: products.price
            type: integer
          - column: products.sku
            nullable: true
          - index: products_name_canonical_idx
            on: products
            columns: [nameCanonical]
            unique: false
          - index: products_sku_price_idx
            unique: true
          - index: products_missing_idx
            on: products
          - name: index-columns-wrong
            index: products_sku_price_idx
            columns: [price, sku]
          - name: pk
            constraint: {PKEY[dialect]}
            on: products
            constraint_type: primary_key
            columns: [id]
          - constraint: products_sku_key
            on: products
            constraint_type: unique
          - constraint: products_role_id_fkey
            on: products
            constraint_type: foreign_key
            references: roles
          - constraint: products_price_check
            on: products
            constraint_type: check
          - name: wrong-type
            constraint: products_sku_key
            on: products
            constraint_type: foreign_key
          - constraint: products_nope_fkey
            on: products
    """).lstrip(), encoding="utf-8")
    (folder / "invariants.yaml").write_text(textwrap.dedent(invariants or """
        kind: invariants
        checks:
          - name: two-roles
            row_count: {table: roles}
            min: 2
            max: 2
          - name: one-admin
            row_count: {table: roles, where: {name: admin}}
            equals: 1
          - name: five-roles
            row_count: {table: roles}
            equals: 5
          - name: roles-present
            rows_exist: {table: roles, column: name, values: [admin, ghost]}
          - name: bad-query
            sql: SELECT count(*) FROM no_such_table
            expect: 0
          - name: role-count-sql
            sql: SELECT count(*) FROM roles
            expect: 2
          - name: missing-table-count
            row_count: {table: no_such_table}
            min: 1
    """).lstrip(), encoding="utf-8")
    return folder
