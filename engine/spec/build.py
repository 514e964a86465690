"""Schema-valid, cross-checked documents -> frozen ``model`` values.

Runs only after validation found nothing, so it may assume every shape.
"""

from __future__ import annotations

import hashlib
import json

from .crossref import canary_name
from .loader import Document
from .model import (
    Canary,
    Environment,
    Fingerprint,
    Invariant,
    Operation,
    Permission,
    Rbac,
    RbacTables,
    Role,
    Seed,
    Source,
    Specs,
    Unit,
    Window,
    column_ref,
    table_ref,
)


def specs(root: str, digest: str, docs: dict[str, list[Document]]) -> Specs:
    """The ``Specs`` of validated documents grouped by kind."""
    return Specs(
        root=root,
        digest=digest,
        fingerprints=tuple(fingerprint(d) for d in docs.get("fingerprint", [])),
        units=tuple(unit(d) for d in docs.get("migration", [])),
        rbac=tuple(rbac(d) for d in docs.get("rbac", [])),
        seeds=tuple(seed(d) for d in docs.get("seed", [])),
        invariants=tuple(i for d in docs.get("invariants", []) for i in invariants(d)),
        environments=tuple(e for d in docs.get("environments", []) for e in environments(d)),
    )


def _plain(value):
    return json.loads(json.dumps(value, default=str))


def fingerprint(doc: Document) -> Fingerprint:
    data = doc.data
    checks = data["checks"]
    return Fingerprint(
        name=data["name"],
        checks=tuple(canary(data["name"], Source(doc.file, checks.line_of(i)), c) for i, c in enumerate(checks)),
        source=Source(doc.file, data.line),
        description=data.get("description"),
    )


def canary(fp: str, source: Source, c: dict) -> Canary:
    kind = next(k for k in ("table", "column", "index", "constraint") if k in c)
    target = c[kind]
    ref = table_ref(target) if kind == "table" else column_ref(target) if kind == "column" else (table_ref(c["on"]) if "on" in c else None)
    return Canary(
        name=canary_name(c),
        kind=kind,
        object=target,
        fingerprint=fp,
        source=source,
        ref=ref,
        type=c.get("type"),
        nullable=c.get("nullable"),
        columns=tuple(c["columns"]) if "columns" in c else None,
        unique=c.get("unique"),
        constraint_type=c.get("constraint_type"),
        references=table_ref(c["references"]) if "references" in c else None,
        description=c.get("description"),
    )


def _operations(ops, file: str) -> tuple[Operation, ...]:
    return tuple(Operation(next(iter(op)), _plain(next(iter(op.values()))), Source(file, ops.line_of(i))) for i, op in enumerate(ops))


_NOT_IN_CHECKSUM = ("description", "ticket")


def unit_checksum(data: dict) -> str:
    """sha256 of the normalised unit: what it does, not how it is described."""
    body = {k: v for k, v in _plain(data).items() if k not in _NOT_IN_CHECKSUM}
    body.get("rollback", {}).pop("notes", None)
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def unit(doc: Document) -> Unit:
    data = doc.data
    rollback = data.get("rollback", {})
    return Unit(
        id=data["id"],
        scope=data["scope"],
        operations=_operations(data["operations"], doc.file),
        source=Source(doc.file, data.line),
        checksum=unit_checksum(data),
        ticket=data.get("ticket"),
        description=data.get("description"),
        fixes=tuple(data.get("fixes", ())),
        depends_on=tuple(data.get("depends_on", ())),
        transactional=data.get("transactional", True),
        lock_timeout=data.get("lock_timeout"),
        lock_retries=data.get("lock_retries"),
        statement_timeout=data.get("statement_timeout"),
        allow=tuple(data.get("allow", ())),
        rollback_notes=rollback.get("notes"),
        rollback=_operations(rollback.get("operations", []), doc.file),
        rollback_declared="operations" in rollback,
    )


def rbac(doc: Document) -> Rbac:
    data = doc.data
    t = data["tables"]
    return Rbac(
        name=data["name"],
        tables=RbacTables(
            roles=table_ref(t["roles"]["table"]),
            role_key=t["roles"]["key"],
            permissions=table_ref(t["permissions"]["table"]),
            permission_key=t["permissions"]["key"],
            grants=table_ref(t["grants"]["table"]),
            grant_role=t["grants"]["role"],
            grant_permission=t["grants"]["permission"],
            role_description=t["roles"].get("description"),
            permission_description=t["permissions"].get("description"),
        ),
        permissions=tuple(Permission(p["key"], p.get("description"), p.get("critical", False)) for p in data.get("permissions", [])),
        roles=tuple(Role(r["name"], r.get("description"), tuple(r.get("grants", ()))) for r in data.get("roles", [])),
        source=Source(doc.file, data.line),
        prune=data.get("prune", False),
        description=data.get("description"),
        allow=tuple(data.get("allow", ())),
    )


def seed(doc: Document) -> Seed:
    data = doc.data
    key = data["key"]
    return Seed(
        name=data["name"],
        table=table_ref(data["table"]),
        key=(key,) if isinstance(key, str) else tuple(key),
        rows=tuple(dict(_plain(r)) for r in data["rows"]),
        source=Source(doc.file, data.line),
        on_conflict=data.get("on_conflict", "keep"),
        prune=data.get("prune", False),
        description=data.get("description"),
        row_lines=tuple(data["rows"].line_of(i) for i in range(len(data["rows"]))),
        allow=tuple(data.get("allow", ())),
    )


def invariants(doc: Document) -> list[Invariant]:
    checks = doc.data["checks"]
    return [invariant(Source(doc.file, checks.line_of(i)), c) for i, c in enumerate(checks)]


def invariant(source: Source, c: dict) -> Invariant:
    common = {"name": c["name"], "source": source, "description": c.get("description")}
    if "row_count" in c:
        rc = c["row_count"]
        return Invariant(kind="row_count", table=table_ref(rc["table"]), where=tuple(_plain(rc.get("where", {})).items()),
                         min=c.get("min"), max=c.get("max"), equals=c.get("equals"), **common)
    if "rows_exist" in c:
        re_ = c["rows_exist"]
        return Invariant(kind="rows_exist", table=table_ref(re_["table"]), column=re_["column"], values=tuple(_plain(re_["values"])), **common)
    return Invariant(kind="sql", sql=c["sql"], expect=c.get("expect"), dialect=c.get("dialect"), **common)


def environments(doc: Document) -> list[Environment]:
    envs = doc.data["environments"]
    return [
        Environment(
            name=e["name"],
            database_url_env=e["database_url_env"],
            source=Source(doc.file, envs.line_of(i)),
            mode=e.get("mode", "apply"),
            promote_from=e.get("promote_from"),
            require_rollback_notes=e.get("require_rollback_notes", False),
            windows=tuple(Window(tuple(w["days"]), w["start"], w["end"], w.get("timezone", "UTC")) for w in e.get("windows", [])),
            ledger_table=e.get("ledger_table"),
            lock_timeout=e.get("lock_timeout"),
            lock_retries=e.get("lock_retries"),
            description=e.get("description"),
            plan_max_age=e.get("plan_max_age"),
            approvals_required=e["approvals"]["required"] if "approvals" in e else None,
        )
        for i, e in enumerate(envs)
    ]
