"""JSON views: the stable contract format. No decisions here."""

from __future__ import annotations

import json

from ..ledger.table import accepted, approvers  # noqa: F401 - the CLI prints through this module


def to_json(data) -> str:
    """Stable JSON: indented, keys in the order the result defines them; a list of rows (lists of
    scalars) holds one row per line, so a plan of 50,000 rows stays compact and diffs line by line."""
    return "".join(_json(data, 0)) + "\n"


_text = json.encoder.encode_basestring  # json.dumps(str, ensure_ascii=False), without its per-call set-up
_LITERALS = {True: "true", False: "false", None: "null"}


def _scalar(value) -> str:
    """One scalar as ``json.dumps(value, ensure_ascii=False, default=str)`` spells it, the common kinds
    without a call into the encoder (a report of thousands of checks holds tens of thousands)."""
    if type(value) is str:
        return _text(value)
    if value is None or type(value) is bool:
        return _LITERALS[value]
    if type(value) is int:
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


_CONTAINERS = (dict, list, tuple)


def _json(value, depth: int):
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value and not any(isinstance(v, _CONTAINERS) and v for v in value.values()):
        # a dict of scalars (a check's result, a row's outcome: thousands of them): its lines at once
        yield "{\n" + ",\n".join(f"{inner}{_text(str(k))}: {_scalar(v)}" for k, v in value.items()) + "\n" + pad + "}"
    elif isinstance(value, dict) and value:
        last = len(value) - 1
        yield "{\n"
        for i, (key, item) in enumerate(value.items()):
            yield f"{inner}{_text(str(key))}: "
            if isinstance(item, _CONTAINERS) and item:
                yield from _json(item, depth + 1)
            else:
                yield _scalar(item)  # a scalar, or an empty container: no generator for it
            yield ",\n" if i < last else "\n"
        yield pad + "}"
    elif isinstance(value, (list, tuple)) and value:
        flat = all(isinstance(v, (list, tuple)) and not any(isinstance(x, (dict, list, tuple)) for x in v) for v in value)
        last = len(value) - 1
        yield "[\n"
        for i, item in enumerate(value):
            yield inner + (json.dumps(item, ensure_ascii=False, default=str) if flat else "".join(_json(item, depth + 1)))
            yield ",\n" if i < last else "\n"
        yield pad + "]"
    else:
        yield _scalar(value)


def history_json(rows) -> list[dict]:
    """The contract's history form: ``{unit, checksum, scope, status, applied_at, plan_id}`` plus details."""
    return [{"unit": r.unit, "checksum": r.checksum, "scope": r.scope, "status": r.status, "applied_at": r.finished_at,
             "plan_id": r.plan_id, "seq": r.seq, "started_at": r.started_at, "actor": r.actor,
             "engine_version": r.engine_version, "statements": r.statements, "error": r.error,
             "override": r.override, "reason": r.reason, "accepted": accepted(r),
             "approvers": approvers(r)} for r in rows]
