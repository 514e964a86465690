"""Spec validation: JSON Schema per document, then cross-references, then model values.

Every problem is collected as a ``Diagnostic`` (``file:line: path: message``)
and raised once, as one ``SpecError``, so a user fixes everything in one pass.
Only when there is nothing to report are the documents turned into ``model``
values.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Iterator

from ..errors import Diagnostic, SpecError, did_you_mean
from . import build, crossref, resources
from .loader import Document, LocDict, LocList, SourceSet, load_sources
from .model import Specs

Lint = Callable[[dict[str, list[Document]]], Iterable[Diagnostic]]


def load_specs(path: str | os.PathLike = "specs", lint: Lint | None = None) -> Specs:
    """Load and validate every spec under ``path``; raise ``SpecError`` with all errors.

    Warnings (valid, but likely wrong: an incomplete rollback, a name too long for a dialect)
    never raise: ``lint`` finds them in the valid documents (``engine.load_specs`` passes
    ``engine.changes.lint.warnings``, which reads the change vocabulary, a later stage) and
    they are on the result's ``warnings``."""
    return validate_sources(load_sources(path), lint)


def validate_sources(sources: SourceSet, lint: Lint | None = None) -> Specs:
    """Validate loaded documents and build the model with its warnings, or raise with every error.
    A folder without a single spec document is an error too: most likely a wrong ``--specs`` path,
    which would otherwise pass every command vacuously (an audit of no checks, a plan of nothing)."""
    if not sources.documents and not sources.diagnostics:
        what = "no *.yaml or *.yml file in it" if not sources.files else "its YAML files hold no document"
        raise SpecError([Diagnostic(sources.root, 0, "", f"no specs found: {what} (give --specs PATH or set RECON_SPECS)")])
    diagnostics = list(sources.diagnostics)
    valid: dict[str, list[Document]] = defaultdict(list)
    for doc in sources.documents:
        found = list(schema_diagnostics(doc))
        diagnostics.extend(found)
        if not found:
            valid[doc.data["kind"]].append(doc)
    declared = crossref.declared_names(sources.documents)
    diagnostics.extend(crossref.check(valid, declared))
    if diagnostics:
        raise SpecError(sorted(set(diagnostics), key=lambda d: (d.file, d.line, d.path, d.message)))
    return replace(build.specs(sources.root, specs_digest(sources), valid), warnings=tuple(lint(valid)) if lint else ())


def specs_digest(sources: SourceSet) -> str:
    """sha256 over the spec files' names and bytes: identifies exactly the specs a report used."""
    h = hashlib.sha256()
    for name, raw in sorted(sources.files):
        h.update(name.encode() + b"\0" + hashlib.sha256(raw).digest())
    return "sha256:" + h.hexdigest()


def schema_diagnostics(doc: Document) -> Iterator[Diagnostic]:
    """Problems of one document against the JSON Schema of its ``kind``."""
    data = doc.data
    if not isinstance(data, LocDict):
        yield Diagnostic(doc.file, doc.line, "", "a spec document must be a mapping with a 'kind'")
        return
    kind = data.get("kind")
    known = resources.kinds()
    if kind is None:
        yield Diagnostic(doc.file, data.line, "kind", f"missing required key 'kind' (one of: {', '.join(known)})")
        return
    if not isinstance(kind, str) or resources.schema(kind) is None:
        yield Diagnostic(doc.file, data.line_of("kind"), "kind", f"unknown kind {kind!r}{did_you_mean(str(kind), known)} (known: {', '.join(known)})")
        return
    errors = sorted(_validator(kind).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        yield from _explain(doc, error)


@lru_cache(maxsize=None)
def _validator(kind: str):
    from jsonschema import Draft202012Validator, validators
    from jsonschema._keywords import oneOf

    def one_of(validator, subschemas, instance, schema):
        # Same meaning as oneOf; when every branch is a bare `required` (a check's
        # "exactly one of table/column/index/constraint"), count keys instead of
        # validating each branch, which is most of the time on large fingerprints.
        if isinstance(instance, dict) and all(set(s) == {"required"} for s in subschemas):
            if sum(all(k in instance for k in s["required"]) for s in subschemas) == 1:
                return
        yield from oneOf(validator, subschemas, instance, schema)

    from jsonschema._keywords import items as default_items

    valid_shapes: dict[int, set] = {}

    def items(validator, items_schema, instance, schema):
        # Array items with the same shape (see _shaper) validate alike: each shape is validated
        # once, so a list of 50,000 grant names or 5,000 seed rows costs one validation per shape.
        shape = _shaper(items_schema)
        if shape is None or not validator.is_type(instance, "array") or schema.get("prefixItems"):
            yield from default_items(validator, items_schema, instance, schema)
            return
        seen = valid_shapes.setdefault(id(items_schema), set())
        for index, item in enumerate(instance):
            key = shape(item)
            if key in seen:
                continue
            errors = list(validator.descend(item, items_schema, path=index))
            if not errors:
                seen.add(key)
            yield from errors

    fast = validators.extend(Draft202012Validator, {"oneOf": one_of, "items": items})
    schema = resources.schema(kind)
    return fast(_inline_refs(schema, schema.get("$defs", {})))


# Keywords whose verdict depends only on which keys an object has and on the JSON types of
# its values (strings and lists: only whether they are empty), never on a value's text.
_TYPE_ONLY = {"type", "properties", "additionalProperties", "required", "dependentRequired", "items", "oneOf", "anyOf",
              "minLength", "minItems", "description", "title", "default", "$comment"}
_ANNOTATIONS = {"description", "title", "default", "$comment"}


def _type_only(schema) -> bool:
    """Whether ``schema``'s verdict on a value depends on nothing but ``_type_sig`` of it."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not set(schema) <= _TYPE_ONLY:
        return False
    if schema.get("minLength", 0) > 1 or schema.get("minItems", 0) > 1:
        return False
    if not all(set(b) == {"required"} for b in schema.get("oneOf", []) + schema.get("anyOf", [])):
        return False
    subs = list(schema.get("properties", {}).values()) + [schema.get("additionalProperties", True), schema.get("items", True)]
    return all(_type_only(sub) for sub in subs)


def _type_sig(value):
    """A value's JSON types, recursively (plus whether strings and lists are empty), as a hashable key."""
    if isinstance(value, str):
        return "s" if value else "e"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return "i" if value.is_integer() else "f"
    if isinstance(value, int):
        return "i"
    if isinstance(value, list):
        return ("L", bool(value), frozenset(_type_sig(v) for v in value))
    if isinstance(value, dict):
        return ("D", tuple(sorted((str(k), _type_sig(v)) for k, v in value.items())))
    return ("?", repr(value))


def _exact(value):
    return json.dumps(value, sort_keys=True, default=str)


_SHAPERS: dict[int, object] = {}


def _shaper(schema):
    """A function mapping an item to a key such that items with equal keys get the same verdict
    from ``schema``, or None. A type-only schema keys items by their types; an object schema made of
    key-only keywords keys them by their keys, each value by its type where its own subschema is
    type-only and by its exact value otherwise (an enum, a pattern, a const)."""
    if id(schema) in _SHAPERS:
        return _SHAPERS[id(schema)]
    shaper = None
    if _type_only(schema):
        shaper = _type_sig
    elif isinstance(schema, dict) and schema.get("type") == "object" and set(schema) <= _TYPE_ONLY \
            and all(set(b) == {"required"} for b in schema.get("oneOf", []) + schema.get("anyOf", [])) \
            and schema.get("additionalProperties", False) is False:
        typed = {k for k, sub in schema.get("properties", {}).items() if _type_only(sub)}
        shaper = lambda item: (  # noqa: E731
            tuple(sorted((k, _type_sig(v) if k in typed else _exact(v)) for k, v in item.items()))
            if isinstance(item, dict) else _exact(item))
    _SHAPERS[id(schema)] = shaper
    return shaper


def _inline_refs(node, defs):
    """The schema with local ``#/$defs/..`` references replaced by their targets.

    Same meaning, but jsonschema no longer resolves a reference per array item,
    which is most of the validation time for a fingerprint of thousands of checks.
    """
    if isinstance(node, list):
        return [_inline_refs(x, defs) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline_refs(v, defs) for k, v in node.items() if k not in ("$ref", "$defs")}
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return {**_inline_refs(defs[ref.removeprefix("#/$defs/")], defs), **out}
    if ref:
        out["$ref"] = ref
    return out


def _explain(doc: Document, error) -> Iterator[Diagnostic]:
    path = list(error.absolute_path)
    instance = error.instance
    line = _line(doc.data, path)
    where = _path_text(path)
    validator = error.validator
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield Diagnostic(doc.file, instance.line_of(key), _path_text(path + [key]), f"unknown key {key!r}{did_you_mean(str(key), allowed)} (allowed: {', '.join(allowed)})")
        return
    if validator == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield Diagnostic(doc.file, getattr(instance, "line", line), where, f"missing required key {key!r}")
        return
    yield Diagnostic(doc.file, line, where, _message(error))


def _message(error) -> str:
    v, value, instance = error.validator, error.validator_value, error.instance
    if v in ("oneOf", "anyOf") and all(set(s) == {"required"} for s in value):
        options = [s["required"][0] for s in value]
        present = [k for k in options if isinstance(instance, dict) and k in instance]
        if present:
            return f"takes exactly one of {', '.join(options)}; found {', '.join(present)}"
        return f"needs one of {', '.join(options)}"
    if v == "maxProperties" and isinstance(instance, dict):
        return f"takes exactly one key, found {len(instance)}: {', '.join(map(str, instance))}"
    if v == "minProperties" and isinstance(instance, dict):
        return "is empty" if not instance else f"needs at least {value} keys"
    if v == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        return f"expected {expected}, got {_type_name(instance)} {instance!r}"
    if v == "enum":
        return f"{instance!r} is not one of: {', '.join(map(str, value))}{did_you_mean(str(instance), [str(x) for x in value])}"
    if v == "const":
        return f"must be {value!r}"
    if v == "dependentRequired" and isinstance(instance, dict):
        for key, needs in value.items():
            missing = [n for n in needs if n not in instance]
            if key in instance and missing:
                return f"{key!r} applies only together with {' and '.join(map(repr, missing))}"
    if v == "pattern":
        title = error.schema.get("title")
        return f"{instance!r} is not a valid {title}" if title else f"{instance!r} does not match {value}"
    return error.message


def _type_name(value) -> str:
    return {dict: "mapping", LocDict: "mapping", list: "list", LocList: "list", str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def _line(data, path: list) -> int:
    node, line = data, getattr(data, "line", 0)
    for part in path:
        if isinstance(node, LocDict) and part in node:
            line = node.value_lines.get(part, node.line_of(part)) if not isinstance(node[part], (LocDict, LocList)) else node[part].line or node.line_of(part)
            node = node[part]
        elif isinstance(node, LocList) and isinstance(part, int) and part < len(node):
            line = node.line_of(part)
            node = node[part]
        else:
            break
    return line


def _path_text(path: Iterable) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
