"""Rbac reconciliation: declared roles, permissions and grants against the live rows, set-based.

Per rbac spec, set-based reads (roles and permissions by their declared keys, as the
database compares keys, and the grants of the declared roles joined to both by natural
key; with ``prune: true`` also every role, permission and grant, and the grant rows whose
role or permission row is gone) become row batches: insert or correct permissions and
roles, grant what is missing and, with prune, revoke undeclared grants of declared roles,
delete those dangling grant rows, and delete undeclared roles and permissions with their
grants (destructive, RC106). Declared grants are expanded once (``Rbac.wanted_grants``:
literal names by lookup, each glob compiled once), and every comparison is a set or
dictionary lookup, so planning is linear in roles + permissions + grants.

Which column a grant references is read from the grants table's foreign key (else the
referenced table's one-column primary key). Role and permission keys, and the (role,
permission) pair of the grants table, must be keys the database enforces.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy.exc import DBAPIError
from sqlglot import exp

from ..errors import Diagnostic, SpecError
from ..inspect.state import SchemaState, referenced
from ..spec import types
from ..spec.model import ObjectRef, Rbac
from ..target import sqlexec
from ..target.connection import driver_message
from ..target.rowsql import Limits
from . import rbac_sql as sql
from . import values
from .rbac_sql import Entity
from .rows import (
    SeedPlan,
    as_declared,
    bindable,
    enforced_key,
    key_of,
    keyed_reads,
    table_node,
    unenforced,
    update_batch,
)

TEXT = values.Column("text")


def unit_id(rbac: Rbac) -> str:
    """The ledger key of an rbac spec's runs."""
    return f"rbac:{rbac.name}"


def checksum(rbac: Rbac) -> str:
    """sha256 of what the spec declares (not its description)."""
    body = {"tables": repr(rbac.tables), "permissions": [repr(p) for p in rbac.permissions],
            "roles": [repr(r) for r in rbac.roles], "prune": rbac.prune}
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def plan_rbac(rbacs, conn, live: SchemaState, sim: SchemaState, limit: int | None = None) -> list[SeedPlan]:
    """Plan every rbac spec; ``sim`` is the schema after the pending units (a table they create reads as empty)."""
    problems, plans = [], []
    for rbac in rbacs:
        try:
            plans.append(_plan(rbac, conn, live, sim, Limits.of(conn, limit)))
        except SpecError as exc:
            problems += exc.diagnostics
    if problems:
        raise SpecError(problems)
    return plans


def _refuse(rbac: Rbac, problems: list[str]) -> SpecError:
    return SpecError([Diagnostic(rbac.source.file, rbac.source.line, f"rbac {rbac.name}: tables", p) for p in problems])


def _plan(rbac: Rbac, conn, live: SchemaState, sim: SchemaState, limit: Limits) -> SeedPlan:
    t = rbac.tables
    roles, perms, found = _entities(rbac, sim)
    if found:
        raise _refuse(rbac, found)
    written = tuple((ref.schema or sim.default_schema, ref.table) for ref in (t.permissions, t.roles, t.grants))
    pending = _pending_columns(rbac, roles, perms, live)
    if pending:
        return SeedPlan(unit_id(rbac), checksum(rbac), rbac.source, rbac.description, (), tables=written, deferred=(
            f"rbac {rbac.name}: {', '.join(pending)} come{'s' if len(pending) == 1 else ''} with a pending unit;"
            " its rows are planned once that unit is applied (run plan again)"))
    reader = _Reader(conn, live, limit)
    try:
        read = _read(rbac, roles, perms, reader)
    except DBAPIError as exc:
        raise _refuse(rbac, [f"the database refused the query: {driver_message(exc)}"]) from None
    batches = _Diff(rbac, roles, perms, read, sim.dialect).batches()
    return SeedPlan(unit_id(rbac), checksum(rbac), rbac.source, rbac.description, tuple(batches), tuple(reader.reads), written,
                    allow=rbac.allow)


class _Reader:
    """Runs the planning reads of one spec, keeping them; a table that does not exist yet reads as empty."""

    def __init__(self, conn, live: SchemaState, limit: Limits):
        self.conn, self.live, self.limit, self.reads = conn, live, limit, []

    def __call__(self, base: exp.Select, refs, columns=None, keys=(), key_type: str | None = None) -> list:
        if any(self.live.table(ref.schema, ref.table) is None for ref in refs):
            return []
        if columns is not None and not keys:
            return []
        rows, reads = keyed_reads(self.conn, base, columns, [(k,) for k in keys], self.live.dialect, self.limit, (key_type,))
        self.reads += reads
        return rows


def _read(rbac: Rbac, roles: Entity, perms: Entity, read: _Reader) -> dict:
    """What the spec's rows are compared with: keyed reads, and with prune every row."""
    t = rbac.tables
    out = {}
    for name, e, keys in (("roles", roles, [r.name for r in rbac.roles]), ("perms", perms, [p.key for p in rbac.permissions])):
        described = e.description and read.live.table(e.table.schema, e.table.table) is not None \
            and read.live.table(e.table.schema, e.table.table).column(e.description) is not None
        base = exp.select(*[sqlexec.column(c) for c in (e.key, *([e.description] if described else []))]).from_(table_node(e.table))
        out[name] = read(base, [e.table], [sqlexec.column(e.key)], keys, e.types.get(e.key))
        out[name + "_all"] = read(base, [e.table]) if rbac.prune else []
    pairs, refs = sql.grant_read(t, roles, perms), [t.grants, roles.table, perms.table]
    if rbac.prune:
        out["grants"] = read(pairs, refs)
        out["dangling"] = [tuple(bindable(v) for v in row) for row in read(sql.dangling_read(t, roles, perms), refs)]
    else:
        out["grants"] = read(pairs, refs, [sqlexec.column(roles.key, "r")], [r.name for r in rbac.roles], roles.types.get(roles.key))
        out["dangling"] = []
    return out


class _Diff:
    """Declared rows against the rows read -> the spec's batches, in the order apply runs them."""

    def __init__(self, rbac: Rbac, roles: Entity, perms: Entity, read: dict, dialect: str):
        self.rbac, self.roles, self.perms, self.read, self.dialect = rbac, roles, perms, read, dialect
        self.src = rbac.source
        self.declared = {"role": [(r.name, r.description) for r in rbac.roles], "permission": [(p.key, p.description) for p in rbac.permissions]}
        self.found = {"role": self._found(roles, read["roles"]), "permission": self._found(perms, read["perms"])}

    def _found(self, e: Entity, rows) -> dict:
        return as_declared([(key_of(r[:1]), r) for r in rows], [key_of((k,)) for k, _ in self.declared[e.what]], by_database=True)

    def batches(self) -> list:
        out = [*self._upserts(self.perms), *self._upserts(self.roles)]
        grants = self._grants()
        have = set(map(key_of, grants))
        wanted = self.rbac.wanted_grants()  # declared names and keys are text already
        missing = [pair for pair in wanted if pair not in have]
        if missing:
            out.append(sql.grant(self.rbac.tables, self.roles, self.perms, missing, self.dialect, self.src))
        if self.rbac.prune:
            out += self._prune(grants, set(wanted))
        return out

    def _upserts(self, e: Entity):
        found = self.found[e.what]
        inserts: dict[tuple, list] = {}
        updates = []
        for key, description in self.declared[e.what]:
            row = found.get(key_of((key,)))
            described = e.description is not None and description is not None
            if row is None:
                inserts.setdefault((e.key, e.description) if described else (e.key,), []).append((key, description) if described else (key,))
                continue
            stored = row[1] if len(row) > 1 else None  # a description column not there yet reads as NULL
            if described and not values.same(description, stored, TEXT):
                updates.append(((key, description), (stored,)))
        for columns, rows in inserts.items():
            yield sql.entity_insert(e, columns, rows, self.dialect, self.src)
        if updates:
            yield update_batch(e.table, (e.key,), (e.description,), updates, e.types, self.dialect, self.src, e.what)

    def _spelling(self, e: Entity) -> dict:
        """Stored key -> declared spelling, for the declared rows the database found."""
        found = self.found[e.what]
        return {row[0]: k for k, _ in self.declared[e.what] if (row := found.get(key_of((k,)))) is not None}

    def _grants(self) -> list[tuple]:
        """The grants read, as (role, permission) in the declared spelling of declared keys."""
        role_as, perm_as = self._spelling(self.roles), self._spelling(self.perms)
        return [(role_as.get(r, r), perm_as.get(p, p)) for r, p in self.read["grants"]]

    def _prune(self, grants: list[tuple], want: set):
        t, roles, perms = self.rbac.tables, self.roles, self.perms
        role_names = {key_of((r.name,)) for r in self.rbac.roles}
        revoked = [g for g in grants if key_of(g[:1]) in role_names and key_of(g) not in want]
        if revoked:
            yield sql.revoke(t, roles, perms, revoked, self.dialect, self.src)
        if self.read["dangling"]:
            yield sql.dangling_delete(t, roles, perms, self.read["dangling"], self.src)
        gone = set(map(key_of, revoked))
        left = [g for g in grants if key_of(g) not in gone]  # the grants each later delete still finds
        for e, position, rows in ((roles, 0, self.read["roles_all"]), (perms, 1, self.read["perms_all"])):
            matched = {r[0] for r in self.read["roles" if e is roles else "perms"]}
            undeclared = [(r[0],) for r in rows if r[0] not in matched]
            if not undeclared:
                continue
            names = {key_of(r) for r in undeclared}
            taken = [g for g in left if key_of(g[position:position + 1]) in names]
            left = [g for g in left if key_of(g[position:position + 1]) not in names]
            yield sql.entity_delete(t, e, undeclared, len(taken), self.dialect, self.src)


def _entities(rbac: Rbac, sim: SchemaState) -> tuple[Entity | None, Entity | None, list[str]]:
    """Roles and permissions as the grants table references them, or every problem found."""
    t = rbac.tables
    problems = []
    try:
        grants = _require(sim, t.grants, t.grant_role, t.grant_permission)
        if not enforced_key(sim, t.grants, (t.grant_role, t.grant_permission)):
            problems.append(unenforced("the grant", t.grants, (t.grant_role, t.grant_permission)))
    except ValueError as exc:
        problems.append(str(exc))
        grants = None
    out = []
    for what, ref, key, desc, column in (("role", t.roles, t.role_key, t.role_description, t.grant_role),
                                         ("permission", t.permissions, t.permission_key, t.permission_description, t.grant_permission)):
        try:
            out.append(_entity(sim, rbac, what, ref, key, desc, column))
        except ValueError as exc:
            problems.append(str(exc))
    if problems or grants is None:
        return None, None, problems
    return out[0], out[1], []


def _entity(sim: SchemaState, rbac: Rbac, what: str, ref: ObjectRef, key: str, desc: str | None, column: str) -> Entity:
    t = rbac.tables
    table = _require(sim, ref, key, *([desc] if desc else []))
    if not enforced_key(sim, ref, (key,)):
        raise ValueError(unenforced(f"the {what} key", ref, (key,)))
    ident = referenced(sim, t.grants, column, ref)
    col = table.column(ident)
    if col is None:
        raise ValueError(f"{t.grants.table_text}.{column} references {ref.table_text}.{ident}, which does not exist")
    new_id = ident != key and col.default is None and not col.generated
    if new_id and types.family(col.type) != "integer":
        raise ValueError(f"{ref.table_text}.{ident} has no default and is not an integer: recon cannot number new {what}s "
                         f"(give the column a default or make it an identity)")
    return Entity(what, ref, key, desc, ident, new_id, {c.name: c.type for c in table.columns})


def _pending_columns(rbac: Rbac, roles: Entity, perms: Entity, live: SchemaState) -> list[str]:
    """Key, id and grant columns of existing tables that only a pending unit adds (or renames)."""
    t = rbac.tables
    wanted = ((roles.table, (roles.key, roles.id)), (perms.table, (perms.key, perms.id)), (t.grants, (t.grant_role, t.grant_permission)))
    out = []
    for ref, columns in wanted:
        table = live.table(ref.schema, ref.table)
        if table is not None:
            out += [f"{ref.table_text}.{c}" for c in dict.fromkeys(columns) if table.column(c) is None]
    return out


def _require(state: SchemaState, ref: ObjectRef, *columns: str):
    table = state.table(ref.schema, ref.table)
    if table is None:
        raise ValueError(f"table {ref.table_text} does not exist, and no pending unit creates it")
    absent = [c for c in columns if table.column(c) is None]
    if absent:
        raise ValueError(f"{ref.table_text} has no column{'s' if len(absent) > 1 else ''} {', '.join(absent)}")
    return table
