"""recon inspect: what it writes validates, audits N/N on the database it came from, and its seeds
plan empty and restore the same stored values; driven as the installed ``recon`` process."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool
from support import RECON_VARIABLES, dialect_sql, stored_rows

import engine


def installed_recon(*args, cwd=None) -> subprocess.CompletedProcess:
    """The ``recon`` console script of this environment, as a user runs it."""
    exe = shutil.which("recon") or str(Path(sys.executable).parent / "recon")
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env, timeout=120, cwd=cwd, check=False)


def inspect_ok(db, out: Path, *extra) -> dict:
    """``recon inspect --format json`` as a process; it must succeed. Returns its summary."""
    done = installed_recon("inspect", "--db", db.url, "--out", out, "--format", "json", *extra)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def audit_json(recon, out: Path, db) -> dict:
    code, text, err = recon("audit", "--specs", out, "--db", db.url, "--format", "json", "--strict")
    assert code == 0, text + err
    return json.loads(text)


def plan_actions(recon, out: Path, db) -> list:
    code, text, err = recon("plan", "--specs", out, "--db", db.url, "--format", "json")
    assert code == 0, err
    return json.loads(text)["actions"]


# -- a schema written by an ORM --------------------------------------------------------------

class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true(), nullable=False)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (sa.CheckConstraint("total >= 0", name="orders_total_nonneg"),
                      sa.Index("ix_orders_status_created", "status", "created_at"))
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True, nullable=False)
    total: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), server_default="new", nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, server_default=sa.func.now(), nullable=False)


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    value: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime)


def _objects(metadata: sa.MetaData) -> int:
    """Tables, columns, primary keys, unique, foreign-key and check constraints, and indexes the models declare."""
    # a column's unique=True is a UniqueConstraint of its table, as is its primary key and each foreign key
    return sum(1 + len(t.columns) + len(t.constraints) + len(t.indexes) for t in metadata.tables.values())


STAMP = datetime(2024, 5, 6, 7, 8, 9, 123456)


def _orm_database(db):
    eng = sa.create_engine(db.engine().url, poolclass=NullPool)
    Base.metadata.create_all(eng)
    aware = db.dialect == "postgresql"
    with eng.begin() as conn:
        conn.execute(sa.insert(User), [{"email": "ann@example.com", "name": "Ann", "created_at": STAMP.replace(tzinfo=timezone.utc) if aware else STAMP},
                                       {"email": "bo@example.com", "name": None, "created_at": STAMP.replace(tzinfo=timezone.utc) if aware else STAMP}])
        conn.execute(sa.insert(Setting), [{"key": "theme", "value": "dark", "updated_at": STAMP},
                                          {"key": "yes", "value": "0755", "updated_at": None},
                                          {"key": "2024-01-01", "value": "ünïcode ✓", "updated_at": STAMP}])
    eng.dispose()


PORTABLE = {  # what an ORM's types are in the fingerprint, per dialect
    "sqlite": {"users.id": "integer", "users.created_at": "timestamp", "users.active": "boolean"},
    "postgresql": {"users.id": "integer", "users.created_at": "timestamptz", "users.active": "boolean"},
    "mysql": {"users.id": "integer", "users.created_at": "timestamp", "users.active": "boolean"},
}


def test_an_orm_schema_is_adopted_audits_n_of_n_and_its_seeds_plan_empty(db, recon, tmp_path):
    _orm_database(db)
    out = tmp_path / "adopted"
    summary = inspect_ok(db, out, "--seed", "settings", "--seed", "users:email")
    assert summary["files"] == ["fingerprint.yaml", "seed-settings.yaml", "seed-users.yaml"]
    assert sorted(p.name for p in out.iterdir()) == summary["files"]
    code, text, err = recon("validate", "--specs", out, "--strict")
    assert code == 0, text + err
    expected = _objects(Base.metadata)
    report = audit_json(recon, out, db)
    assert report["fingerprint"]["total"] == expected == summary["fingerprint"]["checks"] == 24
    assert report["fingerprint"]["passed"] == expected and report["ok"] is True
    assert all(c["status"] == "pass" for c in report["fingerprint"]["checks"])
    checks = {c["name"]: c for c in report["fingerprint"]["checks"]}
    assert {"users", "orders", "settings", "users.email", "orders.total", "settings.updated_at"} <= set(checks)
    assert summary["fingerprint"]["by_kind"] == {"table": 3, "column": 13, "index": 2, "constraint": 6}
    fp = engine.load_specs(out).fingerprints[0]
    typed = {c.name: (c.type, c.nullable) for c in fp.checks if c.kind == "column"}
    for name, portable in PORTABLE[db.dialect].items():
        assert typed[name][0] == portable, name
    assert typed["users.email"] == ("varchar(255)", False) and typed["orders.total"] == ("numeric(10,2)", False)
    assert typed["users.name"] == ("varchar(100)", True) and typed["settings.value"] == ("text", True)
    kinds = {(c.kind, c.constraint_type) for c in fp.checks if c.kind == "constraint"}
    assert kinds == {("constraint", "primary_key"), ("constraint", "unique"), ("constraint", "foreign_key"), ("constraint", "check")}
    fk = next(c for c in fp.checks if c.constraint_type == "foreign_key")
    assert fk.columns == ("user_id",) and fk.references.table == "users"
    assert plan_actions(recon, out, db) == []
    seeds = {s.name: s for s in engine.load_specs(out).seeds}
    assert seeds["settings"].key == ("key",) and seeds["users"].key == ("email",)
    assert [r["key"] for r in seeds["settings"].rows] == sorted(["theme", "yes", "2024-01-01"])  # ordered by the key
    assert {r["key"]: r["value"] for r in seeds["settings"].rows} == {"theme": "dark", "yes": "0755", "2024-01-01": "ünïcode ✓"}
    assert [r["email"] for r in seeds["users"].rows] == ["ann@example.com", "bo@example.com"]
    assert seeds["users"].rows[1]["name"] is None and seeds["users"].rows[0]["active"] is True
    # the empty plan is not vacuous: a changed stored value is planned back
    db.run(dialect_sql(db, """UPDATE "settings" SET "value" = 'light' WHERE "key" = 'theme'"""))
    changed = plan_actions(recon, out, db)
    assert [(a["op"], a["rows"]) for a in changed] == [("update_rows", [["theme", "dark"]])]


# -- every kind of value, stored, written, planned and applied back ---------------------------

VALUES_DDL = {
    "sqlite": """CREATE TABLE vals (id INTEGER PRIMARY KEY, label VARCHAR(50), note TEXT, amount NUMERIC(12,3), ratio REAL,
                 flag BOOLEAN, born DATE, seen TIMESTAMP, doc JSON)""",
    "postgresql": """CREATE TABLE vals (id integer PRIMARY KEY, label varchar(50), note text, amount numeric(12,3), big numeric(30,6),
                 ratio double precision, single real, flag boolean, born date, seen timestamp(6), seen_tz timestamptz, at_time time,
                 doc jsonb, raw json, uid uuid, fixed char(4))""",
    "mysql": """CREATE TABLE vals (id int PRIMARY KEY, label varchar(50), note text, amount decimal(12,3), big decimal(30,6),
                ratio double, single float, flag boolean, born date, seen datetime(6), stamp timestamp NULL, at_time time(3),
                doc json, uid char(36), fixed char(4))""",
}
TRICKY = ["yes", "0755", "2024-01-01", "null", "", "12:30", "1e5", "ünï ✓ 日本 🚀", "line\none", "'quoted'", "a: b"]


def _values_rows(dialect: str) -> list[str]:
    rows = []
    for i, label in enumerate(TRICKY, start=1):
        text = label.replace("'", "''")
        common = {"id": str(i), "label": f"'{text}'", "note": "NULL" if i % 3 == 0 else f"'note {i} ✓'",
                  "amount": f"{i}.125" if i % 2 else "NULL", "ratio": f"{i / 10}", "flag": ("1" if i % 2 else "0") if dialect != "postgresql" else ("true" if i % 2 else "false"),
                  "born": f"'2024-0{1 + i % 9}-1{i % 9}'", "seen": f"'2024-01-0{1 + i % 9} 10:11:12.{i:06d}'",
                  "doc": """'{"k": [1, null, "ü"], "n": %d}'""" % i if i % 4 else "NULL"}
        if dialect == "postgresql":
            common |= {"big": f"123456789012345678901.{i:06d}", "single": "1.1", "seen_tz": f"'2024-03-0{1 + i % 9} 01:02:03.5+02'",
                       "at_time": "'23:59:59.25'", "raw": """'"a json string"'""" if i % 2 else "'42'",
                       "uid": f"'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD38{i:04d}'", "fixed": "'ab'"}
        elif dialect == "mysql":
            common |= {"big": f"123456789012345678901.{i:06d}", "single": "1.1", "stamp": "'2024-02-02 02:02:02'",
                       "at_time": "'-838:59:59.000'" if i == 1 else "'12:00:00.5'", "uid": f"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd38{i:04d}'",
                       "fixed": "'ab'"}
        rows.append(f"INSERT INTO vals ({', '.join(common)}) VALUES ({', '.join(common.values())})")
    return rows


def test_stored_values_round_trip_through_a_seed(db, recon, tmp_path):
    db.run(";\n".join([VALUES_DDL[db.dialect], *_values_rows(db.dialect)]) + ";\n")
    before = stored_rows(db, "SELECT * FROM vals ORDER BY id")
    out = tmp_path / "adopted"
    summary = inspect_ok(db, out, "--seed", "vals", "--tables", "vals")
    assert summary["seeds"] == [{"name": "vals", "table": "vals", "key": ["id"], "rows": len(TRICKY)}]
    assert plan_actions(recon, out, db) == []
    seed = engine.load_specs(out).seeds[0]
    assert [r["label"] for r in seed.rows] == TRICKY  # strings YAML would misread come back as the same strings
    assert seed.rows[0]["flag"] is True and seed.rows[1]["flag"] is False and seed.rows[2]["note"] is None
    # every row deleted, then the seed applied: the same values are stored again
    db.run("DELETE FROM vals;\n")
    code, text, err = recon("apply", "--specs", out, "--db", db.url, "--auto-approve")
    assert code == 0, text + err
    assert stored_rows(db, "SELECT * FROM vals ORDER BY id") == before
    assert plan_actions(recon, out, db) == []
    # and inspecting again writes the same bytes (the ledger apply created is left out)
    again = tmp_path / "again"
    inspect_ok(db, again, "--seed", "vals", "--tables", "vals")
    assert _digests(again) == _digests(out)


def _digests(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# -- what inspect refuses, filters and never does ---------------------------------------------

REFUSAL_DDL = """
CREATE TABLE plain (a integer, b integer);
CREATE TABLE coded (id integer PRIMARY KEY, code varchar(10) NOT NULL, label varchar(10), CONSTRAINT coded_code_key UNIQUE (code));
CREATE VIEW coded_view AS SELECT id, code FROM coded;
"""


@pytest.mark.parametrize("seed, message", [
    ("plain", "plain has no primary key; name a key a unique constraint or index enforces: --seed plain:COLUMN"),
    ("coded:label", "[label] is not a key the database enforces on coded"),
    ("coded:nope", "coded has no column nope"),
    ("missing", "no table 'missing'"),
    ("coded_view", "coded_view is a view; a seed writes rows into a table"),
    ("coded:", "expected TABLE or TABLE:KEY[,KEY...]"),
])
def test_a_seed_key_the_database_does_not_enforce_is_refused(sqlite_db, recon, tmp_path, seed, message):
    sqlite_db.run(REFUSAL_DDL)
    code, out, err = recon("inspect", "--db", sqlite_db.url, "--out", tmp_path / "o", "--seed", seed)
    assert code == 1 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()  # nothing is written when a request is refused


def test_a_unique_key_other_than_the_primary_key_is_taken(sqlite_db, recon, tmp_path):
    sqlite_db.run(REFUSAL_DDL + "INSERT INTO coded VALUES (2, 'b', 'x'), (1, 'c', NULL);\n")
    code, out, err = recon("inspect", "--db", sqlite_db.url, "--out", tmp_path / "o", "--seed", "coded:code")
    assert code == 0, err
    seed = engine.load_specs(tmp_path / "o").seeds[0]
    assert seed.key == ("code",) and [r["code"] for r in seed.rows] == ["b", "c"]
    assert "wrote " in out and "seed coded: 2 rows of coded, key code" in out
    code, out, err = recon("inspect", "--db", sqlite_db.url, "--out", tmp_path / "o", "--seed", "coded:code", "--force",
                           "--format", "markdown")
    assert code == 0, err
    assert f"| `{tmp_path / 'o'}/seed-coded.yaml` | seed coded: 2 rows of coded, key code |" in out


def test_tables_globs_filter_and_a_view_is_checked_without_nullability(sqlite_db, recon, tmp_path):
    sqlite_db.run(REFUSAL_DDL)
    code, out, err = recon("inspect", "--db", sqlite_db.url, "--out", tmp_path / "o", "--tables", "coded*", "--tables", "nomatch")
    assert code == 0, err
    fp = engine.load_specs(tmp_path / "o").fingerprints[0]
    assert sorted({c.ref.table for c in fp.checks}) == ["coded", "coded_view"]
    view_columns = [c for c in fp.checks if c.kind == "column" and c.ref.table == "coded_view"]
    assert [c.name for c in view_columns] == ["coded_view.id", "coded_view.code"]
    assert all(c.nullable is None and c.type for c in view_columns)
    assert recon("audit", "--specs", tmp_path / "o", "--db", sqlite_db.url, "--strict")[0] == 0
    code, out, err = recon("inspect", "--db", sqlite_db.url, "--out", tmp_path / "none", "--tables", "nomatch*")
    assert code == 1 and "nothing to write: no table matches --tables nomatch*" in err


def test_a_folder_that_is_not_empty_needs_force_and_the_database_is_never_written(sqlite_db, recon, tmp_path):
    sqlite_db.run(REFUSAL_DDL)
    path = Path(sqlite_db.url.removeprefix("sqlite:///"))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = tmp_path / "o"
    out.mkdir()
    (out / "mine.yaml").write_text("kind: fingerprint\nname: mine\nchecks: [{name: mine-plain, table: plain}]\n")
    code, _, err = recon("inspect", "--db", sqlite_db.url, "--out", out)
    assert code == 1 and "the folder is not empty" in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["mine.yaml"]
    code, _, err = recon("inspect", "--db", sqlite_db.url, "--out", out, "--force", "--name", "adopted")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["fingerprint.yaml", "mine.yaml"]  # others are left as they are
    assert [f.name for f in engine.load_specs(out).fingerprints] == ["adopted", "mine"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert "recon_ledger" not in {r[0] for r in stored_rows(sqlite_db, "SELECT name FROM sqlite_master")}


def test_help_names_force_and_common_options_it_does_not_take_are_refused(recon, tmp_path):
    code, out, _ = recon("inspect", "--help")
    assert code == 0 and "--force" in out and "--seed TABLE[:KEY,...]" in out and "--tables GLOB" in out
    code, _, err = recon("inspect", "--specs", "specs", "--out", tmp_path / "o", "--db", "sqlite:///x.db")
    assert code == 1 and "--specs" in err


def test_the_python_api_returns_the_model_values(sqlite_db, tmp_path):
    sqlite_db.run(REFUSAL_DDL + "INSERT INTO coded VALUES (1, 'a', NULL);\n")
    result = engine.inspect_database(sqlite_db.url, tables=["coded"], seeds=["coded"])
    from engine.spec.model import Fingerprint, Seed

    assert isinstance(result.fingerprint, Fingerprint) and isinstance(result.seeds[0], Seed)
    assert [c.name for c in result.fingerprint.checks][:2] == ["coded", "coded.id"]
    assert result.seeds[0].rows == ({"id": 1, "code": "a", "label": None},)
    assert engine.dump_specs(result.seeds[0]).startswith("kind: seed\nname: coded\n")
    assert [p.name for p in result.write(tmp_path / "api")] == ["fingerprint.yaml", "seed-coded.yaml"]
