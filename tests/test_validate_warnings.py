"""recon validate warnings: incomplete rollbacks and names longer than a dialect allows.

Warnings never make ``load_specs`` raise (they are on ``Specs.warnings``); ``recon validate``
prints them and exits 0, ``--strict`` makes them fail. The three-dialect tests show that what a
warning says is what the servers do: a rollback warned about leaves exactly the warned objects
after apply and rollback, and the identifier limits are the servers' own.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import RECON_VARIABLES, dialect_sql

import engine
from engine import changes as ch
from engine.changes import identifiers
from engine.errors import SpecError
from engine.spec.model import Operation, Source

ROOT = Path(__file__).resolve().parent.parent


def unit(folder: Path, text: str, name: str = "unit") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def warned(folder: Path) -> list[str]:
    """The warnings of valid specs, as ``file:line: path: message`` with the folder left out."""
    specs = engine.load_specs(folder)
    assert all(w.severity == "warning" for w in specs.warnings)
    return [str(w).replace(str(folder) + os.sep, "") for w in specs.warnings]


# -- rollback completeness -----------------------------------------------------------------


def test_a_rollback_that_leaves_what_the_operations_make_is_warned_object_by_object(tmp_path):
    unit(tmp_path, """
        kind: migration
        id: U1
        scope: schema
        rollback:
          operations:
            - drop_index: {name: items_note_idx, table: items}
        operations:
          - add_column: {table: items, name: note, type: text}
          - create_index: {name: items_note_idx, table: items, columns: [note]}
          - create_table:
              table: tags
              columns:
                - {name: id, type: integer, primary_key: true}
          - create_index: {name: items_name_idx, table: items, columns: [name]}
          - add_constraint: {name: items_code_key, table: items, type: unique, columns: [code]}
          - rename_column: {table: items, name: a, new_name: b}
          - alter_column: {table: items, name: qty, nullable: false}
    """)
    assert warned(tmp_path) == [
        ("unit.yaml:8: operations[0].add_column: rollback leaves column items.note, which this operation adds: "
         "add `drop_column: {table: items, name: note}` to rollback.operations"),
        ("unit.yaml:10: operations[2].create_table: rollback leaves table tags, which this operation creates: "
         "add `drop_table: {table: tags}` to rollback.operations"),
        ("unit.yaml:14: operations[3].create_index: rollback leaves index items_name_idx, which this operation creates: "
         "add `drop_index: {name: items_name_idx, table: items}` to rollback.operations"),
        ("unit.yaml:15: operations[4].add_constraint: rollback leaves constraint items_code_key, which this operation adds: "
         "add `drop_constraint: {name: items_code_key, table: items}` to rollback.operations"),
        ("unit.yaml:16: operations[5].rename_column: rollback does not rename items.b back to a: "
         "add `rename_column: {table: items, name: b, new_name: a}` to rollback.operations"),
        ("unit.yaml:17: operations[6].alter_column: rollback does not change column items.qty back: "
         "add an `alter_column` of it to rollback.operations"),
    ]


def test_a_rollback_that_recreates_none_of_what_the_operations_drop_is_warned(tmp_path):
    unit(tmp_path, """
        kind: migration
        id: D1
        scope: schema
        allow: [RC101, RC102, RC104]
        rollback:
          operations:
            - add_column: {table: items, name: kept, type: text}
        operations:
          - drop_table: {table: legacy}
          - drop_column: {table: items, name: old}
          - drop_index: {name: items_old_idx, table: items}
          - drop_constraint: {name: items_old_key, table: items}
          - drop_column: {table: items, name: kept}
    """)
    assert warned(tmp_path) == [
        ("unit.yaml:9: operations[0].drop_table: rollback recreates no table legacy, which this operation drops: "
         "add a `create_table` of it to rollback.operations"),
        ("unit.yaml:10: operations[1].drop_column: rollback recreates no column items.old, which this operation drops: "
         "add an `add_column` of it to rollback.operations"),
        ("unit.yaml:11: operations[2].drop_index: rollback recreates no index items_old_idx, which this operation drops: "
         "add a `create_index` of it to rollback.operations"),
        ("unit.yaml:12: operations[3].drop_constraint: rollback recreates no constraint items_old_key, which this operation drops: "
         "add an `add_constraint` of it to rollback.operations"),
    ]


def test_a_complete_rollback_gives_no_warning(tmp_path):
    unit(tmp_path, """
        kind: migration
        id: C1
        scope: schema
        allow: [RC101, RC102, RC103, RC104]
        rollback:
          operations:
            - drop_table: {table: tags}                      # covers its index and the column added to it
            - drop_column: {table: items, name: note}        # covers the unique key add_column made and both indexes on it
            - drop_column: {table: items, name: extra}
            - rename_column: {table: items, name: b, new_name: a}
            - alter_column: {table: items, name: qty, nullable: true}
            - drop_constraint: {name: items_qty_check, table: items}
            - create_table: {table: legacy, columns: [{name: id, type: integer, primary_key: true}, {name: code, type: text, unique: true}]}
            - add_column: {table: items, name: old, type: text}
            - create_index: {name: items_old_idx, table: items, columns: [old]}
            - add_constraint: {name: items_old_key, table: items, type: unique, columns: [old]}
        operations:
          - create_table:
              table: tags
              columns:
                - {name: id, type: integer, primary_key: true}
          - add_column: {table: tags, name: label, type: text}
          - create_index: {name: tags_label_idx, table: tags, columns: [label]}
          - add_column: {table: items, name: note, type: text, unique: true}
          - add_column: {table: items, name: extra, type: text}
          - create_index: {name: items_note_idx, table: items, columns: [note]}
          - create_index: {name: items_note_extra_idx, table: items, columns: [note, extra]}
          - rename_column: {table: items, name: a, new_name: b}
          - alter_column: {table: items, name: qty, nullable: false}
          - add_constraint: {name: items_qty_check, table: items, type: check, check: "qty > 0"}
          - drop_constraint: {name: legacy_code_key, table: legacy}
          - drop_table: {table: legacy}
          - drop_index: {name: items_old_idx, table: items}
          - drop_constraint: {name: items_old_key, table: items}
          - drop_column: {table: items, name: old}
    """)
    assert warned(tmp_path) == []


def test_the_example_specs_have_complete_rollbacks():
    from engine.spec.resources import example_specs_dir

    assert engine.load_specs(ROOT / "specs").warnings == ()
    assert engine.load_specs(example_specs_dir()).warnings == ()  # what `recon demo` ships


def test_dropping_one_column_of_a_multi_column_index_does_not_cover_it(tmp_path):
    # MySQL/MariaDB keep the index on the remaining column; only dropping every column covers it.
    unit(tmp_path, """
        kind: migration
        id: M1
        scope: schema
        rollback:
          operations:
            - drop_column: {table: items, name: note}
        operations:
          - add_column: {table: items, name: note, type: text}
          - create_index: {name: items_name_note_idx, table: items, columns: [name, note]}
          - add_constraint: {name: items_note_check, table: items, type: check, check: "note <> ''"}
    """)
    assert warned(tmp_path) == [
        ("unit.yaml:9: operations[1].create_index: rollback leaves index items_name_note_idx, which this operation creates: "
         "add `drop_index: {name: items_name_note_idx, table: items}` to rollback.operations"),
    ]  # the check reads only the dropped column: it goes with it


def test_a_column_renamed_after_it_is_added_is_dropped_under_its_last_name(tmp_path):
    unit(tmp_path, """
        kind: migration
        id: R1
        scope: schema
        rollback:
          operations:
            - drop_column: {table: items, name: note}
        operations:
          - add_column: {table: items, name: draft, type: text}
          - rename_column: {table: items, name: draft, new_name: note}
    """)
    assert warned(tmp_path) == []
    unit(tmp_path, """
        kind: migration
        id: R1
        scope: schema
        rollback:
          operations:
            - drop_column: {table: items, name: draft}
        operations:
          - add_column: {table: items, name: draft, type: text}
          - rename_column: {table: items, name: draft, new_name: note}
    """)
    assert [w.split(": ", 2)[2] for w in warned(tmp_path)] == [
        "rollback leaves column items.note, which this operation adds: add `drop_column: {table: items, name: note}` to rollback.operations"]


@pytest.mark.parametrize("undo", [
    "[{rename_column: {table: items, name: b, new_name: a}}, {alter_column: {table: items, name: a, nullable: true}}]",
    "[{alter_column: {table: items, name: b, nullable: true}}, {rename_column: {table: items, name: b, new_name: a}}]",
])
def test_a_renamed_and_altered_column_may_be_altered_back_under_either_name(tmp_path, undo):
    for forward in ("[{rename_column: {table: items, name: a, new_name: b}}, {alter_column: {table: items, name: b, nullable: false}}]",
                    "[{alter_column: {table: items, name: a, nullable: false}}, {rename_column: {table: items, name: a, new_name: b}}]"):
        unit(tmp_path, f"kind: migration\nid: A1\nscope: schema\nrollback: {{operations: {undo}}}\noperations: {forward}\n")
        assert warned(tmp_path) == []
    unit(tmp_path, "kind: migration\nid: A1\nscope: schema\nrollback: {operations: [{rename_column: {table: items, name: b, new_name: a}}]}\n"
         "operations: [{rename_column: {table: items, name: a, new_name: b}}, {alter_column: {table: items, name: b, nullable: false}}]\n")
    assert [w.split(": ", 2)[2] for w in warned(tmp_path)] == [
        "rollback does not change column items.b back: add an `alter_column` of it to rollback.operations"]


@pytest.mark.parametrize("rollback, expected", [
    ("", ["unit.yaml:1: rollback.operations"]),                                   # no rollback at all
    ("rollback: {notes: Additive column.}\n", ["unit.yaml:4: rollback.operations"]),  # notes, no operations
    ("rollback: {operations: []}\n", ["unit.yaml:4: rollback.operations"]),       # empty, no reason given
    ("rollback: {notes: Data is lost; restore from backup., operations: []}\n", []),  # declared irreversible
])
def test_a_unit_without_rollback_operations_gets_one_warning_unless_it_declares_why(tmp_path, rollback, expected):
    unit(tmp_path, "kind: migration\nid: N1\nscope: schema\n" + rollback +
         "operations:\n  - add_column: {table: items, name: note, type: text}\n  - create_table: {table: t, columns: [{name: id, type: integer}]}\n")
    found = warned(tmp_path)
    assert [w.rsplit(": no rollback", 1)[0] for w in found] == expected
    if expected:
        assert found[0].endswith(": no rollback operations: `recon rollback` cannot undo this unit (write rollback.operations, "
                                 "or declare `operations: []` with rollback.notes saying why it is not undone)")


def test_raw_sql_is_not_analysed(tmp_path):
    unit(tmp_path, """
        kind: migration
        id: S1
        scope: schema
        rollback:
          operations:
            - sql: {dialect: postgres, statements: ["DROP TABLE IF EXISTS tags"]}
        operations:
          - create_table: {table: tags, columns: [{name: id, type: integer}]}
          - sql: {dialect: postgres, statements: ["CREATE TABLE IF NOT EXISTS other (id integer)"]}
    """)
    assert warned(tmp_path) == []  # the rollback's sql may drop anything; the forward sql creates nothing recon can see
    unit(tmp_path, """
        kind: migration
        id: S2
        scope: seed
        rollback:
          operations:
            - sql: {dialect: postgres, statements: ["UPDATE items SET note = NULL"], guard: {column_exists: items.note}}
        operations:
          - sql: {dialect: postgres, statements: ["UPDATE items SET note = 'x'"], guard: {column_exists: items.note}}
    """, "seed-unit")
    assert warned(tmp_path) == []
    (tmp_path / "seed-unit.yaml").write_text(
        "kind: migration\nid: S2\nscope: seed\noperations:\n  - sql: {dialect: postgres, statements: [\"UPDATE items SET note = 'x'\"], guard: {column_exists: items.note}}\n")
    assert [w.split(": no rollback")[0] for w in warned(tmp_path)] == ["seed-unit.yaml:1: rollback.operations"]


def test_warnings_never_raise_and_errors_carry_no_warnings(tmp_path):
    unit(tmp_path, "kind: migration\nid: W1\nscope: schema\noperations:\n  - add_column: {table: items, name: note, type: text}\n")
    specs = engine.load_specs(tmp_path)
    assert [(w.severity, w.line, w.path) for w in specs.warnings] == [("warning", 1, "rollback.operations")]
    (tmp_path / "bad.yaml").write_text("kind: migration\nid: W2\nscope: schema\noperations:\n  - add_colum: {table: items}\n")
    with pytest.raises(SpecError) as info:
        engine.load_specs(tmp_path)
    assert [(d.severity, d.line) for d in info.value.diagnostics] == [("error", 5)]
    assert "rollback" not in str(info.value)


# -- the command line ----------------------------------------------------------------------

LEAKY = "kind: migration\nid: L1\nscope: schema\nrollback: {notes: fine}\noperations:\n  - add_column: {table: items, name: note, type: text}\n"


def test_validate_prints_warnings_exits_0_and_strict_fails(recon, tmp_path):
    unit(tmp_path, LEAKY)
    code, out, err = recon("validate", "--specs", tmp_path)
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"specs valid: {tmp_path} (1 units; 1 warning)",
        (f"warning: {tmp_path / 'unit.yaml'}:4: rollback.operations: no rollback operations: `recon rollback` cannot undo this unit "
         "(write rollback.operations, or declare `operations: []` with rollback.notes saying why it is not undone)")]
    code, out, err = recon("validate", "--specs", tmp_path, "--strict")
    assert code == 1 and "warning: " in out and err == "error: --strict: 1 warning in the specs\n"
    assert recon("validate", "--specs", ROOT / "specs", "--strict")[0] == 0


def test_validate_json_has_a_severity_on_each_diagnostic(recon, tmp_path):
    unit(tmp_path, LEAKY)
    code, out, _ = recon("validate", "--specs", tmp_path, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    assert data["diagnostics"] == [{"file": str(tmp_path / "unit.yaml"), "line": 4, "path": "rollback.operations",
                                    "message": data["diagnostics"][0]["message"], "severity": "warning"}]
    code, out, _ = recon("validate", "--specs", tmp_path, "--format", "json", "--strict")
    assert code == 1 and json.loads(out)["ok"] is False and json.loads(out)["diagnostics"][0]["severity"] == "warning"
    (tmp_path / "bad.yaml").write_text("kind: fingerprint\nname: x\nchecks:\n  - tabel: t\n")
    code, out, _ = recon("validate", "--specs", tmp_path, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert (4, "checks[0].tabel", "error") in [(d["line"], d["path"], d["severity"]) for d in data["diagnostics"]]
    assert {d["severity"] for d in data["diagnostics"]} == {"error"}


def test_installed_recon_validate_strict_fails_on_warnings(tmp_path):
    import shutil
    import sys

    unit(tmp_path, LEAKY)
    recon_bin = shutil.which("recon") or str(Path(sys.executable).parent / "recon")
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    lax = subprocess.run([recon_bin, "validate", "--specs", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60, check=False)
    strict = subprocess.run([recon_bin, "validate", "--strict", "--specs", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert lax.returncode == 0 and "1 warning)" in lax.stdout and "unit.yaml:4: rollback.operations: no rollback operations" in lax.stdout
    assert strict.returncode == 1 and "unit.yaml:4: rollback.operations: no rollback operations" in strict.stdout
    assert strict.stderr == "error: --strict: 1 warning in the specs\n"


# -- identifier limits ---------------------------------------------------------------------

T64 = "t" * 64
T63 = "t" * 63
T40 = "a" * 40
C25 = "c" * 25
ACCENTED = "é" * 40  # 40 characters, 80 bytes


def names_unit(tmp_path, *operations: str) -> list[str]:
    """The warnings of a unit of ``operations`` (YAML lines, under ``operations:``) with a complete rollback."""
    body = "\n".join(operations)
    unit(tmp_path, "kind: migration\nid: I1\nscope: schema\nrollback: {notes: n, operations: []}\noperations:\n" + body + "\n")
    return warned(tmp_path)


def test_a_64_character_table_name_is_warned_at_its_key(tmp_path):
    found = names_unit(tmp_path, "  - create_table:", "      columns: [{name: id, type: integer}]", f"      table: {T64}")
    assert found == [f"unit.yaml:8: operations[0].create_table.table: table name '{T64}' is too long: 64 bytes on PostgreSQL, which allows 63"]


def test_a_long_name_of_an_operation_limited_to_sqlite_is_not_warned(tmp_path):
    assert names_unit(tmp_path, f"  - create_table: {{table: {T64}, columns: [{{name: id, type: integer}}], dialects: [sqlite]}}") == []
    found = names_unit(tmp_path, f"  - create_table: {{table: {T64}, columns: [{{name: id, type: integer}}], dialects: [sqlite, postgresql]}}")
    assert found and "64 bytes on PostgreSQL" in found[0]


def test_a_63_byte_name_is_not_warned(tmp_path):
    assert names_unit(tmp_path, f"  - create_table: {{table: {T63}, columns: [{{name: {'c' * 63}, type: integer}}]}}",
                      f"  - create_index: {{name: {'i' * 63}, table: {T63}, columns: [{'c' * 63}]}}") == []


def test_a_name_of_40_multibyte_characters_is_warned_for_postgresqls_byte_limit(tmp_path):
    found = names_unit(tmp_path, f"  - add_column: {{table: items, name: {ACCENTED}, type: text}}")
    assert found == [f"unit.yaml:6: operations[0].add_column.name: column name '{ACCENTED}' is too long: 80 bytes on PostgreSQL, which allows 63"]
    assert identifiers.too_long(ACCENTED, "mysql") is None and identifiers.too_long(ACCENTED, "sqlite") is None


def test_a_derived_constraint_name_over_the_limit_is_warned_where_it_is_derived(tmp_path):
    derived = f"{T40}_{C25}_key"  # 70 characters
    found = names_unit(tmp_path,
                       "  - create_table:", f"      table: {T40}", "      columns:", "        - {name: id, type: integer}",
                       f"        - name: {C25}", "          type: text", "          unique: true",
                       f"  - add_column: {{table: {T40}, name: {'d' * 25}, type: integer, references: {{table: {T40}, column: id}}}}")
    tail = "recon derives it from the table and column names: shorten the table or column name, or declare the constraint with add_constraint and a shorter name"
    assert found == [
        (f"unit.yaml:12: operations[0].create_table.columns[1].unique: constraint name '{derived}' is too long: "
         f"70 bytes on PostgreSQL, which allows 63; 70 characters on MySQL/MariaDB, which allows 64; {tail}"),
        (f"unit.yaml:13: operations[1].add_column.references: constraint name '{T40}_{'d' * 25}_fkey' is too long: "
         f"71 bytes on PostgreSQL, which allows 63; 71 characters on MySQL/MariaDB, which allows 64; {tail}"),
    ]


def test_a_derived_primary_key_name_is_warned_only_where_the_dialect_derives_it(tmp_path):
    table = "p" * 60  # p..._pkey is 65 bytes on PostgreSQL; MySQL calls every primary key PRIMARY
    found = names_unit(tmp_path, f"  - create_table: {{table: {table}, primary_key: [id], columns: [{{name: id, type: integer}}]}}")
    assert found == [(f"unit.yaml:6: operations[0].create_table.primary_key: constraint name '{table}_pkey' is too long: "
                      "65 bytes on PostgreSQL, which allows 63; recon derives it from the table and column names: shorten the table name")]


def test_each_over_long_name_is_warned_once_per_unit(tmp_path):
    found = names_unit(tmp_path, f"  - add_column: {{table: {T64}, name: note, type: text}}",
                       f"  - create_index: {{name: {'i' * 65}, table: {T64}, columns: [note]}}",
                       f"  - rename_column: {{table: items, name: a, new_name: {'n' * 65}}}")
    assert [w.split(" name ")[0] for w in found] == [
        "unit.yaml:6: operations[0].add_column.table: table", "unit.yaml:7: operations[1].create_index.name: index",
        "unit.yaml:8: operations[2].rename_column.new_name: column"]
    assert "65 bytes on PostgreSQL, which allows 63; 65 characters on MySQL/MariaDB, which allows 64" in found[1]


def test_every_change_type_but_raw_sql_lists_its_names():
    kinds = {c for c in vars(ch).values() if isinstance(c, type) and issubclass(c, ch.Change) and c is not ch.Change}
    assert kinds - set(identifiers._NAMERS) == {ch.RawSQL}
    made = ch.from_operation("U", Operation("add_column", {"table": "app.items", "name": "note", "type": "text", "unique": True}, Source("f", 1)))
    assert [[(n.text, n.kind, n.field, n.derived) for n in identifiers.change_names(c, "postgresql")] for c in made] == [
        [("app", "schema", "table", False), ("items", "table", "table", False), ("note", "column", "column.name", False)],
        [("items_note_key", "constraint", "unique", True), ("app", "schema", "table", False), ("items", "table", "table", False),
         ("note", "column", "columns[0]", False)]]


# -- what the servers do (three dialects) ----------------------------------------------------

BASE = 'CREATE TABLE items (id integer NOT NULL PRIMARY KEY, name varchar(50))'
FORWARD = """
  - add_column: {table: items, name: note, type: varchar(20)}
  - create_index: {name: items_note_idx, table: items, columns: [note]}
  - create_table: {table: tags, columns: [{name: id, type: integer, primary_key: true}]}
"""


def catalog(db) -> tuple[set, set]:
    """(table.column names, index names) of the live schema outside the ledger, from recon's own inspection."""
    from engine.inspect import inspect_schema

    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            state = inspect_schema(conn)
    finally:
        eng.dispose()
    columns = {f"{t}.{c.name}" for (_, t), table in state.tables.items() for c in table.columns if t != "recon_ledger"}
    return columns, {n for (_, t, n), ix in state.indexes.items() if t != "recon_ledger" and not ix.primary and not n.startswith("sqlite_autoindex")}


@pytest.mark.parametrize("complete", [False, True])
def test_a_warned_rollback_leaves_exactly_the_warned_objects(recon, db, tmp_path, complete):
    db.run(dialect_sql(db, BASE))
    before = catalog(db)
    undo = "    - drop_index: {name: items_note_idx, table: items}\n"
    if complete:
        undo += "    - drop_table: {table: tags}\n    - drop_column: {table: items, name: note}\n"
    unit(tmp_path, "kind: migration\nid: U1\nscope: schema\nrollback:\n  notes: n\n  operations:\n" + undo + "operations:" + FORWARD)
    found = warned(tmp_path)
    common = ("--specs", tmp_path, "--db", db.url)
    code, _, err = recon("apply", *common, "--auto-approve")
    assert code == 0, err
    assert catalog(db)[1] == before[1] | {"items_note_idx"}
    code, _, err = recon("rollback", "U1", *common, "--auto-approve", "--allow-destructive")
    assert code == 0, err
    columns, indexes = catalog(db)
    if complete:
        assert found == [] and (columns, indexes) == before
    else:
        assert [w.split(": rollback leaves ")[1].split(",")[0] for w in found] == ["column items.note", "table tags"]
        assert columns - before[0] == {"items.note", "tags.id"} and indexes == before[1]


def test_the_limits_are_the_servers_own(db):
    """A name within ``too_long``'s limit is kept whole by the server; one over it is cut (PostgreSQL) or refused (MySQL)."""
    quote = "`" if db.dialect == "mysql" else '"'
    names = ["a" * 63, "b" * 64, "c" * 65, "é" * 31, "ü" * 32, "ö" * 64, "ä" * 65]  # distinct: a cut name must not clash
    db.run("CREATE TABLE lim (id integer)")
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    refused = set()
    try:
        for name in names:
            try:
                with eng.begin() as conn:
                    conn.exec_driver_sql(f"ALTER TABLE lim ADD COLUMN {quote}{name}{quote} integer")
            except sa.exc.DBAPIError as exc:
                assert "too long" in str(exc).lower(), exc
                refused.add(name)
        listed = [c["name"] for c in sa.inspect(eng).get_columns("lim")]
    finally:
        eng.dispose()
    kept = {n: n in listed for n in names}
    assert kept == {n: identifiers.too_long(n, db.dialect) is None for n in names}
    cut = {n for n in names if not kept[n] and n not in refused}
    assert all(n.encode()[:63].decode("utf-8", "ignore") in listed for n in cut)  # PostgreSQL keeps the first 63 bytes
    assert {"sqlite": (set(), set()), "postgresql": (set(), {"b" * 64, "c" * 65, "ü" * 32, "ö" * 64, "ä" * 65}),
            "mysql": ({"c" * 65, "ä" * 65}, set())}[db.dialect] == (refused, cut)


def test_the_names_recon_derives_are_the_names_the_server_reports(recon, db, tmp_path):
    db.run(dialect_sql(db, BASE))
    unit(tmp_path, """
        kind: migration
        id: N1
        scope: schema
        rollback: {notes: n, operations: [{drop_table: {table: things}}]}
        operations:
          - create_table:
              table: things
              columns:
                - {name: id, type: integer, primary_key: true}
                - {name: code, type: varchar(20), unique: true}
                - {name: item_id, type: integer, references: {table: items, column: id}}
          - add_column: {table: things, name: serial, type: varchar(20), unique: true}
          - add_column: {table: things, name: other_id, type: integer, references: {table: items, column: id}}
    """)
    assert recon("apply", "--specs", tmp_path, "--db", db.url, "--auto-approve")[0] == 0
    specs = engine.load_specs(tmp_path)
    made = [c for op in specs.units[0].operations for c in ch.from_operation("N1", op)]
    derived = {n.text for c in made for n in identifiers.change_names(c, db.dialect) if n.derived or n.kind == "constraint"}
    from engine.inspect import inspect_schema

    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            state = inspect_schema(conn)
    finally:
        eng.dispose()
    reported = {n for (_, t, n) in state.constraints if t == "things"}
    pk = "PRIMARY" if db.dialect == "mysql" else "things_pkey"
    assert derived == reported == {pk, "things_code_key", "things_item_id_fkey", "things_serial_key", "things_other_id_fkey"}
