"""Golden cases: every operation renders the expected SQL, which runs on the real engine and converges.

Each folder under ``tests/golden/`` (except ``demo``) is one case, the way
migra and sqlglot keep fixtures::

    before.<dialect>.sql          schema + rows the case starts from (";\\n"-separated; may be empty)
    specs/                        the migration unit(s) or seed/rbac specs, and a fingerprint where useful
    expected.<dialect>.sql        the plan's pending SQL, one statement per line
    expected.<dialect>.plan.txt   ``plan_text`` with its first (volatile) line normalized
    expect.yaml                   optional checks after apply: ``names`` (table -> columns, in
                                  order) that must exist exactly, ``after_sql`` run next (e.g.
                                  an INSERT that relies on new defaults), then ``rows`` that
                                  the tables must hold (rows survive rebuilds and type changes)

The test runs the case on SQLite, PostgreSQL and MariaDB, and once more on
MariaDB with the SQL recon renders for MySQL 8 (``mysql8``: no ``IF [NOT]
EXISTS`` on columns and indexes), which MariaDB also runs: setup, plan,
compare with the expected files, apply, then assert the unit is recorded with
as many statements as were planned, a second plan is empty, the fingerprint
passes, and the rows and names in ``expect.yaml`` are there.
``RECON_UPDATE_GOLDEN=1`` rewrites the expected files instead of comparing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

import engine
from engine.applying.applier import apply
from engine.changes.indexes import CreateIndex
from engine.errors import SpecError
from engine.inspect import inspect_schema
from engine.inspect.state import SchemaState
from engine.ledger import table as ledger
from engine.planning.planner import make_plan
from engine.render.mysql import MariaDBRenderer, MySQLRenderer
from engine.render.postgresql import PostgresRenderer
from engine.report.text import plan_text
from engine.spec.model import ObjectRef, Source
from engine.target.connection import make_target, read_only_connection

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "specs").is_dir())
DIALECTS = ("sqlite", "postgresql", "mysql", "mysql8")
FIXTURES = {"sqlite": "sqlite_db", "postgresql": "postgres_db", "mysql": "mysql_db", "mysql8": "mysql_db"}
SETUP = {"mysql8": "mysql"}  # the MySQL 8 rendering starts from the same MySQL schema
UPDATE = os.environ.get("RECON_UPDATE_GOLDEN") == "1"


def rendered_sql(plan) -> str:
    return "".join(f"{sql};\n" for action in plan.pending for sql in action.sql)


def normalized_text(plan) -> str:
    """``plan_text`` without the plan id and URL of its first line, which change every run, and
    with spec paths (in warnings) from ``GOLDEN/``, wherever the tests run from."""
    first, _, rest = plan_text(plan).partition("\n")
    assert first.startswith(f"recon plan {plan.plan_id} for ")
    return f"recon plan PLAN_ID for {plan.target.dialect}\n{rest.replace(shown_path(GOLDEN) + '/', 'GOLDEN/')}"


def shown_path(path: Path) -> str:
    """``path`` as messages show spec files: relative to the working folder when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path.name} missing: run with RECON_UPDATE_GOLDEN=1, then review it"
    assert actual == path.read_text(encoding="utf-8"), f"{path.parent.name}/{path.name} differs"


def planned_statements(plan, unit: str) -> int:
    """Statements apply runs for ``unit`` (a raw-SQL guard re-checked at apply could skip some)."""
    return sum(len(a.sql) for a in plan.pending if a.unit == unit and not a.guard_sql)


def fetch_rows(db, table: str, columns: list[str]) -> list[tuple]:
    """Rows of ``table`` (sorted, first column first); names quoted by SQLAlchemy, whatever they contain."""
    t = sa.table(table, *[sa.column(c) for c in columns])
    eng = db.engine()
    try:
        with eng.connect() as conn:
            return sorted((tuple(r) for r in conn.execute(sa.select(*t.c))), key=_order)
    finally:
        eng.dispose()


def _order(row: tuple) -> tuple:
    return tuple((v is None, str(v)) for v in row)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, dialect: str, request, monkeypatch) -> None:
    folder = GOLDEN / case
    db = request.getfixturevalue(FIXTURES[dialect])
    db.run((folder / f"before.{SETUP.get(dialect, dialect)}.sql").read_text(encoding="utf-8"))
    if dialect == "mysql8":
        monkeypatch.setattr("engine.render.renderer_for", lambda state: MySQLRenderer())
    specs = engine.load_specs(folder / "specs")
    expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8")) if (folder / "expect.yaml").exists() else {}

    plan = make_plan(specs, db.url)
    golden(folder / f"expected.{dialect}.sql", rendered_sql(plan))
    golden(folder / f"expected.{dialect}.plan.txt", normalized_text(plan))
    assert not plan.empty, "a golden case has at least one unit to record"

    report = apply(plan, db.url, allow_destructive=True)
    for unit in plan.units:
        outcome = next(o for o in report.outcomes if o.unit == unit.id)
        assert (outcome.status, outcome.statements) == ("applied", planned_statements(plan, unit.id)), outcome

    again = make_plan(specs, db.url)
    assert again.empty, plan_text(again)

    with read_only_connection(make_target(db.url)) as conn:
        state = inspect_schema(conn)
        recorded = ledger.applied(ledger.read(conn, state))
    for unit in plan.units:  # recorded as applied, with the statements that ran (0 when all was present)
        assert (recorded[unit.id].checksum, recorded[unit.id].statements) == (unit.checksum, planned_statements(plan, unit.id))

    if specs.canaries:
        fingerprint = engine.audit(specs, db.url, run_invariants=False).fingerprint
        assert fingerprint.complete, fingerprint.summary()

    for table, columns in expect.get("names", {}).items():
        found = state.table(None, table)
        assert found is not None, f"table {table!r} missing; have {sorted(t for _, t in state.tables)}"
        assert [c.name for c in found.columns] == columns

    if expect.get("after_sql"):
        db.run(";\n".join(expect["after_sql"]))
    for check in expect.get("rows", []):
        want = sorted((tuple(r) for r in check["values"]), key=_order)
        assert fetch_rows(db, check["table"], check["columns"]) == want


def test_partial_index_is_refused_where_the_dialect_has_none() -> None:
    """MySQL/MariaDB have no CREATE INDEX ... WHERE: the plan fails on the spec, not the apply on the server."""
    change = CreateIndex("t_a_idx", ObjectRef(None, "t"), ("a",), where="a > 0", unit="u", source=Source("specs/u.yaml", 7))
    assert PostgresRenderer().render(change, SchemaState("postgresql", "public")) == ['CREATE INDEX IF NOT EXISTS "t_a_idx" ON "t"("a") WHERE a > 0']
    with pytest.raises(SpecError, match="specs/u.yaml:7: create_index.where: mysql has no partial indexes"):
        MariaDBRenderer().render(change, SchemaState("mysql", "db", "10.11.6-MariaDB"))
