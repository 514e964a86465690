"""recon audit --offline and recon validate --offline: the fingerprint and the units checked against
DDL files, with no database.

The seed's incident from PostgreSQL, MySQL and SQLite DDL (6/7 with the suggestion, then 7/7 once
the canary is fixed), a real ``pg_dump --schema-only`` as base, what is ignored and counted, what
is an error (file and line), the demo's release DDL giving the live demo's fingerprint, a broken
unit caught by validation, and proof that nothing connects.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest
from support import recon_bin, write

import engine
from engine.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "engine" / "demo"
SPECS = ROOT / "specs"
WRONG, RIGHT = "products.product_name", "products.nameCanonical"

# The incident database (release 1 plus products.nameCanonical), written in each dialect.
INCIDENT = {
    "mysql": """
CREATE TABLE roles (id INT NOT NULL, name VARCHAR(100) NOT NULL, description TEXT, PRIMARY KEY (id), CONSTRAINT roles_name_key UNIQUE (name));
CREATE TABLE permissions (id INT NOT NULL, `key` VARCHAR(150) NOT NULL, description TEXT, PRIMARY KEY (id), UNIQUE KEY permissions_key_key (`key`));
CREATE TABLE role_permissions (role_id INT NOT NULL, permission_id INT NOT NULL, PRIMARY KEY (role_id, permission_id),
  CONSTRAINT role_permissions_role_id_fkey FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE,
  CONSTRAINT role_permissions_permission_id_fkey FOREIGN KEY (permission_id) REFERENCES permissions (id) ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE products (id INT NOT NULL AUTO_INCREMENT, sku VARCHAR(40) NOT NULL, price DECIMAL(10,2) NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL, `nameCanonical` TEXT, PRIMARY KEY (id), CONSTRAINT products_sku_key UNIQUE (sku)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX products_name_canonical_idx ON products (`nameCanonical`(255));
CREATE TABLE settings (`key` VARCHAR(100) NOT NULL PRIMARY KEY, value TEXT);
""",
}


def incident_specs(tmp_path: Path) -> Path:
    """The example specs without units, the fingerprint expecting products.product_name (as the detector shipped it)."""
    folder = tmp_path / "specs"
    shutil.copytree(SPECS, folder, ignore=shutil.ignore_patterns("migrations"))
    fingerprint = folder / "fingerprint.yaml"
    fingerprint.write_text(fingerprint.read_text(encoding="utf-8").replace(f"column: {RIGHT}", f"column: {WRONG}"), encoding="utf-8")
    return folder


def incident_bases(tmp_path: Path, dialect: str) -> list[Path]:
    if dialect in ("postgresql", "sqlite"):  # the demo's own fixtures are portable SQL
        return [DEMO / "release1.sql", DEMO / "incident.sql"]
    path = tmp_path / "incident.mysql.sql"
    path.write_text(INCIDENT["mysql"], encoding="utf-8")
    return [path]


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb", "mysql", "sqlite"])
def test_the_incident_offline_is_six_of_seven_with_the_suggestion_then_seven(dialect, tmp_path, recon) -> None:
    folder = incident_specs(tmp_path)
    bases = incident_bases(tmp_path, dialect)
    args = ["audit", "--offline", "--dialect", dialect, "--specs", folder, "--strict", "--format", "json"]
    for base in bases:
        args += ["--base", base]
    code, out, err = recon(*args)
    report = json.loads(out)
    assert code == 2, err
    fp = report["fingerprint"]
    assert (fp["passed"], fp["total"]) == (6, 7)
    (failing,) = [c for c in fp["checks"] if c["status"] == "fail"]
    assert (failing["object"], failing["suggestion"]) == (WRONG, RIGHT)
    assert "did you mean products.nameCanonical?" in failing["detail"]
    assert "no base file and no migration unit creates it" in failing["detail"]
    assert report["target"]["url"] == "offline" and report["target"]["files"] == [str(b) for b in bases]
    assert {c["status"] for c in report["invariants"]["checks"]} == {"skipped"}  # skipped, and --strict failed only on the canary

    fingerprint = folder / "fingerprint.yaml"
    fingerprint.write_text(fingerprint.read_text(encoding="utf-8").replace(WRONG, RIGHT), encoding="utf-8")
    code, out, err = recon(*args)
    assert code == 0, err
    assert json.loads(out)["fingerprint"]["passed"] == 7


def test_text_markdown_and_html_say_offline_and_list_the_files(tmp_path, recon) -> None:
    folder = incident_specs(tmp_path)
    base = ["--base", DEMO / "release1.sql", "--base", DEMO / "incident.sql"]
    code, out, _ = recon("audit", "--offline", "--dialect", "postgresql", "--specs", folder, *base)
    assert code == 0  # without --strict a failing canary is exit 0, as live
    assert "fingerprint 6/7 (missing: products.product_name)" in out
    assert "did you mean products.nameCanonical?" in out
    assert "target: postgresql offline (read from" in out and "incident.sql: 7 statements mapped, 7 ignored" in out
    assert "invariants skipped: 7" in out
    code, md, _ = recon("audit", "--offline", "--dialect", "postgresql", "--specs", folder, "--format", "markdown", *base)
    assert "Target: postgresql offline" in md and "⏭️" in md and "❌" in md
    code, html, _ = recon("audit", "--offline", "--dialect", "postgresql", "--specs", folder, "--format", "html", *base)
    assert "postgresql offline (read from" in html and "release1.sql" in html


def test_a_pg_dump_schema_only_file_is_a_base(postgres_db, tmp_path) -> None:
    release = (DEMO / "release1.sql").read_text(encoding="utf-8")
    postgres_db.run(release[release.index("CREATE TABLE"):])  # the fixture's runner skips a statement that opens with a comment
    postgres_db.run(
        "CREATE SEQUENCE invoice_numbers;\n"
        "CREATE TYPE mood AS ENUM ('ok', 'bad');\n"
        "CREATE FUNCTION one() RETURNS integer LANGUAGE sql AS $$SELECT 1$$;\n"
        "CREATE TABLE audit_log (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at timestamptz DEFAULT now(), "
        "note varchar(20) DEFAULT 'x', how mood, serial_no serial, CHECK (id > 0));\n"
        "CREATE TRIGGER t BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();\n"
        "CREATE VIEW product_names AS SELECT id, sku FROM products;\n"
        "CREATE INDEX audit_log_lower ON audit_log (lower(note)) WHERE note IS NOT NULL;\n"
        "COMMENT ON TABLE products IS 'the catalogue';\n"
        "GRANT SELECT ON products TO PUBLIC")
    dump = tmp_path / "schema.sql"
    from urllib.parse import urlsplit

    url = urlsplit(postgres_db.url.replace("+psycopg", ""))
    subprocess.run(["pg_dump", "--schema-only", "-h", url.hostname, "-p", str(url.port or 5432), "-U", url.username or "postgres",
                    "-f", str(dump), url.path.lstrip("/")], check=True, env={**os.environ, "PGPASSWORD": url.password or ""})
    assert "SET statement_timeout" in dump.read_text(encoding="utf-8")

    specs = engine.load_specs(SPECS)  # TER-173 adds products.nameCanonical on top of release 1
    found = engine.offline_state(specs, [dump], "postgresql")
    from support import inspected

    live = inspected(postgres_db)
    for key, table in live.tables.items():
        mine = found.state.tables[key]
        columns = [(c.name, c.type, c.nullable, c.default, c.generated) for c in table.columns]
        assert [(c.name, c.type, c.nullable, c.default, c.generated) for c in mine.columns][: len(columns)] == columns, key
    assert {k: (c.kind, c.columns) for k, c in live.constraints.items()} == \
        {k: (c.kind, c.columns) for k, c in found.state.constraints.items()}
    assert set(live.indexes) | {("public", "products", "products_name_canonical_idx")} == set(found.state.indexes)
    assert ("public", "invoice_numbers") in found.state.other_relations and ("public", "mood") in found.state.types
    ignored = found.ignored
    for kind in ("SET", "SELECT", "CREATE FUNCTION", "CREATE SEQUENCE", "CREATE TRIGGER", "COMMENT", "GRANT"):
        assert ignored[kind] >= 1, (kind, ignored)
    report = engine.audit_offline(specs, [dump], "postgresql")
    assert report.fingerprint.complete, report.fingerprint.summary()
    assert report.target.to_dict()["statements"]["ignored"] == sum(ignored.values()) > 15


@pytest.mark.parametrize(("text", "line", "message"), [
    ("SET x = 1;\n\nCREATE TABLE t AS SELECT 1;\n", 3, "only a CREATE TABLE with a column list"),
    ("CREATE TABLE t (id int);\n-- note\nCREATE INDEX t_x ON t (x);\n", 3, "names columns it does not have|index"),
    ("CREATE TABLE t (id int);\nALTER TABLE t ATTACH PARTITION p FOR VALUES IN (1);\n", 2, "cannot map this ALTER TABLE"),
    ("CREATE INDEX i ON missing (a);\n", 1, "table missing does not exist"),
    ("CREATE TABLE t (id int, EXCLUDE USING gist (id WITH =));\n", 1, "cannot"),
])
def test_an_unmappable_statement_is_an_error_with_file_and_line(text, line, message, tmp_path, recon) -> None:
    base = tmp_path / "base.sql"
    base.write_text(text, encoding="utf-8")
    code, out, err = recon("audit", "--offline", "--dialect", "postgresql", "--base", base, "--specs", SPECS)
    assert code == 1 and out == ""
    assert f"{base}:{line}:" in err and "Traceback" not in err
    import re

    assert re.search(message, err), err


def test_ignored_statements_are_counted_by_kind(tmp_path) -> None:
    base = tmp_path / "base.sql"
    base.write_text("SET search_path = public;\nSELECT pg_catalog.set_config('search_path', '', false);\n"
                    "CREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE TABLE t (id integer PRIMARY KEY);\n"
                    "ALTER TABLE t OWNER TO app;\nCOMMENT ON TABLE t IS 'x';\nGRANT SELECT ON t TO app;\n"
                    "INSERT INTO t VALUES (1);\n\\restrict abc\n", encoding="utf-8")
    found = engine.offline_state(engine.load_specs(incident_specs(tmp_path)), [base], "postgresql")
    assert found.mapped == 1
    assert dict(found.ignored) == {"SET": 1, "SELECT": 1, "CREATE EXTENSION": 1, "ALTER TABLE (owner, storage, triggers)": 1,
                                   "COMMENT": 1, "GRANT": 1, "INSERT": 1}
    assert found.state.tables[("public", "t")].column("id").nullable is False
    assert ("public", "t", "t_pkey") in found.state.constraints


def test_the_demo_release_ddl_offline_gives_the_live_demos_fingerprint_after_apply(tmp_path) -> None:
    """The issue's acceptance: the example specs against the demo's release DDL, offline, give the
    fingerprint section the live demo's audit gives after its apply (act 2)."""
    from engine.demo import run_demo

    assert run_demo(str(tmp_path / "demo"), echo=lambda s: None) == 0
    live = json.loads((tmp_path / "demo" / "release-after.json").read_text(encoding="utf-8"))
    offline = engine.audit_offline(engine.load_specs(SPECS), [DEMO / "release1.sql"], "sqlite").to_dict()
    assert offline["fingerprint"] == live["fingerprint"]
    assert resources.files("engine.demo").joinpath("release1.sql").is_file()


def test_validate_offline_names_the_unit_line_and_key_of_an_operation_that_cannot_apply(tmp_path, recon) -> None:
    folder = incident_specs(tmp_path)
    (folder / "migrations").mkdir()
    write(folder / "migrations", "TER-200", """kind: migration
id: TER-200-widen-name
scope: schema
operations:
  - alter_column: {table: products, name: product_name, type: "varchar(200)"}
""")
    base = ["--base", DEMO / "release1.sql", "--base", DEMO / "incident.sql"]
    code, out, err = recon("validate", "--offline", "--dialect", "postgresql", "--specs", folder, *base)
    assert code == 1, out
    assert f"{folder / 'migrations' / 'TER-200.yaml'}:5: TER-200-widen-name: alter_column" in err
    assert "product_name" in err and "Traceback" not in err
    with pytest.raises(SpecError, match="cannot apply to the offline schema"):
        engine.validate_offline(engine.load_specs(folder), [DEMO / "release1.sql"], "postgresql")
    code, out, err = recon("validate", "--offline", "--dialect", "postgresql", "--specs", SPECS, "--base", DEMO / "release1.sql")
    assert code == 0, err
    assert "offline: 3 units apply to postgresql offline" in out


def test_offline_refuses_a_database_option(recon) -> None:
    code, _, err = recon("audit", "--offline", "--dialect", "sqlite", "--db", "sqlite:///x.db", "--specs", SPECS)
    assert code == 1 and "--offline reads no database: drop --db" in err
    code, _, err = recon("audit", "--base", "x.sql", "--specs", SPECS)
    assert code == 1 and "--base goes with --offline" in err
    code, _, err = recon("audit", "--offline", "--specs", SPECS)
    assert code == 1 and "--offline needs --dialect" in err


def test_offline_opens_no_connection(monkeypatch, tmp_path) -> None:
    import sqlalchemy

    def refuse(*args, **kwargs):
        raise AssertionError("offline opened a database connection")

    monkeypatch.setattr(sqlalchemy, "create_engine", refuse)
    report = engine.audit_offline(engine.load_specs(SPECS), [DEMO / "release1.sql"], "postgresql")
    assert report.fingerprint.complete
    engine.validate_offline(engine.load_specs(SPECS), [DEMO / "release1.sql"], "sqlite")


def test_the_installed_recon_audits_and_validates_offline_with_no_database_reachable(tmp_path) -> None:
    """As the installed process, with every database URL pointing at nothing: offline needs none."""
    env = {**os.environ, "RECON_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "PGHOST": "127.0.0.1", "PGPORT": "1"}
    folder = incident_specs(tmp_path)
    base = [str(DEMO / "release1.sql"), str(DEMO / "incident.sql")]
    run = subprocess.run([recon_bin(), "audit", "--offline", "--dialect", "postgresql", "--base", base[0], "--base", base[1],
                          "--specs", str(folder), "--strict", "--format", "json"], check=False, capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 2, run.stderr
    assert json.loads(run.stdout)["fingerprint"]["passed"] == 6
    run = subprocess.run([recon_bin(), "validate", "--offline", "--dialect", "postgresql", "--base", base[0], "--specs", str(SPECS)],
                         check=False, capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "3 units apply" in run.stdout


MYSQLDUMP_VIEW = """/*M!999999\\- enable the sandbox mode */
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS `cust_v`;
/*!50001 DROP VIEW IF EXISTS `cust_v`*/;
/*!50001 CREATE VIEW `cust_v` AS SELECT
 1 AS `id`,
  1 AS `email` */;
CREATE TABLE `customers` (
  `id` int(11) NOT NULL,
  `email` varchar(200) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/*!50001 DROP VIEW IF EXISTS `cust_v`*/;
/*!50001 SET @saved_cs_client          = @@character_set_client */;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=`root`@`127.0.0.1` SQL SECURITY DEFINER */
/*!50001 VIEW `cust_v` AS select `customers`.`id` AS `id`,`customers`.`email` AS `email` from `customers` */;
/*!50001 DROP VIEW IF EXISTS `gone_v`*/;
"""


def _view_specs(folder: Path) -> Path:
    folder.mkdir()
    write(folder, "fingerprint", """
        kind: fingerprint
        name: views
        checks:
          - column: cust_v.email
            type: varchar(200)
          - column: customers.email
    """)
    return folder


def test_a_mysqldump_base_keeps_its_views_written_in_executable_comments(tmp_path) -> None:
    """mysqldump writes each view inside /*!50001 ... */ comments, which the server runs: read as
    comments, the view vanished and its canary failed offline while it passed live."""
    base = tmp_path / "dump.sql"
    base.write_text(MYSQLDUMP_VIEW, encoding="utf-8")
    report = engine.audit_offline(engine.load_specs(_view_specs(tmp_path / "specs")), [base], "mariadb").to_dict()
    assert [c["status"] for c in report["fingerprint"]["checks"]] == ["pass", "pass"], report["fingerprint"]
    assert report["target"]["statements"]["mapped"] == 7  # a table drop, three view drops, two view creates, the table


@pytest.mark.skipif(shutil.which("mysqldump") is None and os.environ.get("RECON_REQUIRE_SERVERS") != "1",
                    reason="mysqldump is not installed")
def test_a_real_mysqldump_base_audits_as_the_live_database(mysql_db, tmp_path) -> None:
    mysql_db.run("CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(200), KEY email_idx (email(20)));\n"
                 "CREATE VIEW cust_v AS SELECT id, email FROM customers")
    import sqlalchemy as sa

    url = sa.engine.make_url(mysql_db.url)
    base = tmp_path / "dump.sql"
    done = subprocess.run(["mysqldump", "--no-data", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306),
                           "-u", url.username or "root", url.database], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    base.write_text(done.stdout, encoding="utf-8")
    folder = _view_specs(tmp_path / "specs")
    write(folder, "prefix", """
        kind: fingerprint
        name: prefix
        checks:
          - index: email_idx
            on: customers
            columns: [email]
    """)  # a prefix key part: the catalog lists the column (mysqldump writes `email`(20) in the CREATE TABLE)
    specs = engine.load_specs(folder)
    offline = engine.audit_offline(specs, [base], "mariadb").to_dict()["fingerprint"]
    live = engine.audit(specs, mysql_db.url).to_dict()["fingerprint"]
    assert offline == live and offline["passed"] == 3
