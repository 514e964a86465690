"""docs/specs.md's key tables, generated from the JSON Schemas so the two cannot disagree.

Each table sits between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` in the
document; everything outside the markers is hand-written and left as it is. A table lists the
keys of one object of a kind's schema (nested mappings as ``a.b``, list items as ``a[].b``),
with the type, whether the key is required (or its default), and the key's ``description``.
To change a table, change the schema, then run::

    python -m engine.spec.reference            # rewrite docs/specs.md
    python -m engine.spec.reference --check    # exit 1 when it is out of date (tests do this)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from . import resources

# marker name -> (kind, JSON pointer of the object whose keys the table lists)
TABLES = {
    "fingerprint": ("fingerprint", ""),
    "fingerprint-check": ("fingerprint", "/$defs/check"),
    "migration": ("migration", ""),
    "migration-operations": ("migration", "/$defs/operation"),
    "migration-operation-keys": ("migration", "/$defs/operation"),
    "column-definition": ("migration", "/$defs/column_def"),
    "guard": ("migration", "/$defs/guard"),
    "rbac": ("rbac", ""),
    "seed": ("seed", ""),
    "invariants": ("invariants", ""),
    "invariants-check": ("invariants", "/$defs/check"),
    "environments": ("environments", ""),
}
# Objects with a table of their own: a key of that type is listed, its keys are not repeated.
_OWN_TABLE = {pointer for _, pointer in TABLES.values() if pointer}
_BLOCK = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S)
DEFAULT_DOC = Path("docs/specs.md")


def table(name: str) -> str:
    """The markdown of table ``name`` (a key of ``TABLES``)."""
    kind, pointer = TABLES[name]
    schema = resources.schema(kind)
    node = _pointer(schema, pointer)
    if name == "migration-operations":
        return _operations(schema, node)
    lines = ["| key | type | required / default | description |", "|---|---|---|---|"]
    lines += [f"| `{key}` | {kind_} | {need} | {_cell(text)} |" for key, kind_, need, text in _rows(schema, node, "")]
    return "\n".join(lines) + "\n"


def render(text: str) -> str:
    """``text`` with the body of every generated block replaced by its table; an unknown name is an error."""
    def body(match: re.Match) -> str:
        if match["name"] not in TABLES:
            raise KeyError(f"unknown generated table {match['name']!r} (known: {', '.join(TABLES)})")
        return match.group(1) + table(match["name"]) + match.group(4)

    return _BLOCK.sub(body, text)


def _rows(schema: dict, node: dict, prefix: str):
    """(key, type, required or default, description) of each key of ``node``, nested ones after their parent."""
    need = _requirements(node)
    for key, sub in node.get("properties", {}).items():
        target = _resolve(schema, sub)
        text = sub.get("description") or target.get("description", "")
        if key in node.get("dependentRequired", {}):
            text += " Only together with " + ", ".join(f"`{k}`" for k in node["dependentRequired"][key]) + "."
        yield prefix + key, _type(schema, sub), need.get(key, _default(sub, target)), text
        if _expand(sub, target):
            yield from _rows(schema, target, f"{prefix}{key}.")
        items = target.get("items", {})
        if target.get("type") == "array" and _expand(items, _resolve(schema, items)):
            yield from _rows(schema, _resolve(schema, items), f"{prefix}{key}[].")


def _expand(sub: dict, target: dict) -> bool:
    """Whether a key's own keys are listed under it: a mapping with keys and no table of its own."""
    return bool(target.get("properties")) and sub.get("$ref", "#")[1:] not in _OWN_TABLE


def _requirements(node: dict) -> dict[str, str]:
    need = {key: "required" for key in node.get("required", [])}
    choices = [alt["required"][0] for alt in node.get("oneOf", []) if len(alt.get("required", [])) == 1]
    for key in choices:
        need[key] = "exactly one of " + ", ".join(f"`{k}`" for k in choices)
    if node.get("maxProperties") == 1 and not choices:
        for key in node.get("properties", {}):
            need[key] = "exactly one key"
    return need


def _default(sub: dict, target: dict) -> str:
    value = sub.get("default", target.get("default"))
    return "none" if value is None else f"`{json.dumps(value)}`"


def _type(schema: dict, sub: dict) -> str:
    """A short type text: the title where the schema gives one, else built from type and enum."""
    if "const" in sub:
        return f"`{json.dumps(sub['const'])}`"
    if sub.get("title"):
        title = sub["title"]
        return title.split(" (")[0] if len(title) > 60 else title
    target = _resolve(schema, sub)
    if target is not sub:
        return _type(schema, target)
    if "enum" in sub:
        return " \\| ".join(f"`{v}`" for v in sub["enum"])
    kind = sub.get("type")
    if kind == "array" or (isinstance(kind, list) and "array" in kind and "items" in sub):
        return _list_type(schema, sub, kind)
    if kind == "object":
        return "mapping" if sub.get("properties") else "mapping (column → string / number / boolean / null)"
    if kind == "integer" and "minimum" in sub:
        return f"integer ≥ {sub['minimum']}"
    return " or ".join(kind) if isinstance(kind, list) else (kind or "any")


def _list_type(schema: dict, sub: dict, kind) -> str:
    item = _type(schema, sub.get("items", {}))
    text = f"list of {item + 's' if re.fullmatch(r'[a-z ]+', item) else item}"
    if sub.get("minItems"):
        text += f", ≥ {sub['minItems']}"
    if sub.get("uniqueItems"):
        text += ", unique"
    return f"string, or {text}" if isinstance(kind, list) else text


def _operations(schema: dict, node: dict) -> str:
    """One row per operation: what it does and its keys (required in bold, defaults in parentheses)."""
    lines = ["| operation | does | keys (required in **bold**; defaults in parentheses) |", "|---|---|---|"]
    for op, sub in node["properties"].items():
        body = _resolve(schema, sub)
        required = set(body.get("required", []))
        keys = []
        for key, prop in body.get("properties", {}).items():
            default = prop.get("default", _resolve(schema, prop).get("default"))
            text = f"**`{key}`**" if key in required else f"`{key}`"
            keys.append(text + (f" (`{json.dumps(default)}`)" if default is not None else ""))
        lines.append(f"| `{op}` | {_cell(sub.get('description') or body.get('description', ''))} | {', '.join(keys)} |")
    return "\n".join(lines) + "\n"


def _resolve(schema: dict, sub: dict) -> dict:
    ref = sub.get("$ref")
    return _pointer(schema, ref[1:]) if ref else sub


def _pointer(schema: dict, pointer: str) -> dict:
    node = schema
    for part in [p for p in pointer.split("/") if p]:
        node = node[part]
    return node


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    """``python -m engine.spec.reference [--check] [FILE]``: regenerate FILE (default docs/specs.md)."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    paths = [a for a in args if a != "--check"]
    path = Path(paths[0]) if paths else DEFAULT_DOC
    text = path.read_text(encoding="utf-8")
    fresh = render(text)
    if check:
        if fresh != text:
            print(f"{path}: reference tables are out of date: run python -m engine.spec.reference {path}", file=sys.stderr)
            return 1
        return 0
    if fresh != text:
        path.write_text(fresh, encoding="utf-8")
    print(f"{path}: {len(_BLOCK.findall(fresh))} reference tables {'rewritten' if fresh != text else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
