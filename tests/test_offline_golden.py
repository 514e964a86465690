"""Offline fidelity: for every golden case, the schema built offline from its ``before`` DDL plus
every unit is the schema live inspection reads after the plan is applied, on each dialect.

The fingerprint section of the offline audit equals the live audit's (check by check, detail
text included, so types are spelled as the catalog spells them), and so do the tables, columns
(type, nullability, default as a value), constraints and indexes both states hold.
"""

from __future__ import annotations

import pytest
from support import inspected
from test_golden import CASES, GOLDEN

import engine
from engine.applying.applier import apply
from engine.changes.base import _plain_default
from engine.planning.planner import make_plan

FLAVORS = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mariadb"}  # the test servers: MariaDB for mysql
FIXTURES = {"sqlite": "sqlite_db", "postgresql": "postgres_db", "mysql": "mysql_db"}


def shape(state) -> dict:
    """What a canary, a guard or a refusal reads of a state, comparable across a live and an offline one."""
    tables = {k[1]: (t.kind, [(c.name, c.type, c.nullable, _plain_default(c.default), c.generated, c.computed) for c in t.columns])
              for k, t in state.tables.items() if t.name != "recon_ledger"}
    constraints = sorted((c.table, c.name, c.kind, c.columns, c.ref_table, c.ref_columns, c.on_delete)
                         for c in state.constraints.values() if c.table != "recon_ledger")
    indexes = sorted((i.table, i.name, i.columns, i.unique, i.primary, i.partial) for i in state.indexes.values()
                     if i.table != "recon_ledger" and not i.name.startswith("sqlite_autoindex_"))
    return {"tables": tables, "constraints": constraints, "indexes": indexes}


def keyed_indexes(state) -> list:
    """SQLite's autoindexes by what they index (the simulation names a key's index after the key)."""
    return sorted((i.table, i.columns, i.unique) for i in state.indexes.values() if i.table != "recon_ledger")


@pytest.mark.parametrize("dialect", sorted(FIXTURES))
@pytest.mark.parametrize("case", CASES)
def test_offline_state_is_the_live_state_after_apply(case: str, dialect: str, request) -> None:
    folder = GOLDEN / case
    base = folder / f"before.{dialect}.sql"
    db = request.getfixturevalue(FIXTURES[dialect])
    db.run(base.read_text(encoding="utf-8"))
    specs = engine.load_specs(folder / "specs")
    apply(make_plan(specs, db.url), db.url, allow_destructive=True)
    live = engine.audit(specs, db.url, run_invariants=False)

    offline = engine.audit_offline(specs, [base], FLAVORS[dialect])
    assert offline.fingerprint.to_dict() == live.fingerprint.to_dict()
    found = engine.offline_state(specs, [base], FLAVORS[dialect]).state
    actual = inspected(db)
    assert shape(found) == shape(actual)
    if dialect == "sqlite":
        assert keyed_indexes(found) == keyed_indexes(actual)
