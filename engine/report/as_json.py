"""JSON views: the stable contract format. No decisions here."""

from __future__ import annotations

import json

from ..ledger.table import accepted, approvers  # noqa: F401 - the CLI prints through this module


def to_json(data) -> str:
    """Stable JSON: indented, keys in the order the result defines them; a list of rows (lists of
    scalars) holds one row per line, so a plan of 50,000 rows stays compact and diffs line by line."""
    return "".join(_json(data, 0)) + "\n"


def _json(value, depth: int):
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = list(value.items())
        yield "{\n"
        for i, (key, item) in enumerate(items):
            yield f"{inner}{json.dumps(str(key), ensure_ascii=False)}: "
            yield from _json(item, depth + 1)
            yield ",\n" if i < len(items) - 1 else "\n"
        yield pad + "}"
    elif isinstance(value, (list, tuple)) and value:
        flat = all(isinstance(v, (list, tuple)) and not any(isinstance(x, (dict, list, tuple)) for x in v) for v in value)
        yield "[\n"
        for i, item in enumerate(value):
            yield inner + (json.dumps(item, ensure_ascii=False, default=str) if flat else "".join(_json(item, depth + 1)))
            yield ",\n" if i < len(value) - 1 else "\n"
        yield pad + "]"
    else:
        yield json.dumps(value, ensure_ascii=False, default=str)


def history_json(rows) -> list[dict]:
    """The contract's history form: ``{unit, checksum, scope, status, applied_at, plan_id}`` plus details."""
    return [{"unit": r.unit, "checksum": r.checksum, "scope": r.scope, "status": r.status, "applied_at": r.finished_at,
             "plan_id": r.plan_id, "seq": r.seq, "started_at": r.started_at, "actor": r.actor,
             "engine_version": r.engine_version, "statements": r.statements, "error": r.error,
             "override": r.override, "reason": r.reason, "accepted": accepted(r),
             "approvers": approvers(r)} for r in rows]
