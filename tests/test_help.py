"""docs/README.md's table of which commands read specs agrees with each command's ``--help``.

A command that reads no specs has no ``--specs`` (so giving it is refused); one that reads them
only sometimes says when in its ``--specs`` help, in the words the table uses; every command
of the command line has a row.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.cli import cli

README = Path(__file__).resolve().parent.parent / "docs" / "README.md"
WHEN = {"--env": "read only with --env", "PLANFILE": "read only without PLANFILE"}  # the table's condition -> the help's words


def _table() -> dict[str, str]:
    """``{command: what the table says}`` from the rows ``| `recon CMD` | ... |`` under "reads the specs"."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("| command | reads the specs |"):]
    section = section[: section.index("\n\n")]
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^\| `recon (\w+)` \| (.+) \|$", section, re.M)}


def _help(recon, name: str) -> str:
    code, out, err = recon(name, "--help")
    assert code == 0, err
    return " ".join(out.split())


def test_every_command_has_a_row():
    assert sorted(_table()) == sorted(cli.commands)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_help_says_what_the_docs_say_about_specs(recon, name):
    said = _table()[name]
    shown = _help(recon, name)
    takes = any(p.name == "specs" for p in cli.commands[name].params)
    assert ("--specs" in shown) == takes
    if said.startswith("never"):
        assert not takes, f"docs say {name} reads no specs, but it takes --specs"
        code, _, err = recon(name, "--specs", "x")
        assert code == 1 and "No such option '--specs'" in err
    elif said == "always":
        assert takes and "--specs TEXT Spec folder or file." in shown
    else:
        assert said.startswith("only "), said
        condition = next(c for c in WHEN if c in said)
        assert takes and f"--specs TEXT Spec folder, {WHEN[condition]}" in shown, shown
