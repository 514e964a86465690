"""The spec writer: model -> YAML that the loader reads back to the same model, strings quoted
wherever a YAML 1.1 or 1.2 reader would take them for something else."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import yaml

import engine
from engine.spec.model import Seed, Source, table_ref
from engine.spec.writer import dump, to_document

ROOT = Path(__file__).resolve().parent.parent

# Each of these is a string that some YAML reader would read as a boolean, number, date, null,
# or as the wrong string, when written bare.
TRICKY = ["yes", "no", "on", "off", "Yes", "NO", "y", "n", "true", "False", "null", "Null", "~", "", " lead", "trail ",
          "0755", "007", "1e5", "1E-3", "0x1F", "0o17", "1_000", "+1", "-2", ".5", "1.", ".inf", "-.Inf", ".nan",
          "22:00", "12:30:45", "1:20", "2026-01-01", "2026-01-01 10:00:00", "2026-01-01T10:00:00Z", "=", "<<",
          "a: b", "#hash", "a #b", "- x", "[x]", "{x}", "*star", "&amp", "!bang", "%pct", "@at", "`tick", "'q'", '"dq"',
          "x,y", "line one\nline two", "tab\there", "ünïcödé ✓ 日本語 🚀", "\u2028sep", "back\\slash", "|", ">"]


def _plain(value):
    """A model value without where it was read (file, line) or what depends on the folder."""
    if dataclasses.is_dataclass(value):
        return tuple((f.name, _plain(getattr(value, f.name))) for f in dataclasses.fields(value)
                     if f.name not in ("source", "row_lines", "root", "digest", "warnings"))
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _seed(rows) -> Seed:
    return Seed(name="tricky", table=table_ref("t"), key=("k",), rows=tuple(rows), source=Source("x", 1), on_conflict="update")


def test_example_specs_load_write_load_to_the_same_model(tmp_path):
    specs = engine.load_specs(ROOT / "specs")
    items = (*specs.fingerprints, *specs.units, *specs.rbac, *specs.seeds, specs.invariants, specs.environments)
    for i, item in enumerate(items):
        (tmp_path / f"{i}.yaml").write_text(dump(item), encoding="utf-8")
    again = engine.load_specs(tmp_path)
    for kind in ("fingerprints", "units", "rbac", "seeds", "invariants", "environments"):
        assert _plain(getattr(again, kind)) == _plain(getattr(specs, kind)), kind
    # the unit checksums (the ledger's key to "the spec changed") survive: defaults are not written in
    assert [u.checksum for u in again.units] == [u.checksum for u in specs.units]


def test_every_kind_in_one_file_as_several_documents(tmp_path):
    specs = engine.load_specs(ROOT / "specs")
    text = dump(*specs.fingerprints, *specs.seeds, header="written by a test\nsecond line")
    assert text.startswith("# written by a test\n# second line\n---\nkind: fingerprint\n")
    (tmp_path / "all.yaml").write_text(text, encoding="utf-8")
    again = engine.load_specs(tmp_path)
    assert _plain(again.fingerprints) == _plain(specs.fingerprints) and _plain(again.seeds) == _plain(specs.seeds)


def test_strings_yaml_would_misread_are_quoted_and_read_back_exactly(tmp_path):
    rows = [{"k": f"r{i}", "v": text} for i, text in enumerate(TRICKY)]
    text = dump(_seed(rows))
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    loaded = engine.load_specs(tmp_path).seeds[0].rows
    assert [r["v"] for r in loaded] == TRICKY
    # a YAML 1.1 reader (PyYAML's own safe loader, as editors and other tools use) reads the same strings
    assert [r["v"] for r in yaml.safe_load(text)["rows"]] == TRICKY
    for word in ("yes", "on", "0755", "1e5", "22:00", "2026-01-01"):
        assert f"v: {word}}}" not in text, word  # written quoted, not bare


def test_scalars_keep_their_type(tmp_path):
    values = [0, -7, 12345678901234567890, 1.5, -0.25, 1e20, 1.5e-9, math.inf, -math.inf, True, False, None]
    rows = [{"k": f"r{i}", "v": v} for i, v in enumerate(values)]
    text = dump(_seed(rows))
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    loaded = [r["v"] for r in engine.load_specs(tmp_path).seeds[0].rows]
    assert loaded == values and [type(v) for v in loaded] == [type(v) for v in values]
    assert [type(r["v"]) for r in yaml.safe_load(text)["rows"]] == [type(v) for v in values]  # 1e20 is 1.0e+20 for YAML 1.1
    nan = dump(_seed([{"k": "a", "v": math.nan}]))
    assert "v: .nan" in nan


def test_seed_rows_are_one_line_each_and_key_lists_flow():
    text = dump(_seed([{"k": "a", "v": "x, y"}, {"k": "b", "v": None}]))
    assert "key: [k]\n" in text
    assert "  - {k: a, v: 'x, y'}\n  - {k: b, v: null}\n" in text


def test_unknown_values_are_refused():
    with pytest.raises(TypeError, match="no spec document for int"):
        to_document(3)


def test_lock_retries_and_a_declared_empty_rollback_are_written(tmp_path):
    """Found by tests/test_properties.py: the writer left out lock_retries (of a unit and of an
    environment) and a rollback's explicit `operations: []`, which changed the unit's checksum and
    brought back validate's "no rollback operations" warning."""
    first, again = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    again.mkdir()
    (first / "u.yaml").write_text("kind: migration\nid: U1\nscope: schema\nlock_retries: 0\n"
                                  "rollback: {notes: data is lost, operations: []}\n"
                                  "operations:\n  - drop_table: {table: t}\n", encoding="utf-8")
    (first / "e.yaml").write_text("kind: environments\nenvironments:\n  - {name: prod, database_url_env: DB, lock_retries: 3}\n",
                                  encoding="utf-8")
    specs = engine.load_specs(first)
    (again / "u.yaml").write_text(dump(*specs.units), encoding="utf-8")
    (again / "e.yaml").write_text(dump(specs.environments), encoding="utf-8")
    reloaded = engine.load_specs(again)
    assert "lock_retries: 0\n" in dump(*specs.units) and "operations: []" in dump(*specs.units)
    assert reloaded.units[0].checksum == specs.units[0].checksum and reloaded.warnings == specs.warnings == ()
    assert reloaded.units[0].lock_retries == 0 and reloaded.environments[0].lock_retries == 3
