"""Views of a ``recon inspect`` run: which files it wrote, what they hold, what it left out.

Text for people and markdown for a pull request; the JSON form is ``Inspection.to_dict()``.
"""

from __future__ import annotations

from ..inspect.adopt import FINGERPRINT_FILE, Inspection
from .text import Style

_PLURAL = {"table": "tables", "column": "columns", "index": "indexes", "constraint": "constraints"}


def _lines(result: Inspection, folder: str) -> list[tuple[str, str]]:
    """``(file, what it holds)`` per written file."""
    out = []
    if result.fingerprint is not None:
        checks = result.fingerprint.checks
        kinds = ", ".join(f"{n} {k if n == 1 else _PLURAL[k]}" for k in _PLURAL if (n := sum(c.kind == k for c in checks)))
        out.append((f"{folder}/{FINGERPRINT_FILE}", f"fingerprint {result.fingerprint.name}: {len(checks)} checks ({kinds})"))
    for name, seed in zip([n for n, _ in result.files()][1 if result.fingerprint else 0:], result.seeds):
        rows = len(seed.rows)
        out.append((f"{folder}/{name}", f"seed {seed.name}: {rows} row{'s' if rows != 1 else ''} of {seed.table.table_text}, "
                                        f"key {', '.join(seed.key)}"))
    return out


def inspect_text(result: Inspection, folder: str, style: Style = Style()) -> str:
    """One ``wrote FILE: what`` line per file, then the notes, then the next step."""
    lines = [f"{style.paint('wrote', 'green')} {path}: {what}" for path, what in _lines(result, folder)]
    lines += [style.paint(f"note: {n}", "yellow") for n in result.notes]
    lines.append(f"next: recon validate --specs {folder}; recon audit --specs {folder} --db URL")
    return "\n".join(lines) + "\n"


def inspect_markdown(result: Inspection, folder: str) -> str:
    """The files as a table, the notes as a list."""
    lines = [f"### recon inspect: {result.dialect} {result.server_version}".rstrip(), "", "| file | holds |", "|---|---|"]
    lines += [f"| `{path}` | {what} |" for path, what in _lines(result, folder)]
    if result.notes:
        lines += ["", *[f"- {n}" for n in result.notes]]
    return "\n".join(lines) + "\n"
