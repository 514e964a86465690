"""The digests of a plan: the state digest (what a plan depends on, as digests per part, recomputed
by apply under its lock) and the content digest that seals plan files (``plan_digest``,
``fleet_digest``) and that approvals sign.

Apart from the planner so that apply, which recomputes them, imports no planning machinery.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields

from ..inspect.state import SchemaState
from ..ledger.table import LedgerRow


def content_digest(body: dict) -> str:
    """sha256 of a plan document's content, independent of key order and layout."""
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _flat(obj) -> dict:
    """A frozen state value as ``dataclasses.asdict`` gives it (their fields are scalars and tuples of
    scalars), without its deep copy: the digest reads thousands of them."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _sha(value) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def state_parts(state: SchemaState, touched, rows: list[LedgerRow], reads=()) -> dict[str, str]:
    """A digest per part of the state a plan depends on: each touched table (columns, indexes,
    constraints, SQLite's CREATE TABLE text) as ``table <schema>.<name>``, ``ledger``, and
    ``rows <unit>`` for the rows a seed or rbac unit read (``reads``: ``SeedRead``s, by their digests)."""
    keys = sorted({tuple(t) for t in touched})
    wanted = set(keys)
    by_table: dict = {key: {"indexes": [], "constraints": []} for key in keys}
    for bucket in ("indexes", "constraints"):
        for k, obj in getattr(state, bucket).items():
            if k[:2] in wanted:
                by_table[k[:2]][bucket].append(json.dumps(_flat(obj), sort_keys=True))
    parts = {}
    for key in keys:
        table = state.tables.get(key)
        body = {"columns": [_flat(c) for c in table.columns] if table else None,
                "indexes": sorted(by_table[key]["indexes"]), "constraints": sorted(by_table[key]["constraints"])}
        if table is not None and table.definition:  # SQLite: a rebuild writes the table as this text declares it
            body["definition"] = table.definition
        parts[f"table {key[0]}.{key[1]}"] = _sha(body)
    parts["ledger"] = _sha([[r.seq, r.unit, r.checksum, r.status] for r in rows])
    for read in reads:
        parts.setdefault(f"rows {read.unit}", [])
        parts[f"rows {read.unit}"].append(read.digest)
    return {k: v if isinstance(v, str) else _sha(v) for k, v in parts.items()}


def state_digest(parts: dict[str, str]) -> str:
    """The one digest over ``state_parts``."""
    return _sha(parts)


def stale_parts(planned: dict[str, str], now: dict[str, str]) -> list[str]:
    """What changed between two ``state_parts``, in words."""
    words = {"ledger": "the ledger (a unit was applied, failed, rolled back or repaired since)"}
    changed = [k for k in sorted(planned.keys() | now.keys()) if planned.get(k) != now.get(k)]
    return [words.get(k, k.replace("rows ", "the rows of ", 1) if k.startswith("rows ") else k) for k in changed]


