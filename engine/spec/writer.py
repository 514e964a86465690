"""Frozen ``model`` values -> YAML spec text that ``loader`` and ``build`` read back to the same values.

One writer for every spec kind (``to_document`` dispatches on the model type), used by ``recon
inspect`` and by whatever else writes specs. A value keeps what the model holds, nothing more:
defaults the model cannot tell from an explicit value are left out (a unit's checksum is over
what is written, so writing ``transactional: true`` for a unit that did not would change it).

Strings are quoted wherever a YAML reader might take them for something else: the loader's own
YAML 1.2 rules (``true``, ``0x1F``, ``1e5``) and YAML 1.1's as well (``yes``, ``on``, ``22:00``,
``2026-01-01``, ``0755``), so an editor or another tool reads the same file the same way.
"""

from __future__ import annotations

import math
import re

import yaml

from .model import Canary, Environment, Fingerprint, Invariant, Rbac, Seed, Unit


class _Dumper(yaml.SafeDumper):
    """A safe dumper that quotes a string either YAML 1.1 or recon's loader would read as a non-string."""

    def ignore_aliases(self, data) -> bool:  # a spec never needs anchors: the same list twice is written twice
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)  # a list inside a mapping is indented, as people write it


# The loader's resolvers (YAML 1.2 core) on top of SafeDumper's (YAML 1.1): a string matching any is quoted.
_Dumper.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Dumper.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+)$"),
                              list("-+0123456789"))
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*\.?[0-9_]*)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"),
)


class Flow(dict):
    """A mapping written on one line (``{key: theme, value: light}``): seed rows, column lists' owners."""


class FlowList(list):
    """A list written on one line (``[role_id, permission_id]``)."""


def _float(dumper: _Dumper, value: float):
    if math.isnan(value):
        text = ".nan"
    elif math.isinf(value):
        text = ".inf" if value > 0 else "-.inf"
    else:
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:  # 1e+20: YAML 1.1 wants the dot (1.0e+20)
            text = text.replace("e", ".0e", 1)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


def _string(dumper: _Dumper, value: str):
    style = "|" if "\n" in value and value.strip() == value and not re.search(r"[^\S\n]\n|[\x00-\x08\x0b-\x1f\x7f]", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(float, _float)
_Dumper.add_representer(str, _string)
_Dumper.add_representer(Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
_Dumper.add_representer(FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _list(dumper: _Dumper, value):
    """A list of scalars on one line (``[role_id, permission_id]``), any other list as a block."""
    flat = all(isinstance(v, (str, int, float, bool)) or v is None for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=bool(value) and flat)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(tuple, _list)


def dump(*items, header: str | None = None) -> str:
    """YAML text of model values and plain documents, one YAML document each, ``header`` (lines
    without ``#``) as a comment on top. A tuple of invariants is one ``invariants`` document,
    a tuple of environments one ``environments`` document."""
    docs = [item if isinstance(item, dict) else to_document(item) for item in items]
    body = yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                         width=1 << 20, explicit_start=len(docs) > 1)
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) if header else ""
    return comment + body


def to_document(item) -> dict:
    """The spec document of one model value (a fingerprint, unit, rbac, seed), or of a tuple of
    invariants or environments."""
    if isinstance(item, (tuple, list)) and item:
        if all(isinstance(i, Invariant) for i in item):
            return invariants_document(item)
        if all(isinstance(i, Environment) for i in item):
            return environments_document(item)
    for kind, write in _WRITERS:
        if isinstance(item, kind):
            return write(item)
    raise TypeError(f"no spec document for {type(item).__name__}")


def _put(doc: dict, key: str, value, default=None) -> None:
    """Set ``key`` unless ``value`` is its default (None, empty, or ``default``)."""
    if value is None or value == default or (isinstance(value, (tuple, list, dict)) and not value):
        return
    doc[key] = value


def fingerprint_document(fp: Fingerprint) -> dict:
    doc = {"kind": "fingerprint", "name": fp.name}
    _put(doc, "description", fp.description)
    doc["checks"] = [canary_document(c) for c in fp.checks]
    return doc


def canary_document(c: Canary) -> dict:
    """One check: ``name`` only when it is not the object it checks (the loader's default)."""
    doc: dict = {}
    if c.name != c.object:
        doc["name"] = c.name
    doc[c.kind] = c.object
    _put(doc, "description", c.description)
    if c.kind in ("index", "constraint") and c.ref is not None:
        doc["on"] = c.ref.table_text
    _put(doc, "type", c.type)
    _put(doc, "nullable", c.nullable)
    _put(doc, "constraint_type", c.constraint_type)
    if c.columns is not None:
        doc["columns"] = FlowList(c.columns)
    _put(doc, "unique", c.unique)
    if c.references is not None:
        doc["references"] = c.references.table_text
    return doc


def _operations(ops) -> list:
    return [{op.op: op.args} for op in ops]


def unit_document(u: Unit) -> dict:
    doc = {"kind": "migration", "id": u.id}
    _put(doc, "ticket", u.ticket)
    doc["scope"] = u.scope
    _put(doc, "description", u.description)
    _put(doc, "fixes", FlowList(u.fixes))
    _put(doc, "depends_on", FlowList(u.depends_on))
    _put(doc, "transactional", u.transactional, default=True)
    _put(doc, "lock_timeout", u.lock_timeout)
    _put(doc, "lock_retries", u.lock_retries)
    _put(doc, "statement_timeout", u.statement_timeout)
    _put(doc, "allow", FlowList(u.allow))
    rollback: dict = {}
    _put(rollback, "notes", u.rollback_notes)
    _put(rollback, "operations", _operations(u.rollback))
    if u.rollback_declared and not u.rollback:
        rollback["operations"] = []  # declared empty: not the same unit (checksum, warning) as no list at all
    _put(doc, "rollback", rollback)
    doc["operations"] = _operations(u.operations)
    return doc


def rbac_document(r: Rbac) -> dict:
    t = r.tables
    roles = {"table": t.roles.table_text, "key": t.role_key}
    _put(roles, "description", t.role_description)
    permissions = {"table": t.permissions.table_text, "key": t.permission_key}
    _put(permissions, "description", t.permission_description)
    grants = {"table": t.grants.table_text, "role": t.grant_role, "permission": t.grant_permission}
    doc = {"kind": "rbac", "name": r.name}
    _put(doc, "description", r.description)
    doc["tables"] = {"roles": Flow(roles), "permissions": Flow(permissions), "grants": Flow(grants)}
    _put(doc, "permissions", [Flow(_without_defaults({"key": p.key, "description": p.description, "critical": p.critical}))
                              for p in r.permissions])
    _put(doc, "roles", [Flow(_without_defaults({"name": x.name, "description": x.description, "grants": FlowList(x.grants)}))
                        for x in r.roles])
    doc["prune"] = r.prune
    _put(doc, "allow", FlowList(r.allow))
    return doc


def _without_defaults(values: dict) -> dict:
    out: dict = {}
    for key, value in values.items():
        _put(out, key, value, default=False)
    return out


def seed_document(s: Seed) -> dict:
    doc = {"kind": "seed", "name": s.name}
    _put(doc, "description", s.description)
    doc["table"] = s.table.table_text
    doc["key"] = FlowList(s.key)
    doc["rows"] = [Flow(row) for row in s.rows]
    doc["on_conflict"] = s.on_conflict
    doc["prune"] = s.prune
    _put(doc, "allow", FlowList(s.allow))
    return doc


def invariant_document(i: Invariant) -> dict:
    doc: dict = {"name": i.name}
    _put(doc, "description", i.description)
    if i.kind == "row_count":
        body = {"table": i.table.table_text}
        _put(body, "where", Flow(i.where))
        doc["row_count"] = Flow(body)
        for key in ("min", "max", "equals"):
            _put(doc, key, getattr(i, key))
    elif i.kind == "rows_exist":
        doc["rows_exist"] = Flow({"table": i.table.table_text, "column": i.column, "values": FlowList(i.values)})
    else:
        doc["sql"] = i.sql
        _put(doc, "dialect", i.dialect)
        if i.expect is not None:
            doc["expect"] = i.expect
    return doc


def invariants_document(checks) -> dict:
    return {"kind": "invariants", "checks": [invariant_document(i) for i in checks if i.rbac is None]}


def environment_document(e: Environment) -> dict:
    doc = {"name": e.name, "database_url_env": e.database_url_env}
    _put(doc, "description", e.description)
    _put(doc, "mode", e.mode, default="apply")
    _put(doc, "promote_from", e.promote_from)
    _put(doc, "require_rollback_notes", e.require_rollback_notes, default=False)
    _put(doc, "ledger_table", e.ledger_table)
    _put(doc, "lock_timeout", e.lock_timeout)
    _put(doc, "lock_retries", e.lock_retries)
    _put(doc, "plan_max_age", e.plan_max_age)
    _put(doc, "approvals", None if e.approvals_required is None else {"required": e.approvals_required})
    _put(doc, "windows", [Flow({"days": FlowList(w.days), "start": w.start, "end": w.end, "timezone": w.timezone})
                          for w in e.windows])
    return doc


def environments_document(envs) -> dict:
    return {"kind": "environments", "environments": [environment_document(e) for e in envs]}


_WRITERS = ((Fingerprint, fingerprint_document), (Unit, unit_document), (Rbac, rbac_document), (Seed, seed_document),
            (Invariant, lambda i: invariants_document((i,))), (Environment, lambda e: environments_document((e,))))
