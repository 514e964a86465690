"""Files shipped with recon: JSON Schemas, the example specs, catalog SQL, demo fixtures.

In an installed package they are ``engine.schemas`` and ``engine.specs``; in a
source checkout they are the top-level ``schemas/`` and ``specs/`` folders.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # engine/
_REPO = _PACKAGE.parent


def _folder(name: str) -> Path:
    """``engine/<name>`` when installed (package data), else the checkout's top-level ``<name>/``."""
    installed = _PACKAGE / name
    return installed if installed.is_dir() else _REPO / name


def schemas_dir() -> Path:
    """The folder holding one ``<kind>.schema.json`` per spec kind."""
    return _folder("schemas")


def example_specs_dir() -> Path:
    """The example spec set (products catalogue + RBAC) used by the demo."""
    return _folder("specs")


@lru_cache(maxsize=None)
def schema(kind: str) -> dict | None:
    """The JSON Schema of spec kind ``kind``, or None for an unknown kind."""
    path = schemas_dir() / f"{kind}.schema.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def schema_text(kind: str) -> str:
    """The text of the JSON Schema file of spec kind ``kind``, as shipped."""
    return (schemas_dir() / f"{kind}.schema.json").read_text(encoding="utf-8")


def kinds() -> list[str]:
    """Every spec kind that has a schema."""
    return sorted(p.name.removesuffix(".schema.json") for p in schemas_dir().glob("*.schema.json"))
