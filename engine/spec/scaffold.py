"""``recon init``: a commented example of every spec kind, with the schemas editors read.

The examples are the files in ``templates/`` (shipped in the package), one set that holds
together: the migration units make the tables the rbac and seed specs fill and the fingerprint
checks, and ``recon validate --strict`` of them is clean. Each file written gets a first line
``# yaml-language-server: $schema=<path>`` (VS Code's YAML extension) and a second
``# $schema: <path>`` (JetBrains IDEs), the path relative to the file and naming the schema of
the file's kind in ``SCHEMA_FOLDER``; that folder also receives the combined schema
(``combined.py``) for an editor that maps one schema onto every file. Nothing here touches a
database.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from . import resources
from .combined import COMBINED_FILE, combined_schema
from .loader import SPEC_SUFFIXES

SCHEMA_FOLDER = ".schemas"
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Written:
    """One file ``recon init`` wrote: its path, what it holds, and whether it replaced a file."""

    path: Path
    holds: str  # a spec kind, "schema of <kind>", or "schema of every kind"
    replaced: bool


@dataclass(frozen=True)
class Scaffold:
    """What ``init_specs`` wrote into ``root``: spec files first, then schemas."""

    root: Path
    files: tuple[Written, ...]

    @property
    def specs(self) -> tuple[Written, ...]:
        return tuple(f for f in self.files if not f.holds.startswith("schema"))

    @property
    def schemas(self) -> tuple[Written, ...]:
        return tuple(f for f in self.files if f.holds.startswith("schema"))


def init_specs(root: str | os.PathLike = "specs", force: bool = False, schemas_only: bool = False) -> Scaffold:
    """Write the example specs and their schemas into ``root``.

    A folder that exists and is not empty is refused (``UsageError``) unless ``force``, which
    writes into it and replaces files of the same names. ``schemas_only`` writes just the
    schemas (refreshing them after an upgrade) and may go into any folder.
    """
    folder = Path(root)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    if not (force or schemas_only) and folder.is_dir() and any(folder.iterdir()):
        raise UsageError(f"{folder}: folder is not empty: recon init writes only into a new or empty folder "
                         "(give --force to write into it anyway, replacing files of the same names, "
                         "or --schemas-only to refresh just the schemas)")
    written = [] if schemas_only else [_write_spec(folder, rel) for rel in template_files()]
    return Scaffold(folder, tuple(written) + _write_schemas(folder / SCHEMA_FOLDER))


def template_files() -> list[str]:
    """The example files, as paths relative to the spec folder (posix), sorted."""
    return sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*")
                  if p.suffix in SPEC_SUFFIXES and p.is_file())


def schema_file(kind: str | None) -> str:
    """The schema file, relative to the spec folder, for a file of ``kind`` (None: several kinds)."""
    return f"{SCHEMA_FOLDER}/{COMBINED_FILE if kind is None else f'{kind}.schema.json'}"


def modelines(rel: str, kind: str | None) -> str:
    """The two first lines of spec file ``rel``: its schema for VS Code's and JetBrains' YAML support."""
    depth = rel.count("/")
    target = "../" * depth + schema_file(kind)
    return f"# yaml-language-server: $schema={target}\n# $schema: {target}\n"


def kind_of(text: str) -> str | None:
    """The kind of the documents in a template, or None when they are of several kinds."""
    kinds = {line.split(":", 1)[1].split("#", 1)[0].strip() for line in text.splitlines() if line.startswith("kind:")}
    return kinds.pop() if len(kinds) == 1 else None


def _write_spec(folder: Path, rel: str) -> Written:
    text = (TEMPLATES / rel).read_text(encoding="utf-8")
    kind = kind_of(text)
    return _write(folder / rel, modelines(rel, kind) + text, kind or "several kinds")


def _write_schemas(folder: Path) -> tuple[Written, ...]:
    files = [_write(folder / f"{kind}.schema.json", resources.schema_text(kind), f"schema of {kind}")
             for kind in resources.kinds()]
    combined = json.dumps(combined_schema(), indent=2) + "\n"
    return tuple(files) + (_write(folder / COMBINED_FILE, combined, "schema of every kind"),)


def _write(path: Path, text: str, holds: str) -> Written:
    replaced = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    return Written(path, holds, replaced)
