"""recon validate: every problem at once, each located as file:line: path: message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import engine
from engine.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def problems(folder: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        engine.load_specs(folder)
    return [str(d) for d in info.value.diagnostics]


def test_example_specs_are_valid():
    specs = engine.load_specs(ROOT / "specs")
    assert [f.name for f in specs.fingerprints] == ["startup"]
    assert len(specs.canaries) == 7
    assert {u.id for u in specs.units} >= {"TER-173-products-name-canonical"}
    rbac = specs.rbac[0]
    admin = {k for r, k in rbac.wanted_grants() if r == "admin"}
    assert admin == {p.key for p in rbac.permissions}  # admin: "*"
    assert specs.digest.startswith("sha256:")


def test_every_node_remembers_file_and_line(tmp_path):
    write(tmp_path, "fp.yaml", """
        kind: fingerprint
        name: startup
        checks:
          - table: products
          - column: products.nameCanonical
    """)
    specs = engine.load_specs(tmp_path)
    first, second = specs.canaries
    assert (first.source.file.endswith("fp.yaml"), first.source.line) == (True, 4)
    assert second.source.line == 5
    assert second.ref.table == "products" and second.ref.column == "nameCanonical"


def test_all_problems_reported_at_once_with_lines(tmp_path):
    write(tmp_path, "a.yaml", """
        kind: fingerprint
        name: startup
        checks:
          - table: products
            colum: x
          - column: products.price
            type: varchr(3)
          - table: a
            column: a.b
        ---
        kind: migraton
        id: x
    """)
    write(tmp_path, "sub/b.yml", """
        kind: seed
        name: s
          bad: [
    """)
    found = problems(tmp_path)
    text = "\n".join(found)
    assert "a.yaml:5: checks[0].colum: unknown key 'colum' (did you mean 'column'?)" in text
    assert "a.yaml:7: checks[1].type: 'varchr(3)' is not a valid portable type" in text
    assert "a.yaml:8: checks[2]: takes exactly one of table, column, index, constraint; found table, column" in text
    assert "a.yaml:11: kind: unknown kind 'migraton' (did you mean 'migration'?)" in text
    assert "b.yml:3: YAML syntax error" in text
    assert len(found) == 5


def test_wrong_types_and_missing_keys(tmp_path):
    write(tmp_path, "s.yaml", """
        kind: seed
        table: settings
        key: [key]
        rows: {key: theme}
        on_conflict: merge
    """)
    text = "\n".join(problems(tmp_path))
    assert "s.yaml:1: missing required key 'name'" in text
    assert "s.yaml:4: rows: expected array, got mapping" in text
    assert "s.yaml:5: on_conflict: 'merge' is not one of: keep, update" in text


def test_document_without_kind_and_duplicate_yaml_keys(tmp_path):
    write(tmp_path, "k.yaml", """
        name: x
        ---
        kind: fingerprint
        name: a
        name: b
        checks: [{table: t}]
    """)
    text = "\n".join(problems(tmp_path))
    assert "k.yaml:1: kind: missing required key 'kind'" in text
    assert "k.yaml:5: name: duplicate key (first at line 4)" in text


def test_cross_references(tmp_path):
    write(tmp_path, "fp.yaml", """
        kind: fingerprint
        name: startup
        checks:
          - table: products
          - table: products
    """)
    write(tmp_path, "units.yaml", """
        kind: migration
        id: U1
        scope: schema
        fixes: [products, product_name]
        depends_on: [U3]
        operations:
          - add_column: {table: products, name: c, type: text}
        ---
        kind: migration
        id: U2
        scope: schema
        depends_on: [U3, U9]
        operations:
          - drop_column: {table: products, name: c}
        ---
        kind: migration
        id: U3
        scope: schema
        depends_on: [U2]
        operations:
          - sql:
              dialect: postgres
              statements: ["INSERT INTO products (id) VALUES (1)"]
        ---
        kind: migration
        id: U1
        scope: seed
        operations:
          - add_column: {table: products, name: d, type: text}
    """)
    write(tmp_path, "rbac.yaml", """
        kind: rbac
        name: core
        tables:
          roles: {table: roles, key: name}
          permissions: {table: permissions, key: key}
          grants: {table: role_permissions, role: role_id, permission: permission_id}
        permissions:
          - {key: reports.view}
          - {key: reports.view}
        roles:
          - {name: analyst, grants: ["reports.*", "dashboards.*", "report.view", "*"]}
    """)
    write(tmp_path, "inv.yaml", """
        kind: invariants
        checks:
          - name: n
            sql: DELETE FROM roles
            expect: 0
          - name: n
            row_count: {table: roles}
          - name: two
            sql: SELECT 1; SELECT 2
            expect: 1
    """)
    text = "\n".join(problems(tmp_path))
    assert "fp.yaml:5: checks[1]: duplicate check name 'products'" in text
    assert "units.yaml:4: fixes[1]: names no canary: 'product_name'" in text
    assert "units.yaml:5: depends_on[0]" not in text  # U3 exists
    assert "units.yaml:12: depends_on[1]: names no unit: 'U9'" in text
    assert "dependency cycle: U2 -> U3 -> U2" in text or "dependency cycle: U3 -> U2 -> U3" in text
    assert "units.yaml:23: operations[0].sql.statements[0]: unit mixes schema and seed work: INSERT in a schema-scope unit" in text
    assert "units.yaml:26: id: duplicate unit id 'U1'" in text
    assert "units.yaml:29: operations[0].add_column: unit mixes schema and seed work: add_column in a seed-scope unit" in text
    assert "rbac.yaml:9: permissions[1].key: duplicate permission 'reports.view'" in text
    assert "rbac.yaml:11: roles[0].grants[1]: grant 'dashboards.*' names no declared permission" in text
    assert "rbac.yaml:11: roles[0].grants[2]: grant 'report.view' names no declared permission (did you mean 'reports.view'?)" in text
    assert "grants[0]" not in text and "grants[3]" not in text  # globs matching a permission are fine
    assert "inv.yaml:4: checks[0].sql: must be exactly one SELECT statement, found DELETE" in text
    assert "inv.yaml:6: checks[1].name: duplicate invariant name 'n'" in text
    assert "inv.yaml:6: checks[1]: row_count needs min, max or equals" in text
    assert "inv.yaml:9: checks[2].sql: must be exactly one SELECT statement, found 2 statements" in text


def test_raw_sql_that_does_not_parse(tmp_path):
    write(tmp_path, "u.yaml", """
        kind: migration
        id: U1
        scope: schema
        operations:
          - sql:
              dialect: postgres
              statements:
                - ALTER TABLE products ADD COLUMN (
    """)
    assert any("u.yaml:8: operations[0].sql.statements[0]: SQL does not parse as postgres" in p for p in problems(tmp_path))


def test_yaml_scalars_follow_yaml_1_2(tmp_path):
    write(tmp_path, "fp.yaml", """
        kind: fingerprint
        name: startup
        checks:
          - index: products_idx
            on: products
    """)
    write(tmp_path, "env.yaml", """
        kind: environments
        environments:
          - name: production
            database_url_env: DATABASE_URL
            windows:
              - {days: [tue], start: "22:00", end: "23:30"}
    """)
    specs = engine.load_specs(tmp_path)
    assert specs.canaries[0].ref.table == "products"
    assert specs.environments[0].windows[0].start == "22:00"


def test_missing_specs_path(tmp_path):
    text = "\n".join(problems(tmp_path / "nope"))
    assert "no such file or folder" in text


def test_check_names_are_unique_across_fingerprints(tmp_path):
    write(tmp_path, "a.yaml", "kind: fingerprint\nname: a\nchecks:\n  - table: products\n")
    write(tmp_path, "b.yaml", "kind: fingerprint\nname: b\nchecks:\n  - table: products\n")
    assert any("b.yaml:4: checks[0]: duplicate check name 'products'" in p for p in problems(tmp_path))


def test_keys_that_belong_to_another_check_kind(tmp_path):
    write(tmp_path, "a.yaml", """
        kind: fingerprint
        name: a
        checks:
          - table: products
            type: text
    """)
    assert any("a.yaml:4: checks[0]: 'type' applies only together with 'column'" in p for p in problems(tmp_path))


def test_integers_are_decimal_as_in_yaml_1_2(tmp_path):
    write(tmp_path, "s.yaml", """
        kind: seed
        name: s
        table: settings
        key: key
        rows:
          - {key: a, value: 010}
    """)
    assert engine.load_specs(tmp_path).seeds[0].rows[0]["value"] == 10


def test_migration_rules_beyond_the_schema(tmp_path):
    write(tmp_path, "u.yaml", """
        kind: migration
        id: U1
        scope: schema
        operations:
          - add_constraint: {name: fk, table: t, type: foreign_key, columns: [a]}
          - alter_column: {table: t, name: a}
          - create_index: {name: i, table: t, columns: [a], concurrently: true}
          - sql:
              dialect: postgres
              statements:
                - UPDATE t SET a = 1 WHERE a IS NULL
                - CREATE TABLE IF NOT EXISTS x (a int)
          - add_column: {table: 'a."b', name: c, type: text}
    """)
    text = "\n".join(problems(tmp_path))
    assert "u.yaml:5: operations[0].add_constraint: a foreign_key constraint needs 'references'" in text
    assert "u.yaml:6: operations[1].alter_column: changes nothing" in text
    assert "u.yaml:7: operations[2].create_index.concurrently: CONCURRENTLY cannot run inside a transaction" in text
    assert "u.yaml:11: operations[3].sql.statements[0]: not idempotent and no guard" in text
    assert "statements[1]" not in text  # IF NOT EXISTS guards itself
    assert "u.yaml:13: operations[4].add_column.table: malformed identifier" in text


def test_repeated_item_shapes_still_report_each_bad_item(tmp_path):
    checks = "".join(f"  - table: t{i}\n  - column: t{i}.c\n    type: text\n" for i in range(50))
    write(tmp_path, "fp.yaml", "kind: fingerprint\nname: big\nchecks:\n" + checks + "  - table: ''\n  - column: t1.c\n    type: txt\n  - table: t9\n    extra: 1\n")
    found = problems(tmp_path)
    text = "\n".join(found)
    assert "checks[100].table: '' should be non-empty" in text
    assert "checks[101].type: 'txt' is not a valid portable type" in text
    assert "checks[102].extra: unknown key 'extra'" in text
    assert len(found) == 3


def test_expressions_and_time_zones_are_checked(tmp_path):
    write(tmp_path, "u.yaml", """
        kind: migration
        id: U1
        scope: schema
        operations:
          - add_constraint: {name: c, table: t, type: check, check: "price >"}
          - create_index: {name: i, table: t, columns: [a], where: "a > 0"}
        ---
        kind: environments
        environments:
          - name: prod
            database_url_env: DB
            windows: [{days: [mon], start: "01:00", end: "02:00", timezone: Mars/Olympus}]
    """)
    text = "\n".join(problems(tmp_path))
    assert "u.yaml:5: operations[0].add_constraint.check: does not parse as postgres" in text
    assert "where" not in text
    assert "unknown time zone 'Mars/Olympus'" in text


def test_seed_row_keys_are_present_non_null_and_unique(tmp_path):
    write(tmp_path, "s.yaml", """
        kind: seed
        name: s
        table: settings
        key: [key]
        rows:
          - {key: a, value: 1}
          - {value: 2}
          - {key: null, value: 3}
          - {key: a, value: 4}
    """)
    text = "\n".join(problems(tmp_path))
    assert "s.yaml:7: rows[1]: row lacks key column key" in text
    assert "s.yaml:8: rows[2].key: key column key is null: a row's key needs a value" in text
    assert "s.yaml:9: rows[3]: duplicate row key 'a' (first at line 6)" in text


def test_unit_ids_may_not_take_the_ledger_keys_of_seed_and_rbac_specs(tmp_path):
    write(tmp_path, "u.yaml", """
        kind: migration
        id: "seed:defaults"
        scope: seed
        operations: [{sql: {dialect: postgres, statements: ["UPDATE t SET a = 1 WHERE a IS NULL"]}}]
    """)
    text = "\\n".join(problems(tmp_path))
    assert "u.yaml:2: id: 'seed:defaults' is not a valid unit id (letters, digits, . _ -)" in text  # no clash in the ledger


def test_raw_sql_may_not_control_the_transaction(tmp_path):
    write(tmp_path, "u.yaml", """
        kind: migration
        id: T1
        scope: schema
        operations:
          - sql:
              dialect: sqlite
              statements: ["CREATE TABLE IF NOT EXISTS a (x int)", "COMMIT", "savepoint s"]
    """)
    text = "\n".join(problems(tmp_path))
    assert "u.yaml:7: operations[0].sql.statements[1]: transaction control in a unit" in text
    assert "operations[0].sql.statements[2]: transaction control in a unit" in text


def test_grant_patterns_expand_literals_and_globs_as_fnmatch_does():
    import fnmatch

    from engine.spec.model import GrantPatterns

    keys = ["a.view", "a.edit", "b.view", "c[1]", "x?y"]
    patterns = GrantPatterns(keys)
    for pattern in ("a.view", "a.*", "*.view", "*", "c[1]", "c[[]1]", "x?y", "?.view", "nope", "b.vie"):
        assert patterns.expand(pattern) == tuple(k for k in keys if fnmatch.fnmatchcase(k, pattern))
    assert patterns.expand("c[[]1]") == ("c[1]",) and patterns.expand("c[1]") == ()  # brackets are globs, as fnmatch reads them


def test_wanted_grants_are_each_pair_once_in_declaration_order(tmp_path):
    write(tmp_path, "r.yaml", """
        kind: rbac
        name: r
        tables:
          roles: {table: roles, key: name}
          permissions: {table: permissions, key: key}
          grants: {table: rp, role: role_id, permission: permission_id}
        permissions: [{key: a.view}, {key: a.edit}, {key: b.view}]
        roles:
          - {name: one, grants: [b.view, "a.*", a.view]}
          - {name: two, grants: ["*.view"]}
        """)
    rbac = engine.load_specs(tmp_path).rbac[0]
    assert rbac.wanted_grants() == [("one", "b.view"), ("one", "a.view"), ("one", "a.edit"), ("two", "a.view"), ("two", "b.view")]


@pytest.mark.parametrize("query, found", [
    ("SELECT count(*) FROM t FOR UPDATE", "must be a read-only SELECT, found LOCK inside"),
    ("SELECT * INTO copy FROM t", "must be a read-only SELECT, found INTO inside"),
    ("WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone", "must be a read-only SELECT, found DELETE inside"),
    ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "calls pg_terminate_backend, which acts outside the query"),
    ("SELECT count(*) FROM t WHERE pg_sleep(30) IS NOT NULL", "calls pg_sleep, which acts outside the query"),
    ("SELECT pg_read_file('/etc/passwd') IS NOT NULL", "calls pg_read_file, which acts outside the query"),
])
def test_an_invariant_query_is_one_select_that_only_reads(tmp_path, query, found):
    """A read-only transaction stops writes to tables, not every server function: those known to act
    outside the query (end sessions, sleep, read server files, take locks) are refused at validate."""
    write(tmp_path, "inv.yaml", f"""
        kind: invariants
        checks:
          - name: q
            sql: "{query}"
            expect: 0
    """)
    assert problems(tmp_path) == [f"{tmp_path / 'inv.yaml'}:4: checks[0].sql: {found}" if "must" in found
                                  else f"{tmp_path / 'inv.yaml'}:4: checks[0].sql: must be a read-only SELECT, {found}"]
