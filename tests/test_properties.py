"""Property: random valid specs of every kind survive load -> validate -> write -> load as the same model.

The strategies build only valid documents (a generated document the validator refuses is a bug of
the strategy): fingerprints of each check kind, migration units of several operation kinds (foreign
keys of columns and of constraints, check constraints, defaults, raw ``sql`` with each kind of guard), seeds
with scalars YAML would misread, rbac specs whose grants name declared permissions, invariants of
each form, and environments with windows. Documents are written as JSON (YAML 1.2), loaded and
validated by ``engine.load_specs``, written back by the spec writer (``engine.dump_specs``) and
loaded again. No database.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_spec_writer import TRICKY, _plain

import engine

ROUND_TRIP = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NAME = st.text(alphabet="abcdefXYZ0123_ é日'-", min_size=1, max_size=10).filter(lambda n: n.strip() == n)
IDENT = NAME.map(lambda n: '"' + n + '"')  # a one-part identifier, quoted: spaces and digits first are fine
TYPES = st.sampled_from(["text", "varchar(40)", "integer", "bigint", "boolean", "numeric(10,2)", "date", "timestamp",
                         "timestamptz", "uuid", "json", "double"])
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 12, 10 ** 12), st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from(TRICKY), st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12))


def _check():
    table = st.fixed_dictionaries({"table": IDENT})
    column = st.fixed_dictionaries({"column": st.tuples(IDENT, IDENT).map(".".join)},
                                   optional={"type": TYPES, "nullable": st.booleans()})
    index = st.fixed_dictionaries({"index": IDENT}, optional={"on": IDENT, "unique": st.booleans(),
                                                      "columns": st.lists(NAME, min_size=1, max_size=3)})
    constraint = st.fixed_dictionaries({"constraint": IDENT, "on": IDENT},
                                       optional={"constraint_type": st.sampled_from(["primary_key", "unique", "check"]),
                                        "columns": st.lists(NAME, min_size=1, max_size=2)})
    return st.one_of(table, column, index, constraint)


def fingerprint():
    return st.tuples(NAME, st.lists(_check(), min_size=1, max_size=4)).map(lambda p: {
        "kind": "fingerprint", "name": p[0], "checks": [{"name": f"{p[0]}-{i}", **c} for i, c in enumerate(p[1])]})


ON_DELETE = st.sampled_from(["cascade", "restrict", "set_null", "no_action"])
REFERENCE = st.fixed_dictionaries({"table": IDENT, "column": NAME}, optional={"on_delete": ON_DELETE})
_WORDS = st.sampled_from([w for w in TRICKY if w.strip() and len(w) <= 40])
_STAMPS = st.sampled_from([{"expr": "now"}, {"expr": "current_timestamp"}])
DEFAULTS = {"text": _WORDS, "varchar(40)": _WORDS, "integer": st.integers(-1000, 1000), "bigint": st.integers(-10 ** 12, 10 ** 12),
            "boolean": st.booleans(), "numeric(10,2)": st.integers(-1000, 1000), "date": st.just({"expr": "current_date"}),
            "timestamp": _STAMPS, "timestamptz": _STAMPS}  # a default of the column's type: another is an error


def _column():
    def of_type(type_):
        optional = {"nullable": st.booleans(), "unique": st.booleans(), "references": REFERENCE}
        if type_ in DEFAULTS:
            optional["default"] = DEFAULTS[type_]
        return st.fixed_dictionaries({"name": NAME, "type": st.just(type_)}, optional=optional)
    return TYPES.flatmap(of_type)


def _guard():
    """One guard of each kind; a ``sql:`` guard is one read-only SELECT."""
    named = st.one_of(IDENT, st.tuples(IDENT, IDENT).map(".".join))
    keys = st.sampled_from(["table_exists", "table_missing", "column_exists", "column_missing", "index_exists",
                            "index_missing", "constraint_exists", "constraint_missing"])
    shape = st.tuples(keys, named).map(lambda p: {p[0]: p[1] if p[0].startswith("table") else f"{p[1]}.x" if "." not in p[1] else p[1]})
    query = st.sampled_from(["SELECT 1", "SELECT count(*) = 0 FROM items", "SELECT NOT EXISTS (SELECT 1 FROM t WHERE k = 'it''s')"])
    return st.one_of(shape, query.map(lambda q: {"sql": q}))


def _raw_sql():
    """A ``sql`` operation: statements of a declared dialect; a guard where no ``IF [NOT] EXISTS`` makes them idempotent."""
    guarded = st.sampled_from(["ALTER TABLE items ADD COLUMN note VARCHAR(20) DEFAULT 'a;b'", "CREATE VIEW v AS SELECT 1 AS one",
                               "CREATE INDEX items_qty_idx ON items (qty)"])  # schema work: a schema unit holds no row changes
    idempotent = st.sampled_from(["CREATE TABLE IF NOT EXISTS t (k INTEGER)", "DROP VIEW IF EXISTS v"])
    with_guard = st.tuples(st.lists(guarded, min_size=1, max_size=2), _guard()).map(lambda p: {"statements": p[0], "guard": p[1]})
    return st.tuples(st.sampled_from(["postgres", "mysql", "sqlite"]), with_guard | st.lists(idempotent, min_size=1, max_size=2).map(
        lambda stmts: {"statements": stmts}), st.booleans()).map(lambda p: {"sql": {"dialect": p[0], **p[1], **({"destructive": True} if p[2] else {})}})


def _operation():
    create = st.tuples(IDENT, st.lists(_column(), min_size=1, max_size=3, unique_by=lambda c: c["name"])).map(
        lambda p: {"create_table": {"table": p[0], "columns": p[1]}})
    add = st.tuples(IDENT, _column()).map(lambda p: {"add_column": {"table": p[0], **p[1]}})
    rename = st.tuples(IDENT, NAME, NAME).map(lambda p: {"rename_column": {"table": p[0], "name": p[1], "new_name": p[2]}})
    index = st.tuples(NAME, IDENT, st.lists(NAME, min_size=1, max_size=3), st.booleans()).map(
        lambda p: {"create_index": {"name": p[0], "table": p[1], "columns": p[2], "unique": p[3]}})
    unique = st.tuples(NAME, IDENT, st.lists(NAME, min_size=1, max_size=2)).map(
        lambda p: {"add_constraint": {"name": p[0], "table": p[1], "type": "unique", "columns": p[2]}})
    drop = st.tuples(IDENT, st.booleans()).map(lambda p: {"drop_table": {"table": p[0], "cascade": p[1]}})
    alter = st.tuples(IDENT, NAME, st.booleans()).map(lambda p: {"alter_column": {"table": p[0], "name": p[1], "nullable": p[2]}})
    foreign = st.tuples(NAME, IDENT, st.lists(NAME, min_size=1, max_size=2), IDENT, st.one_of(st.none(), ON_DELETE)).map(
        lambda p: {"add_constraint": {"name": p[0], "table": p[1], "type": "foreign_key", "columns": p[2],
                                      "references": {"table": p[3], "columns": [f"r_{c}" for c in p[2]],
                                                     **({"on_delete": p[4]} if p[4] else {})}}})
    check = st.tuples(NAME, IDENT, st.sampled_from(["qty > 0", "\"group\" <> ''", "price BETWEEN 0 AND 100"])).map(
        lambda p: {"add_constraint": {"name": p[0], "table": p[1], "type": "check", "check": p[2]}})
    return st.one_of(create, add, rename, index, unique, drop, alter, foreign, check, _raw_sql())


def unit():
    optional = {"ticket": NAME, "description": st.sampled_from(TRICKY).filter(str.strip),
                "lock_timeout": st.sampled_from(["500ms", "5s", "2min"]), "lock_retries": st.integers(0, 5),
                "allow": st.sampled_from([["RC101"], ["RC102", "RC103"]]),
                "rollback": st.fixed_dictionaries({"notes": NAME}, optional={"operations": st.lists(_operation(), max_size=2)})}
    return st.fixed_dictionaries({"id": st.tuples(st.sampled_from("aZ9"), st.text(alphabet="abcXYZ09._-", max_size=11)).map("".join),
                                  "operations": st.lists(_operation(), min_size=1, max_size=4)}, optional=optional).map(
        lambda d: {"kind": "migration", "scope": "schema", **d})


def seed():
    row = st.dictionaries(NAME.filter(lambda n: n != "k"), SCALAR, max_size=3)
    return st.tuples(NAME, IDENT, st.lists(row, min_size=1, max_size=4), st.sampled_from(["keep", "update"])).map(
        lambda p: {"kind": "seed", "name": p[0], "table": p[1], "key": ["k"], "on_conflict": p[3],
                   "rows": [{"k": f"r{i}", **r} for i, r in enumerate(p[2])]})


def rbac():
    keys = st.lists(st.text(alphabet="abc.xy_", min_size=1, max_size=8), min_size=1, max_size=4, unique=True)

    def build(p):
        name, permissions, critical, roles = p
        return {"kind": "rbac", "name": name,
                "tables": {"roles": {"table": "roles", "key": "name"}, "permissions": {"table": "perms", "key": "key"},
                           "grants": {"table": "grants", "role": "role_id", "permission": "perm_id"}},
                "permissions": [{"key": k, "critical": critical} for k in permissions],
                "roles": [{"name": r, "grants": [permissions[0], "*"][: 1 + i % 2]} for i, r in enumerate(roles)]}
    return st.tuples(NAME, keys, st.booleans(), st.lists(NAME, max_size=3, unique=True)).map(build)


def invariants():
    count = st.tuples(NAME, IDENT, st.integers(0, 10 ** 6)).map(lambda p: {"name": p[0], "row_count": {"table": p[1]}, "min": p[2]})
    exist = st.tuples(NAME, IDENT, NAME, st.lists(SCALAR.filter(lambda v: not isinstance(v, float)), min_size=1, max_size=3)).map(
        lambda p: {"name": p[0], "rows_exist": {"table": p[1], "column": p[2], "values": p[3]}})
    return st.lists(st.one_of(count, exist), min_size=1, max_size=3, unique_by=lambda c: c["name"]).map(
        lambda checks: {"kind": "invariants", "checks": checks})


def environments():
    window = st.fixed_dictionaries({"days": st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                                                     min_size=1, max_size=3, unique=True),
                                    "start": st.sampled_from(["00:00", "22:00", "09:30"]), "end": st.sampled_from(["23:59", "06:00"]),
                                    "timezone": st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"])})
    one = st.fixed_dictionaries({"name": NAME, "database_url_env": st.text(alphabet="ABCXYZ_", min_size=1, max_size=10)},
                                optional={"mode": st.sampled_from(["apply", "detect-only"]), "require_rollback_notes": st.booleans(),
                                 "windows": st.lists(window, max_size=2), "plan_max_age": st.sampled_from(["1h", "24h"]),
                                 "lock_retries": st.integers(0, 3)})
    return st.lists(one, min_size=1, max_size=3, unique_by=lambda e: e["name"]).map(
        lambda envs: {"kind": "environments", "environments": envs})


KINDS = ("fingerprints", "units", "rbac", "seeds", "invariants", "environments")


@ROUND_TRIP
@given(st.tuples(fingerprint(), unit(), seed(), rbac(), invariants(), environments()))
def test_random_specs_load_write_load_to_the_same_model(tmp_path_factory, documents):
    first, again = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("again")
    for i, doc in enumerate(documents):
        (first / f"{i}.yaml").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")  # JSON is YAML 1.2
    specs = engine.load_specs(first)  # a strategy that makes an invalid document fails here, with the diagnostics
    items = (*specs.fingerprints, *specs.units, *specs.rbac, *specs.seeds, specs.invariants, specs.environments)
    assert len(items) == 6
    for i, item in enumerate(items):
        (again / f"{i}.yaml").write_text(engine.dump_specs(item), encoding="utf-8")
    reloaded = engine.load_specs(again)
    for kind in KINDS:
        assert _plain(getattr(reloaded, kind)) == _plain(getattr(specs, kind)), (kind, engine.dump_specs(*getattr(specs, kind)) if kind in ("units", "seeds") else "")
    assert [u.checksum for u in reloaded.units] == [u.checksum for u in specs.units]


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
_DOCUMENTS = st.recursive(_SCALARS, lambda inner: st.lists(st.dictionaries(st.text(), inner, max_size=4) | _SCALARS, max_size=4)
                          | st.dictionaries(st.text(), inner, max_size=4), max_leaves=25)


@settings(max_examples=200, deadline=None)
@given(_DOCUMENTS)
def test_the_json_view_is_json_dumps_indented_where_no_list_holds_rows(document):
    """The report writer's fast paths (dicts of scalars at once, scalars without the encoder) print
    what ``json.dumps(indent=2)`` prints; only a list of rows (lists of scalars) is laid out its own way."""

    from engine.report.as_json import to_json

    assert to_json(document) == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
