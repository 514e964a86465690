"""The read-only audit on real SQLite, PostgreSQL and MariaDB databases."""

from __future__ import annotations

import os
import textwrap
import uuid

import catalogue
import pytest
import sqlalchemy as sa

import engine
from engine.errors import TargetError
from engine.target.connection import make_target, read_only_connection


def results(report) -> dict:
    return {c.name: c for c in report.fingerprint.checks} | {c.name: c for c in report.invariants.checks}


@pytest.fixture
def audited(db, tmp_path):
    catalogue.create(db)
    specs = engine.load_specs(catalogue.write_specs(tmp_path / "specs", db.dialect))
    return db, engine.audit(specs, db.url)


def test_every_check_kind_passes_and_fails(audited):
    db, report = audited
    r = results(report)
    passing = ["products", "products.nameCanonical", "products_name_canonical_idx", "products_sku_price_idx", "pk",
               "products_sku_key", "products_role_id_fkey", "products_price_check"]
    failing = ["product", "products.namecanonical", "products.product_name", "products.price", "products.sku",
               "products_missing_idx", "index-columns-wrong", "wrong-type", "products_nope_fkey"]
    assert {n: r[n].status for n in passing} == dict.fromkeys(passing, "pass"), [r[n].detail for n in passing if not r[n].passed]
    assert {n: r[n].status for n in failing} == dict.fromkeys(failing, "fail")
    assert (report.fingerprint.passed, report.fingerprint.total) == (8, 17)
    assert not report.fingerprint.complete and not report.ok


def test_failures_explain_themselves_and_suggest_names(audited):
    _, report = audited
    r = results(report)
    assert r["product"].suggestion == "products" and r["product"].missing
    assert r["products.product_name"].suggestion == "products.nameCanonical"
    assert "did you mean products.nameCanonical?" in r["products.product_name"].detail
    # identifiers match exactly: the lowercase spelling is missing, and the real one is suggested
    assert r["products.namecanonical"].suggestion == "products.nameCanonical"
    assert "expected integer" in r["products.price"].detail
    assert "is NOT NULL, expected nullable" in r["products.sku"].detail
    assert "is on (sku, price), expected (price, sku)" in r["index-columns-wrong"].detail
    assert "expected a foreign key" in r["wrong-type"].detail
    assert not r["products.price"].missing
    assert report.fingerprint.summary().startswith("fingerprint 8/17 (missing: product, products.namecanonical, products.product_name,")
    assert "mismatched: products.price, products.sku" in report.fingerprint.summary()


def test_invariants(audited):
    _, report = audited
    r = results(report)
    assert r["two-roles"].passed and r["two-roles"].observed == 2
    assert r["one-admin"].passed and r["one-admin"].observed == 1
    assert not r["five-roles"].passed and r["five-roles"].expected == {"equals": 5}
    assert not r["roles-present"].passed and r["roles-present"].observed == {"missing": ["ghost"]}
    assert not r["bad-query"].passed and r["bad-query"].detail.startswith("query failed")
    # a failed query does not spoil the read-only transaction for the checks after it
    assert r["role-count-sql"].passed and r["role-count-sql"].observed == 2
    assert not r["missing-table-count"].passed and "does not exist" in r["missing-table-count"].detail
    assert (report.invariants.passed, report.invariants.total) == (3, 7)


def test_report_json_has_the_contract_fields(audited):
    db, report = audited
    data = report.to_dict()
    assert data["format"] == "recon.audit/v1"
    assert set(data) >= {"generated_at", "target", "specs_digest", "ok", "fingerprint", "invariants"}
    assert data["target"]["dialect"] == db.dialect and data["target"]["server_version"]
    fp = data["fingerprint"]
    assert (fp["passed"], fp["total"], fp["complete"]) == (8, 17, False)
    assert set(fp["checks"][0]) >= {"name", "kind", "object", "status", "detail", "suggestion"}
    assert set(data["invariants"]["checks"][0]) >= {"name", "status", "observed", "expected", "detail"}


def test_exact_case_identifiers(db, tmp_path):
    quote = "`" if db.dialect == "mysql" else '"'
    db.run(f"CREATE TABLE {quote}Items{quote} (id integer, {quote}Mixed{quote} integer)")
    (tmp_path / "fp.yaml").write_text(textwrap.dedent("""
        kind: fingerprint
        name: case
        checks:
          - table: Items
          - column: Items.Mixed
          - table: items
          - column: Items.mixed
    """))
    r = results(engine.audit(engine.load_specs(tmp_path), db.url))
    assert r["Items"].passed and r["Items.Mixed"].passed
    assert not r["items"].passed and r["items"].suggestion == "Items"
    assert not r["Items.mixed"].passed and r["Items.mixed"].suggestion == "Items.Mixed"


@pytest.mark.parametrize("server", ["postgres_db", "mysql_db"])
def test_non_default_schema(server, request, tmp_path):
    db = request.getfixturevalue(server)
    other = f"recon_o_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(db.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    q = "`" if db.dialect == "mysql" else '"'
    ddl = "DATABASE" if db.dialect == "mysql" else "SCHEMA"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE {ddl} {q}{other}{q}")
            conn.exec_driver_sql(f"CREATE TABLE {q}{other}{q}.things (id integer NOT NULL, {q}Label{q} varchar(20), CONSTRAINT things_pkey PRIMARY KEY (id))")
            conn.exec_driver_sql(f"CREATE INDEX things_label_idx ON {q}{other}{q}.things ({q}Label{q})")
        (tmp_path / "fp.yaml").write_text(textwrap.dedent(f"""
            kind: fingerprint
            name: other
            checks:
              - table: {other}.things
              - column: {other}.things.Label
                type: text
              - index: things_label_idx
                on: {other}.things
              - column: {other}.things.label
              - table: things
        """))
        r = results(engine.audit(engine.load_specs(tmp_path), db.url))
        assert r[f"{other}.things"].passed and r[f"{other}.things.Label"].passed and r["things_label_idx"].passed
        assert not r[f"{other}.things.label"].passed and r[f"{other}.things.label"].suggestion == f"{other}.things.Label"
        assert not r["things"].passed  # not in the default schema
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP {ddl} IF EXISTS {q}{other}{q}" + (" CASCADE" if db.dialect == "postgresql" else ""))
        admin.dispose()


def _objects(db) -> set:
    from engine.inspect import inspect_schema

    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            state = inspect_schema(conn)
            return set(state.tables) | set(state.indexes) | set(state.constraints)
    finally:
        eng.dispose()


def test_audit_creates_nothing(audited, tmp_path):
    db, _ = audited
    before = _objects(db)
    engine.audit(engine.load_specs(catalogue.write_specs(tmp_path / "again", db.dialect)), db.url)
    assert _objects(db) == before


def test_sqlite_file_is_not_touched(sqlite_db, tmp_path):
    catalogue.create(sqlite_db)
    path = sqlite_db.url.removeprefix("sqlite:///")
    data = open(path, "rb").read()
    engine.audit(engine.load_specs(catalogue.write_specs(tmp_path / "s", "sqlite")), sqlite_db.url)
    assert open(path, "rb").read() == data
    assert sorted(os.listdir(os.path.dirname(path))) == ["s", "test.db"]  # no journal, no new file


def test_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path):
    specs = engine.load_specs(catalogue.write_specs(tmp_path / "s", "sqlite"))
    missing = tmp_path / "nope.db"
    with pytest.raises(TargetError, match="no SQLite database at"):
        engine.audit(specs, f"sqlite:///{missing}")
    assert not missing.exists()


def test_read_only_session_refuses_writes(db):
    catalogue.create(db)
    with read_only_connection(make_target(db.url)) as conn:
        with pytest.raises(sa.exc.DBAPIError):
            conn.exec_driver_sql("CREATE TABLE sneaky (id integer)")
    assert "sneaky" not in {t for _, t in (k[:2] for k in _objects(db))}


def test_postgres_audit_through_select_only_role(postgres_db, tmp_path):
    catalogue.create(postgres_db)
    role = f"recon_ro_{uuid.uuid4().hex[:8]}"
    dbname = sa.engine.make_url(postgres_db.url).database
    postgres_db.run(
        f'CREATE ROLE "{role}" LOGIN;\n'
        f'GRANT CONNECT ON DATABASE "{dbname}" TO "{role}";\n'
        f'GRANT USAGE ON SCHEMA public TO "{role}";\n'
        f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'
    )
    try:
        url = sa.engine.make_url(postgres_db.url).set(username=role).render_as_string(hide_password=False)
        report = engine.audit(engine.load_specs(catalogue.write_specs(tmp_path / "s", "postgresql")), url)
        assert (report.fingerprint.passed, report.fingerprint.total) == (8, 17)
        assert report.invariants.passed == 3
    finally:
        postgres_db.run(f'DROP OWNED BY "{role}";\nDROP ROLE "{role}"')


def test_catalog_queries_do_not_grow_with_the_schema(db, tmp_path):
    from engine.inspect import inspect_schema

    def count(n: int) -> tuple[int, int]:
        db.run(";\n".join(f"CREATE TABLE t{n}_{i} (id integer PRIMARY KEY, v varchar(10))" for i in range(n)))
        target = make_target(db.url)
        with read_only_connection(target) as conn:
            state = inspect_schema(conn)
        return state.queries, target.statements

    assert count(3) == count(40)


def test_password_never_in_report(postgres_db, tmp_path):
    catalogue.create(postgres_db)
    url = sa.engine.make_url(postgres_db.url).set(password="s3cret-pw").render_as_string(hide_password=False)
    report = engine.audit(engine.load_specs(catalogue.write_specs(tmp_path / "s", "postgresql")), url)
    assert "s3cret-pw" not in str(report.to_dict())
    assert "***" in report.target.url


def test_sql_invariant_with_a_percent_sign(db, tmp_path):
    catalogue.create(db)
    (tmp_path / "inv.yaml").write_text(textwrap.dedent("""
        kind: invariants
        checks:
          - name: admins-like
            sql: SELECT count(*) FROM roles WHERE name LIKE 'adm%'
            expect: 1
    """))
    r = results(engine.audit(engine.load_specs(tmp_path), db.url))
    assert r["admins-like"].passed, r["admins-like"].detail


def test_recons_own_ledger_is_never_suggested_for_a_missing_table(sqlite_db, tmp_path):
    """After `apply --unit` of an unrelated unit the ledger may be the nearest name: it is not one to suggest."""
    import engine

    sqlite_db.run("CREATE TABLE recon_ledger (seq integer PRIMARY KEY);\nCREATE TABLE rolez (id integer)")
    (tmp_path / "fp.yaml").write_text("kind: fingerprint\nname: app\nchecks:\n  - table: roles\n  - table: recon_ledgers\n",
                                      encoding="utf-8")
    report = engine.audit(engine.load_specs(str(tmp_path)), sqlite_db.url)
    details = {c.name: c.detail for c in report.fingerprint.checks}
    assert details["roles"] == "table roles does not exist; did you mean rolez?"
    assert details["recon_ledgers"].startswith("table recon_ledgers does not exist") and "recon_ledger?" not in details["recon_ledgers"]
