"""Fuzzing the loader and validator: mutated spec files never crash recon.

Each example is one of the shipped spec files (every kind), mutated by a few random edits
(cut, repeat or swap lines, change indentation, splice YAML syntax: anchors, aliases, tags,
flow collections, tabs, non-ASCII, control characters, huge numbers). Whatever comes out,
loading it either succeeds or raises ``SpecError`` whose every diagnostic names the file and a
line; nothing else escapes. Bounded: a fixed number of examples, derandomised, so the suite
time stays fixed and a failure reproduces.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import recon_bin

import engine
from engine.errors import SpecError

EXAMPLES = sorted(Path(__file__).resolve().parent.parent.joinpath("specs").rglob("*.yaml"))
SPLICES = ["&a ", "*a", "!!python/object:os.system ", "!!binary ", "{", "}", "[", "]", ": ", "- ", "? ", "\t", "'", '"',
           "|", ">", "#", "---\n", "...\n", "%YAML 1.1\n", "~", "null", "yes", "1e999", "9" * 40, "-0", "0x1F", "é",
           "\u202e", "\x00", "\x07", "<<: *a\n", "kind: nope\n", "  " * 8, "\r\n", "\ufeff"]


def _edit(lines: list[str], draw) -> list[str]:
    """One random edit of the file's lines."""
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    how = draw(st.sampled_from(["cut", "repeat", "swap", "indent", "dedent", "splice", "truncate"]))
    if not lines:
        return [draw(st.sampled_from(SPLICES))]
    line = lines[i]
    if how == "cut":
        return lines[:i] + lines[i + 1:]
    if how == "repeat":
        return lines[:i + 1] + [line] + lines[i + 1:]
    if how == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines = list(lines)
        lines[i], lines[j] = lines[j], lines[i]
        return lines
    if how in ("indent", "dedent"):
        changed = ("  " + line) if how == "indent" else line[2:]
        return lines[:i] + [changed] + lines[i + 1:]
    if how == "truncate":
        return lines[:i] + [line[: draw(st.integers(0, len(line)))]]
    at = draw(st.integers(0, len(line)))
    return lines[:i] + [line[:at] + draw(st.sampled_from(SPLICES)) + line[at:]] + lines[i + 1:]


@st.composite
def mutated(draw) -> tuple[Path, str]:
    source = draw(st.sampled_from(EXAMPLES))
    lines = source.read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 4))):
        lines = _edit(lines, draw)
    return source, "\n".join(lines) + "\n"


def _check(folder: Path, name: str) -> None:
    """Loaded, or refused with each problem at a line of the file (a file left with no document
    at all is the folder's problem: it holds no spec)."""
    try:
        engine.load_specs(str(folder))
    except SpecError as exc:
        assert exc.diagnostics, "a SpecError names at least one problem"
        for d in exc.diagnostics:
            if d.file == str(folder):
                assert d.message.startswith("no specs found"), d
                continue
            assert d.file == str(folder / name) and isinstance(d.line, int) and d.line >= 1 and d.message, d


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated())
def test_a_mutated_spec_file_is_loaded_or_refused_with_file_and_line(case, tmp_path_factory):
    source, text = case
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / source.name).write_bytes(text.encode("utf-8", "surrogatepass"))
    _check(folder, source.name)


@pytest.mark.parametrize("text", ["kind: migration\nid: [\n", "\x00\x01\x02", "kind: seed\n" + "- " * 2000 + "x\n",
                                  "a: &a [*a]\nkind: rbac\n", "kind: fingerprint\nname: !!python/object:os.system x\n"])
def test_the_installed_recon_validate_refuses_a_broken_file_with_its_line(text, tmp_path):
    (tmp_path / "broken.yaml").write_bytes(text.encode("utf-8"))
    done = subprocess.run([recon_bin(), "validate", "--specs", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert "broken.yaml:" in done.stderr, done.stderr


def test_a_control_character_or_a_bad_byte_is_reported_at_its_line(tmp_path):
    """What the fuzzing found: a character YAML refuses, and bytes that are not UTF-8, had no line (0)."""
    (tmp_path / "a.yaml").write_bytes(b"kind: seed\nname: x\nta\x00ble: t\n")
    (tmp_path / "b.yaml").write_bytes(b"kind: seed\n\nname: \xff\n")
    with pytest.raises(SpecError) as info:
        engine.load_specs(str(tmp_path))
    found = {(Path(d.file).name, d.line): d.message for d in info.value.diagnostics}
    assert found[("a.yaml", 3)] == "YAML syntax error: character U+0000 is not allowed: control characters are not allowed"
    assert found[("b.yaml", 3)].startswith("not UTF-8 text (invalid start byte at byte 18)")
