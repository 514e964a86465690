"""The JSON Schemas in schemas/: well-formed, closed, and agreeing with CONTRACT.md.

Fast and database-free: only jsonschema and PyYAML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
KINDS = ["fingerprint", "migration", "rbac", "seed", "invariants", "environments"]


class _Yaml12BoolLoader(yaml.SafeLoader):
    """SafeLoader where only true/false are booleans (YAML 1.2), so the key `on:` stays the string "on"."""


_Yaml12BoolLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Yaml12BoolLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), [_first])


def load_yaml(text: str):
    return yaml.load(text, Loader=_Yaml12BoolLoader)  # noqa: S506 - a SafeLoader subclass


def load_schema(kind: str) -> dict:
    return json.loads((SCHEMAS_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(doc: dict) -> list:
    return list(validator(doc["kind"]).iter_errors(doc))


# --- the schemas themselves ---------------------------------------------------

def test_one_schema_file_per_kind():
    assert sorted(p.name for p in SCHEMAS_DIR.glob("*.schema.json")) == sorted(f"{k}.schema.json" for k in KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_draft_2020_12(kind):
    schema = load_schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://recon.dev/schemas/{kind}.schema.json"
    assert schema.get("title")
    assert schema["properties"]["kind"]["const"] == kind
    assert "kind" in schema["required"]


# Keywords whose value is a schema, a list of schemas, or a map of name -> schema.
_SCHEMA_KEYS = {"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
                "unevaluatedItems", "unevaluatedProperties"}
_SCHEMA_LIST_KEYS = {"oneOf", "anyOf", "allOf", "prefixItems"}
_SCHEMA_MAP_KEYS = {"properties", "$defs", "patternProperties", "dependentSchemas"}


def walk(schema, path="#"):
    """Yield (json-pointer-ish path, subschema) for every subschema, recursively."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for key, value in schema.items():
        if key in _SCHEMA_KEYS:
            yield from walk(value, f"{path}/{key}")
        elif key in _SCHEMA_LIST_KEYS:
            for i, sub in enumerate(value):
                yield from walk(sub, f"{path}/{key}/{i}")
        elif key in _SCHEMA_MAP_KEYS:
            for name, sub in value.items():
                yield from walk(sub, f"{path}/{key}/{name}")


# Free-form objects: seed row columns and the invariant row_count filter.
OPEN_OBJECTS = {
    ("seed", "#/properties/rows/items"),
    ("invariants", "#/$defs/check/properties/row_count/properties/where"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_object_schema_is_closed(kind):
    schema = load_schema(kind)
    objects = 0
    for path, sub in walk(schema):
        if sub.get("type") != "object":
            continue
        objects += 1
        if (kind, path) in OPEN_OBJECTS:
            assert sub["additionalProperties"] == {"type": ["string", "number", "boolean", "null"]}, path
            continue
        assert "properties" in sub, f"{kind} {path}: object without properties"
        assert sub.get("additionalProperties") is False, f"{kind} {path}: additionalProperties must be false"
    assert objects >= 2


@pytest.mark.parametrize("kind", KINDS)
def test_no_cross_file_refs_and_all_properties_described(kind):
    schema = load_schema(kind)
    for path, sub in walk(schema):
        ref = sub.get("$ref")
        if ref is not None:
            assert ref.startswith("#/$defs/"), f"{kind} {path}: {ref}"
            assert ref.split("/")[-1] in schema["$defs"], f"{kind} {path}: dangling {ref}"
        for name, prop in sub.get("properties", {}).items():
            assert prop.get("description"), f"{kind} {path}/properties/{name}: no description"


@pytest.mark.parametrize("kind", KINDS)
def test_no_oneof_anyof_between_object_shapes(kind):
    """oneOf is only ever a list of bare {"required": [...]} subschemas; anyOf is not used."""
    for path, sub in walk(load_schema(kind)):
        assert "anyOf" not in sub, path
        for alt in sub.get("oneOf", []):
            assert set(alt) == {"required"}, f"{kind} {path}: {alt}"


# --- the contract's examples ----------------------------------------------------

CONTRACT_EXAMPLES = {
    "fingerprint": """
kind: fingerprint
name: startup
checks:
  - name: products.nameCanonical      # optional; defaults to the object it checks
    column: products.nameCanonical    # exact, case-sensitive identifiers ([schema.]table.column)
    type: text                        # optional: compared by type family
    nullable: true                    # optional
  - table: products
  - index: products_name_canonical_idx
    on: products
  - constraint: role_permissions_pkey
    on: role_permissions
""",
    "migration": """
kind: migration
id: TER-173-products-name-canonical   # unique; the ledger key
ticket: TER-173
scope: schema                          # schema | seed, never both in one unit
description: Add products.nameCanonical and index it
fixes: [products.nameCanonical]        # canaries this unit makes pass
depends_on: []                         # other unit ids
transactional: true                    # false for e.g. CREATE INDEX CONCURRENTLY
rollback:
  notes: Column is additive; drop only if no writer has shipped.   # required for production
  operations:
    - drop_column: {table: products, name: nameCanonical}
operations:
  - add_column: {table: products, name: nameCanonical, type: text, nullable: true}
  - create_index: {name: products_name_canonical_idx, table: products, columns: [nameCanonical]}
  - sql:                               # raw SQL: parsed in its dialect, transpiled to the target
      dialect: postgres
      statements:
        - UPDATE products SET "nameCanonical" = product_name WHERE "nameCanonical" IS NULL
      guard: {column_exists: products.product_name}
""",
    "rbac": """
kind: rbac
name: core
tables:
  roles:       {table: roles, key: name}
  permissions: {table: permissions, key: key}
  grants:      {table: role_permissions, role: role_id, permission: permission_id}
permissions:
  - {key: dashboard.view, description: View dashboards, critical: true}
  - {key: reports.export}
roles:
  - {name: admin, description: Everything, grants: ["*"]}
  - {name: analyst, grants: [dashboard.view, "reports.*"]}
prune: false        # true: revoke/delete what is not declared (destructive, gated)
""",
    "seed": """
kind: seed
name: default-settings
table: settings
key: [key]
rows:
  - {key: theme, value: light}
on_conflict: keep   # keep: insert missing rows only; update: also correct declared columns
prune: false
""",
    "invariants": """
kind: invariants
checks:
  - name: required-roles
    row_count: {table: roles}
    min: 5
  - name: dashboard-permissions
    rows_exist: {table: permissions, column: key, values: [dashboard.view]}
  - name: no-orphan-grants
    sql: SELECT count(*) FROM role_permissions rp LEFT JOIN roles r ON r.id = rp.role_id WHERE r.id IS NULL
    expect: 0
""",
    "environments": """
kind: environments
environments:
  - name: staging
    database_url_env: STAGING_DATABASE_URL
  - name: production
    database_url_env: DATABASE_URL
    mode: detect-only              # apply refused while set
    promote_from: staging          # a unit must be applied there first
    require_rollback_notes: true
    windows:
      - {days: [tue, thu], start: "22:00", end: "23:30", timezone: UTC}
""",
}


def example(kind: str) -> dict:
    return load_yaml(CONTRACT_EXAMPLES[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_contract_example_is_valid(kind):
    assert errors(example(kind)) == []


# Fuller documents using the keys beyond the contract examples.
FULL_EXAMPLES = [
    """
kind: fingerprint
name: full
description: Everything a check can say
checks:
  - {column: public.products.price, type: "numeric(10, 2)", nullable: false, description: priced}
  - {index: products_sku_key, on: public.products, columns: [sku], unique: true}
  - {constraint: role_permissions_role_fk, on: role_permissions, constraint_type: foreign_key,
     columns: [role_id], references: roles}
  - {column: products.code, type: "varchar(32)"}
""",
    """
kind: migration
id: TER-200.create_things
ticket: TER-200
scope: schema
transactional: false
lock_timeout: 5s
statement_timeout: 1min
allow: [RC001, RC104]
rollback:
  notes: drop it
  operations:
    - drop_table: {table: things, cascade: true}
operations:
  - create_table:
      table: things
      columns:
        - {name: id, type: bigint, primary_key: true}
        - {name: owner_id, type: integer, nullable: false, references: {table: owners, column: id, on_delete: cascade}}
        - {name: code, type: "char(3)", unique: true, default: "abc"}
        - {name: ratio, type: numeric, default: 0.5}
        - {name: active, type: boolean, default: true}
        - {name: note, type: text, default: null}
      primary_key: [id]
  - add_column: {table: things, name: extra, type: json, references: {table: extras, column: id}}
  - alter_column: {table: things, name: extra, drop_default: true}
  - alter_column: {table: things, name: note, type: "varchar(200)", nullable: true, default: x}
  - rename_column: {table: things, name: note, new_name: notes}
  - create_index: {name: things_code_idx, table: things, columns: [code, owner_id], unique: true,
                   concurrently: true, where: "active"}
  - add_constraint: {name: things_owner_fk, table: things, type: foreign_key, columns: [owner_id],
                     references: {table: owners, columns: [id], on_delete: set_null}}
  - add_constraint: {name: things_ratio_ck, table: things, type: check, check: "ratio >= 0"}
  - drop_column: {table: things, name: extra}
  - drop_index: {name: old_idx, table: things, concurrently: false}
  - drop_constraint: {name: old_ck, table: things}
  - sql:
      dialect: mysql
      statements: ["DELETE FROM things WHERE code = 'x'"]
      guard: {sql: "SELECT COUNT(*) > 0 FROM things"}
      destructive: true
  - sql:
      dialect: sqlite
      statements: ["UPDATE things SET active = 1"]
      guard: {index_missing: things.things_code_idx}
""",
    """
kind: rbac
name: full
description: all keys
tables:
  roles: {table: auth.roles, key: name, description: description}
  permissions: {table: auth.permissions, key: key, description: label}
  grants: {table: auth.role_permissions, role: role_id, permission: permission_id}
prune: true
""",
    """
kind: seed
name: single-key
description: a scalar key
table: public.settings
key: name
rows:
  - {name: a, value: 1, enabled: true, note: null, ratio: 1.5}
on_conflict: update
prune: true
""",
    """
kind: invariants
name: full
description: all keys
checks:
  - {name: a, row_count: {table: roles, where: {active: true, kind: admin, level: 3, gone: null}}, min: 1, max: 9}
  - {name: b, row_count: {table: roles}, equals: 0, description: none}
  - {name: c, sql: "SELECT 1 = 1", expect: true, dialect: sqlite}
""",
    """
kind: environments
description: all keys
environments:
  - name: prod
    description: production
    database_url_env: _PROD_URL
    mode: apply
    ledger_table: ops.recon_ledger
    lock_timeout: 500ms
    windows:
      - {days: [sat], start: "23:00", end: "01:00"}
""",
]


@pytest.mark.parametrize("text", FULL_EXAMPLES, ids=lambda t: load_yaml(t)["kind"])
def test_full_example_is_valid(text):
    assert errors(load_yaml(text)) == []


# --- invalid documents ------------------------------------------------------------

def _with(kind, mutate):
    doc = example(kind)
    mutate(doc)
    return doc


# name -> (document, the JSON Schema keyword that must reject it)
INVALID = {
    "unknown top-level key": (_with("seed", lambda d: d.update(colour="blue")), "additionalProperties"),
    "unknown key in operation": (
        _with("migration", lambda d: d["operations"][0]["add_column"].update(after="id")), "additionalProperties"),
    "operation with two keys": (_with("migration", lambda d: d["operations"][0].update(
        drop_column={"table": "products", "name": "x"})), "maxProperties"),
    "empty operation": (_with("migration", lambda d: d["operations"].append({})), "minProperties"),
    "unknown operation": (
        _with("migration", lambda d: d["operations"].append({"truncate": {"table": "x"}})), "additionalProperties"),
    "guard with two keys": (_with("migration", lambda d: d["operations"][2]["sql"]["guard"].update(
        table_exists="products")), "maxProperties"),
    # an alter_column that changes nothing is refused by cross-reference validation (tests/test_validate.py)
    "fingerprint check with table and column": (_with("fingerprint", lambda d: d["checks"].append(
        {"table": "products", "column": "products.id"})), "oneOf"),
    "fingerprint check with no target": (_with("fingerprint", lambda d: d["checks"].append({"name": "x"})), "oneOf"),
    "fingerprint type on a table check": (
        _with("fingerprint", lambda d: d["checks"][1].update(type="text")), "dependentRequired"),
    "bad portable type": (
        _with("migration", lambda d: d["operations"][0]["add_column"].update(type="varchr(3)")), "pattern"),
    "bad portable type in fingerprint": (_with("fingerprint", lambda d: d["checks"][0].update(type="varchr(3)")), "pattern"),
    "window start 25:00": (
        _with("environments", lambda d: d["environments"][1]["windows"][0].update(start="25:00")), "pattern"),
    "window unknown day": (
        _with("environments", lambda d: d["environments"][1]["windows"][0].update(days=["tuesday"])), "enum"),
    "bad env var name": (_with("environments", lambda d: d["environments"][0].update(database_url_env="1URL")), "pattern"),
    "migration scope both": (_with("migration", lambda d: d.update(scope="both")), "enum"),
    "migration bad id": (_with("migration", lambda d: d.update(id="-bad id")), "pattern"),
    "migration bad duration": (_with("migration", lambda d: d.update(lock_timeout="5 seconds")), "pattern"),
    "migration bad allow code": (_with("migration", lambda d: d.update(allow=["drop"])), "pattern"),
    "sql dialect unknown": (_with("migration", lambda d: d["operations"][2]["sql"].update(dialect="oracle")), "enum"),
    "rbac missing grants table": (_with("rbac", lambda d: d["tables"].pop("grants")), "required"),
    "seed row with nested value": (
        _with("seed", lambda d: d["rows"].append({"key": "x", "value": {"a": 1}})), "type"),
    "seed empty key list": (_with("seed", lambda d: d.update(key=[])), "minItems"),
    "invariant sql without expect": (_with("invariants", lambda d: d["checks"][2].pop("expect")), "dependentRequired"),
    "invariant with two kinds": (
        _with("invariants", lambda d: d["checks"][0].update(sql="SELECT 1", expect=1)), "oneOf"),
    "invariant negative min": (_with("invariants", lambda d: d["checks"][0].update(min=-1)), "minimum"),
    "missing required name": (_with("fingerprint", lambda d: d.pop("name")), "required"),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_document_fails(name):
    doc, keyword = INVALID[name]
    found = errors(doc)
    assert found, f"{name}: expected validation errors"
    assert [e.validator for e in found] == [keyword], [e.message for e in found]


def test_plain_safe_load_turns_on_key_into_true():
    """Why load_yaml exists: YAML 1.1 reads the key `on` as boolean True, which the schema rejects."""
    doc = yaml.safe_load(CONTRACT_EXAMPLES["fingerprint"])
    assert True in doc["checks"][2]
    assert errors(doc)


def test_wrong_kind_const_is_rejected():
    doc = example("rbac")
    doc["kind"] = "seed"
    assert list(validator("rbac").iter_errors(doc))


# --- the combined schema (recon init writes it as .schemas/recon.schema.json) -----

KINDS_SORTED = sorted(KINDS)


def combined_validator() -> Draft202012Validator:
    from engine.spec.combined import combined_schema

    return Draft202012Validator(combined_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def shipped_documents() -> list[tuple[str, dict]]:
    """Every document of the example specs/ and of recon init's templates."""
    from engine.spec.scaffold import TEMPLATES

    root = SCHEMAS_DIR.parent
    files = sorted((root / "specs").rglob("*.yaml")) + sorted(TEMPLATES.rglob("*.yaml"))
    return [(f"{path.relative_to(root)}#{i}", doc) for path in files
            for i, doc in enumerate(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Yaml12BoolLoader)) if doc]


def test_combined_schema_is_draft_2020_12_and_dispatches_on_every_kind():
    from engine.spec.combined import combined_schema

    schema = combined_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["kind"]["enum"] == KINDS_SORTED
    assert [branch["if"]["properties"]["kind"]["const"] for branch in schema["allOf"]] == KINDS_SORTED
    assert not (SCHEMAS_DIR / "recon.schema.json").exists()  # schemas/*.schema.json lists the kinds only
    refs = [sub["$ref"] for _, sub in walk(schema) if "$ref" in sub]
    assert refs and all(r.startswith("#/$defs/") for r in refs)


@pytest.mark.parametrize("name,doc", shipped_documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_combined_schema_accepts_every_shipped_spec(name, doc):
    assert [e.message for e in combined_validator().iter_errors(doc)] == []


@pytest.mark.parametrize("text", list(CONTRACT_EXAMPLES.values()) + FULL_EXAMPLES, ids=lambda t: load_yaml(t)["kind"])
def test_combined_schema_accepts_the_examples(text):
    assert list(combined_validator().iter_errors(load_yaml(text))) == []


@pytest.mark.parametrize("name", list(INVALID))
def test_combined_schema_rejects_what_the_kind_schema_rejects(name):
    doc, keyword = INVALID[name]
    assert [e.validator for e in combined_validator().iter_errors(doc)] == [keyword]


def test_combined_schema_rejects_an_unknown_or_missing_kind():
    assert [e.validator for e in combined_validator().iter_errors({"kind": "fingerprnt", "name": "x"})] == ["enum"]
    assert [e.validator for e in combined_validator().iter_errors({"name": "x"})] == ["required"]
    doc = example("rbac")
    doc["kind"] = "seed"  # the rbac keys against the seed schema
    assert list(combined_validator().iter_errors(doc))


# --- docs/specs.md's key tables, generated from the schemas ---------------------------

SPECS_MD = SCHEMAS_DIR.parent / "docs" / "specs.md"


def test_specs_md_reference_tables_are_up_to_date():
    """Regenerate the tables between the markers and compare: run `python -m engine.spec.reference` when this fails."""
    from engine.spec.reference import TABLES, render

    text = SPECS_MD.read_text(encoding="utf-8")
    for name in TABLES:
        assert text.count(f"<!-- generated:{name} -->") == 1, f"docs/specs.md lacks the generated table {name}"
    assert render(text) == text, "docs/specs.md: reference tables are out of date: run python -m engine.spec.reference"


def test_reference_table_lists_every_key_with_its_description():
    from engine.spec.reference import table

    seed = table("seed")
    for key, prop in load_schema("seed")["properties"].items():
        assert f"| `{key}` |" in seed and prop["description"] in seed
    assert "| `environments[].windows[].start` | time of day (HH:MM, quoted) | required |" in table("environments")
    assert "| `type` | portable type | none |" in table("fingerprint-check")


def test_reference_check_fails_on_a_stale_document(tmp_path, capsys):
    from engine.spec.reference import main

    stale = tmp_path / "specs.md"
    stale.write_text("intro\n<!-- generated:seed -->\n| old |\n<!-- /generated:seed -->\nmore prose\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main([str(stale)]) == 0
    fresh = stale.read_text(encoding="utf-8")
    assert fresh.startswith("intro\n<!-- generated:seed -->\n| key |") and fresh.endswith("<!-- /generated:seed -->\nmore prose\n")
    assert main(["--check", str(stale)]) == 0
    stale.write_text("<!-- generated:nope -->\n<!-- /generated:nope -->\n", encoding="utf-8")
    with pytest.raises(KeyError, match="unknown generated table 'nope'"):
        main(["--check", str(stale)])
