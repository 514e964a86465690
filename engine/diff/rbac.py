"""Rbac reconciliation: declared roles, permissions and grants against the live rows.

Per rbac spec, three set-based reads (roles, permissions, and the grants
joined to both, by natural key) become row changes in a safe order: insert or
correct permissions, then roles, then grant what is missing; with ``prune:
true`` also revoke undeclared grants of declared roles and delete undeclared
roles and permissions with their grants (destructive, RC106).

Grants are written by natural key, never by id: ``INSERT INTO grants (role,
permission) SELECT r.id, p.id FROM roles r CROSS JOIN permissions p WHERE
r.name = :role AND p.key = :permission``, so a role inserted earlier in the
same transaction is found. Which column a grant references is read from the
grants table's foreign key (else the referenced table's one-column primary
key). A new role or permission gets its id from the database when the id
column has a default or is generated (identity, AUTO_INCREMENT, SQLite rowid);
otherwise recon gives it ``COALESCE(MAX(id), 0) + 1`` inside the transaction,
under apply's lock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlglot import exp

from .. import sqlexec, types
from ..errors import Diagnostic, SpecError
from ..inspect.state import SchemaState
from ..model import ObjectRef, Rbac, Source
from ..target import driver_message
from . import values
from .seeds import RowChange, SeedPlan, SeedRead, as_declared, key_of, recorded_read, show


TEXT = values.Column("text")


def unit_id(rbac: Rbac) -> str:
    """The ledger key of an rbac spec's runs."""
    return f"rbac:{rbac.name}"


def checksum(rbac: Rbac) -> str:
    """sha256 of what the spec declares (not its description)."""
    body = {"tables": repr(rbac.tables), "permissions": [repr(p) for p in rbac.permissions],
            "roles": [repr(r) for r in rbac.roles], "prune": rbac.prune}
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Entity:
    """Roles or permissions: the table, its natural key, description and id columns."""

    what: str  # role | permission
    table: ObjectRef
    key: str
    description: str | None
    id: str  # the column grants reference
    new_id: bool  # recon picks the id of a new row (MAX + 1): the column has no default and is not generated


def plan_rbac(rbacs, conn, live: SchemaState, sim: SchemaState) -> list[SeedPlan]:
    """Plan every rbac spec; ``sim`` is the schema after the pending units (a table they create reads as empty)."""
    problems, plans = [], []
    for rbac in rbacs:
        t = rbac.tables
        where = (rbac.source.file, rbac.source.line)
        roles, perms, found = _entities(rbac, sim)
        if found:
            problems += [Diagnostic(*where, f"rbac {rbac.name}: tables", p) for p in found]
            continue
        written = tuple((ref.schema or sim.default_schema, ref.table) for ref in (t.permissions, t.roles, t.grants))
        pending = _pending_columns(rbac, roles, perms, live)
        if pending:
            plans.append(SeedPlan(unit_id(rbac), checksum(rbac), rbac.source, rbac.description, (), tables=written, deferred=(
                f"rbac {rbac.name}: {', '.join(pending)} come{'s' if len(pending) == 1 else ''} with a pending unit;"
                " its rows are planned once that unit is applied (run plan again)")))
            continue
        reads: list[SeedRead] = []

        def read(tree, bound, table: ObjectRef, *others: ObjectRef) -> list:
            if any(live.table(ref.schema, ref.table) is None for ref in (table, *others)):
                return []
            rows, recorded = recorded_read(conn, tree, bound, live.dialect)
            reads.append(recorded)
            return rows

        try:
            role_rows = read(*_entity_select(roles, [r.name for r in rbac.roles], rbac.prune, live), roles.table)
            perm_rows = read(*_entity_select(perms, [p.key for p in rbac.permissions], rbac.prune, live), perms.table)
            grant_rows = read(*_grant_select(rbac, roles, perms), t.grants, roles.table, perms.table)
        except DBAPIError as exc:
            problems.append(Diagnostic(*where, f"rbac {rbac.name}: tables", f"the database refused the query: {driver_message(exc)}"))
            continue
        changes = _changes(rbac, roles, perms, role_rows, perm_rows, grant_rows)
        plans.append(SeedPlan(unit_id(rbac), checksum(rbac), rbac.source, rbac.description, tuple(changes), tuple(reads), written))
    if problems:
        raise SpecError(problems)
    return plans


def _entities(rbac: Rbac, sim: SchemaState) -> tuple[Entity | None, Entity | None, list[str]]:
    """Roles and permissions as the grants table references them, or every problem found."""
    t = rbac.tables
    problems = []
    try:
        _require(sim, t.grants, t.grant_role, t.grant_permission)
    except ValueError as exc:
        problems.append(str(exc))
    out = []
    for what, ref, key, desc, column in (("role", t.roles, t.role_key, t.role_description, t.grant_role),
                                         ("permission", t.permissions, t.permission_key, t.permission_description, t.grant_permission)):
        try:
            table = _require(sim, ref, key, *([desc] if desc else []))
            ident = referenced(sim, t.grants, column, ref)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        col = table.column(ident)
        if col is None:
            problems.append(f"{t.grants.table_text}.{column} references {ref.table_text}.{ident}, which does not exist")
            continue
        new_id = ident != key and col.default is None and not col.generated
        if new_id and types.family(col.type) != "integer":
            problems.append(f"{ref.table_text}.{ident} has no default and is not an integer: recon cannot number new {what}s "
                            f"(give the column a default or make it an identity)")
            continue
        out.append(Entity(what, ref, key, desc, ident, new_id))
    if problems:
        return None, None, problems
    return out[0], out[1], []


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


def referenced(state: SchemaState, grants: ObjectRef, column: str, target: ObjectRef) -> str:
    """The column of ``target`` that ``grants.column`` points at: its foreign key's, else ``target``'s one-column primary key."""
    schema = grants.schema or state.default_schema
    target_schema = target.schema or state.default_schema
    for (s, tbl, _), con in state.constraints.items():
        if (s, tbl) == (schema, grants.table) and con.kind == "foreign_key" and con.columns == (column,) \
                and con.ref_table == target.table and (con.ref_schema or s) == target_schema and con.ref_columns:
            return con.ref_columns[0]
    for (s, tbl, _), con in state.constraints.items():
        if (s, tbl) == (target_schema, target.table) and con.kind == "primary_key" and len(con.columns) == 1:
            return con.columns[0]
    raise ValueError(f"cannot tell which column of {target.table_text} {grants.table_text}.{column} references: "
                     f"declare a foreign key, or give {target.table_text} a one-column primary key")


def _table(ref: ObjectRef, alias: str | None = None):
    node = sqlexec.table(ref.table, ref.schema)
    return exp.alias_(node, alias, table=True) if alias else node


def _in(column, count: int, offset: int = 0):
    return exp.In(this=column, expressions=[sqlexec.param(offset + i) for i in range(count)])


def _entity_select(e: Entity, keys: list[str], everything: bool, live: SchemaState):
    """(tree, values) reading key and description of the declared rows (every row when pruning).

    A description column that only a pending unit adds is not read (it reads as NULL).
    """
    now = live.table(e.table.schema, e.table.table)
    described = e.description and now is not None and now.column(e.description) is not None
    cols = [sqlexec.column(e.key)] + ([sqlexec.column(e.description)] if described else [])
    tree = exp.select(*cols).from_(_table(e.table)).order_by(sqlexec.column(e.key))
    if everything:
        return tree, []
    if not keys:
        return tree.where(exp.false()), []
    return tree.where(_in(sqlexec.column(e.key), len(keys))), list(keys)


def _grant_select(rbac: Rbac, roles: Entity, perms: Entity):
    """(tree, values): the existing grants as (role key, permission key) pairs, of the declared roles (all when pruning)."""
    t = rbac.tables
    tree = (
        exp.select(sqlexec.column(roles.key, "r"), sqlexec.column(perms.key, "p"))
        .from_(_table(t.grants, "g"))
        .join(_table(roles.table, "r"), on=exp.EQ(this=sqlexec.column(t.grant_role, "g"), expression=sqlexec.column(roles.id, "r")))
        .join(_table(perms.table, "p"), on=exp.EQ(this=sqlexec.column(t.grant_permission, "g"), expression=sqlexec.column(perms.id, "p")))
        .order_by(sqlexec.column(roles.key, "r"), sqlexec.column(perms.key, "p"))
    )
    names = [r.name for r in rbac.roles]
    if rbac.prune:
        return tree, []
    if not names:
        return tree.where(exp.false()), []
    return tree.where(_in(sqlexec.column(roles.key, "r"), len(names))), names


def _changes(rbac: Rbac, roles: Entity, perms: Entity, role_rows, perm_rows, grant_rows):
    src = rbac.source
    declared_perms = [(p.key, p.description) for p in rbac.permissions]
    declared_roles = [(r.name, r.description) for r in rbac.roles]
    found_perms = as_declared([(key_of(r[:1]), r) for r in perm_rows], [key_of((k,)) for k, _ in declared_perms], by_database=not rbac.prune)
    found_roles = as_declared([(key_of(r[:1]), r) for r in role_rows], [key_of((k,)) for k, _ in declared_roles], by_database=not rbac.prune)
    yield from _upserts(perms, declared_perms, found_perms, src)
    yield from _upserts(roles, declared_roles, found_roles, src)
    # grants compare by the declared spelling of their role and permission keys
    role_as = {row[0]: k for (k, _) in declared_roles if (row := found_roles.get(key_of((k,)))) is not None}
    perm_as = {row[0]: k for (k, _) in declared_perms if (row := found_perms.get(key_of((k,)))) is not None}
    grant_rows = [(role_as.get(r, r), perm_as.get(p, p)) for r, p in grant_rows]
    have = {key_of(row) for row in grant_rows}
    wanted = [(r.name, k) for r in rbac.roles for k in r.granted(rbac.permissions)]
    for role, perm in wanted:
        if key_of((role, perm)) not in have:
            yield RowChange("grant", "create", _grant_name(rbac, role, perm), "grant is missing", src,
                            (_grant_insert(rbac, roles, perms, role, perm),))
    if not rbac.prune:
        return
    want = {key_of(pair) for pair in wanted}
    role_names = {key_of((r.name,)) for r in rbac.roles}
    for role, perm in grant_rows:
        if key_of((role,)) in role_names and key_of((role, perm)) not in want:
            yield RowChange("revoke", "delete", _grant_name(rbac, role, perm), "grant is not declared (prune: true)", src,
                            (_grant_delete(rbac, roles, perms, role, perm),))
    for e, declared, rows in ((roles, declared_roles, role_rows), (perms, declared_perms, perm_rows)):
        names = {key_of((k,)) for k, _ in declared}
        for row in rows:
            if key_of(row[:1]) not in names:
                yield RowChange("delete_row", "delete", _name(e, row[0]), f"{e.what} is not declared (prune: true); its grants go with it",
                                src, (_grants_of(rbac, e, row[0]), _entity_delete(e, row[0])))


def _upserts(e: Entity, declared, found: dict, src: Source):
    for key, description in declared:
        row = found.get(key_of((key,)))
        if row is None:
            yield RowChange("insert_row", "create", _name(e, key), f"{e.what} is missing", src, (_entity_insert(e, key, description),))
            continue
        stored = row[1] if len(row) > 1 else None  # a description column not there yet reads as NULL
        if e.description and description is not None and not values.same(description, stored, TEXT):
            tree = exp.Update(this=_table(e.table), expressions=[exp.EQ(this=sqlexec.column(e.description), expression=sqlexec.param(0))],
                              where=exp.Where(this=exp.EQ(this=sqlexec.column(e.key), expression=sqlexec.param(1))))
            yield RowChange("update_row", "update", _name(e, key), f"{e.description} is {show(stored)}, declared {show(description)}", src,
                            ((tree, (description, key)),))


def _entity_insert(e: Entity, key: str, description: str | None):
    """INSERT of a new role or permission; the id from the database, or ``COALESCE(MAX(id), 0) + 1``."""
    cols, values = [e.key], [key]
    if e.description and description is not None:
        cols.append(e.description)
        values.append(description)
    target = exp.Schema(this=_table(e.table), expressions=[sqlexec.ident(c) for c in ([e.id] if e.new_id else []) + cols])
    if not e.new_id:
        return exp.insert(exp.values([tuple(sqlexec.param(i) for i in range(len(values)))]), target), tuple(values)
    next_id = exp.Add(this=exp.Coalesce(this=exp.Max(this=sqlexec.column(e.id)), expressions=[exp.Literal.number(0)]),
                      expression=exp.Literal.number(1))
    select = exp.select(next_id, *[sqlexec.param(i) for i in range(len(values))]).from_(_table(e.table))
    return exp.insert(select, target), tuple(values)


def _id_of(e: Entity, alias: str, index: int):
    """``(SELECT alias.id FROM table alias WHERE alias.key = :index)``, for ``IN``."""
    return exp.Subquery(this=exp.select(sqlexec.column(e.id, alias)).from_(_table(e.table, alias))
            .where(exp.EQ(this=sqlexec.column(e.key, alias), expression=sqlexec.param(index))))


def _grant_insert(rbac: Rbac, roles: Entity, perms: Entity, role: str, perm: str):
    t = rbac.tables
    select = (exp.select(sqlexec.column(roles.id, "r"), sqlexec.column(perms.id, "p"))
              .from_(_table(roles.table, "r")).join(_table(perms.table, "p"), join_type="cross")
              .where(exp.and_(exp.EQ(this=sqlexec.column(roles.key, "r"), expression=sqlexec.param(0)),
                              exp.EQ(this=sqlexec.column(perms.key, "p"), expression=sqlexec.param(1)))))
    target = exp.Schema(this=_table(t.grants), expressions=[sqlexec.ident(t.grant_role), sqlexec.ident(t.grant_permission)])
    return exp.insert(select, target), (role, perm)


def _grant_delete(rbac: Rbac, roles: Entity, perms: Entity, role: str, perm: str):
    t = rbac.tables
    where = exp.and_(exp.In(this=sqlexec.column(t.grant_role), query=_id_of(roles, "r", 0)),
                     exp.In(this=sqlexec.column(t.grant_permission), query=_id_of(perms, "p", 1)))
    return exp.Delete(this=_table(t.grants), where=exp.Where(this=where)), (role, perm)


def _grants_of(rbac: Rbac, e: Entity, key: str):
    t = rbac.tables
    column = t.grant_role if e.what == "role" else t.grant_permission
    where = exp.In(this=sqlexec.column(column), query=_id_of(e, "x", 0))
    return exp.Delete(this=_table(t.grants), where=exp.Where(this=where)), (key,)


def _entity_delete(e: Entity, key: str):
    where = exp.EQ(this=sqlexec.column(e.key), expression=sqlexec.param(0))
    return exp.Delete(this=_table(e.table), where=exp.Where(this=where)), (key,)


def _name(e: Entity, key) -> str:
    return f"{e.table.table_text}[{e.key}={key!r}]"


def _grant_name(rbac: Rbac, role, perm) -> str:
    return f"{rbac.tables.grants.table_text}[{role!r} -> {perm!r}]"
