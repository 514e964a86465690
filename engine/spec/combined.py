"""One JSON Schema for every spec kind, made from the per-kind schemas so it cannot drift.

An editor that maps one schema onto a whole folder (``yaml.schemas`` in VS Code, a JSON
Schema mapping in JetBrains IDEs) cannot know which kind a file holds; this schema reads
``kind`` and applies that kind's schema (``if`` kind is K ``then`` the schema of K). Each
kind's schema is embedded whole under ``$defs/<kind>``, without its ``$id``, and its own
``#/$defs/...`` references are rewritten to point into it, so the result is one
self-contained file that needs no network and no resolver of ``$id``.

It is not one of ``schemas/*.schema.json``: that folder lists the kinds. ``recon init``
writes it beside the per-kind ones (``.schemas/recon.schema.json``).
"""

from __future__ import annotations

import copy

from . import resources

COMBINED_ID = "https://recon.dev/schemas/recon.schema.json"
COMBINED_FILE = "recon.schema.json"


def combined_schema() -> dict:
    """The draft 2020-12 schema that checks a document of any kind against its kind's schema."""
    kinds = resources.kinds()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": COMBINED_ID,
        "title": "recon spec (any kind)",
        "description": "A recon spec document of any kind: its 'kind' selects the schema it is checked against.",
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"enum": kinds, "description": "Spec kind: " + ", ".join(kinds) + "."}},
        "allOf": [_dispatch(kind) for kind in kinds],
        "$defs": {kind: _embedded(kind) for kind in kinds},
    }


def _dispatch(kind: str) -> dict:
    return {"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"$ref": f"#/$defs/{kind}"}}


def _embedded(kind: str) -> dict:
    schema = copy.deepcopy(resources.schema(kind))
    schema.pop("$schema", None)
    schema.pop("$id", None)
    return _rebase(schema, f"#/$defs/{kind}")


def _rebase(node, base: str):
    """``node`` with every local ``$ref`` (``#/...``) made relative to ``base`` instead of the root."""
    if isinstance(node, list):
        return [_rebase(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#"):
            out[key] = base + value[1:]
        else:
            out[key] = _rebase(value, base)
    return out
