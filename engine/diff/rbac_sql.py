"""The statements of rbac batches, as sqlglot trees with a rows site (``rowsql``).

Grants are written by natural key, never by id: the batch's rows are a derived table of
(role, permission) keys joined to the roles and permissions tables inside the statement,
so a role inserted earlier in the same transaction is found. A new role or permission gets
its id from the database when the id column has a default or is generated; otherwise
``COALESCE(MAX(id), 0) + ROW_NUMBER()`` numbers a batch inside the transaction, under
apply's lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from ..spec.model import ObjectRef, RbacTables, Source
from ..target import rowsql as row_sites
from ..target import sqlexec
from .rows import RowBatch, Statement, count, equal, table_node


@dataclass(frozen=True)
class Entity:
    """Roles or permissions: the table, its natural key, description and id columns, and their types."""

    what: str  # role | permission
    table: ObjectRef
    key: str
    description: str | None
    id: str  # the column grants reference
    new_id: bool  # recon numbers a new row (MAX + ROW_NUMBER): the column has no default and is not generated
    types: dict  # column -> type as the catalog spells it (after the pending units)


def _col(name: str, alias: str | None = None):
    return sqlexec.column(name, alias)


def entity_insert(e: Entity, columns: tuple, rows: list, dialect: str, source: Source) -> RowBatch:
    """INSERT of new roles or permissions: ids from the database, or numbered after ``MAX(id)``."""
    reason = f"{count(len(rows), e.what)} {'is' if len(rows) == 1 else 'are'} missing"
    if not e.new_id:
        site = row_sites.site(dialect, len(columns), tuple(e.types.get(c) for c in columns))
        tree = exp.insert(site.values(), exp.Schema(this=table_node(e.table), expressions=[sqlexec.ident(c) for c in columns]))
    else:
        site = row_sites.site(dialect, len(columns), tuple(e.types.get(c) for c in columns))
        order = exp.Order(expressions=[exp.Ordered(this=_col(e.key, "v"))])
        number = exp.Add(this=_col("base", "m"), expression=exp.Window(this=exp.RowNumber(), order=order))
        base = exp.select(exp.alias_(exp.Coalesce(this=exp.Max(this=_col(e.id)), expressions=[exp.Literal.number(0)]), "base"))
        select = (exp.select(number, *[_col(c, "v") for c in columns]).from_(site.relation("v", columns))
                  .join(base.from_(table_node(e.table)).subquery("m"), join_type="cross"))
        target = exp.Schema(this=table_node(e.table), expressions=[sqlexec.ident(c) for c in (e.id, *columns)])
        tree = exp.insert(select, target)
    return RowBatch("insert_rows", "create", e.table, reason, source, columns, tuple(rows), (Statement(tree, site, len(rows)),))


def _pairs(t: RbacTables, roles: Entity, perms: Entity, site) -> exp.Select:
    """``SELECT r.id, p.id FROM <rows> AS v JOIN roles r ON r.key = v.role JOIN permissions p ON ...``."""
    return (exp.select(_col(roles.id, "r"), _col(perms.id, "p")).from_(site.relation("v", ("role", "permission")))
            .join(table_node(roles.table, "r"), on=equal(roles.key, "role", "r", "v"))
            .join(table_node(perms.table, "p"), on=equal(perms.key, "permission", "p", "v")))


def _pair_site(roles: Entity, perms: Entity, dialect: str):
    return row_sites.site(dialect, 2, (roles.types.get(roles.key), perms.types.get(perms.key)))


def grant(t: RbacTables, roles: Entity, perms: Entity, rows: list, dialect: str, source: Source) -> RowBatch:
    """INSERT the missing grants, their ids looked up by natural key inside the statement."""
    site = _pair_site(roles, perms, dialect)
    target = exp.Schema(this=table_node(t.grants), expressions=[sqlexec.ident(t.grant_role), sqlexec.ident(t.grant_permission)])
    tree = exp.insert(_pairs(t, roles, perms, site), target)
    reason = f"{count(len(rows), 'grant')} {'is' if len(rows) == 1 else 'are'} missing"
    return RowBatch("grant", "create", t.grants, reason, source, ("role", "permission"), tuple(rows), (Statement(tree, site, len(rows)),))


def revoke(t: RbacTables, roles: Entity, perms: Entity, rows: list, dialect: str, source: Source) -> RowBatch:
    """DELETE undeclared grants of declared roles, by natural key."""
    site = _pair_site(roles, perms, dialect)
    pair = exp.Tuple(expressions=[_col(t.grant_role), _col(t.grant_permission)])
    tree = exp.Delete(this=table_node(t.grants), where=exp.Where(this=exp.In(this=pair, query=exp.Subquery(this=_pairs(t, roles, perms, site)))))
    reason = f"{count(len(rows), 'grant')} {'is' if len(rows) == 1 else 'are'} not declared (prune: true)"
    return RowBatch("revoke", "delete", t.grants, reason, source, ("role", "permission"), tuple(rows), (Statement(tree, site, len(rows)),))


def entity_delete(t: RbacTables, e: Entity, rows: list, grants: int, dialect: str, source: Source) -> RowBatch:
    """DELETE undeclared roles or permissions and, first, the ``grants`` grant rows that reference them."""
    column = t.grant_role if e.what == "role" else t.grant_permission
    first = row_sites.site(dialect, 1, (e.types.get(e.key),))
    ids = exp.select(_col(e.id, "x")).from_(table_node(e.table, "x")).where(first.in_([_col(e.key, "x")]))
    of_grants = exp.Delete(this=table_node(t.grants), where=exp.Where(this=exp.In(this=_col(column), query=exp.Subquery(this=ids))))
    second = row_sites.site(dialect, 1, (e.types.get(e.key),))
    rows_delete = exp.Delete(this=table_node(e.table), where=exp.Where(this=second.in_([_col(e.key)])))
    one = len(rows) == 1
    reason = f"{count(len(rows), e.what)} {'is' if one else 'are'} not declared (prune: true); {'its grants go with it' if one else 'their grants go with them'}"
    return RowBatch("delete_rows", "delete", e.table, reason, source, (e.key,), tuple(rows),
                    (Statement(of_grants, first, grants), Statement(rows_delete, second, len(rows))))


def dangling_condition(t: RbacTables, roles: Entity, perms: Entity) -> exp.Expression:
    """A grant row whose role or permission row does not exist (what the inner joins of the reads hide)."""
    inner = "x" if t.grants.table != "x" else "y"  # the grants table is named as itself in the probe

    def exists(e: Entity, column: str) -> exp.Expression:
        probe = exp.select(exp.Literal.number(1)).from_(table_node(e.table, inner)).where(
            exp.EQ(this=_col(e.id, inner), expression=_col(column, t.grants.table)))
        return exp.Not(this=exp.Exists(this=probe))

    return exp.or_(exists(roles, t.grant_role), exists(perms, t.grant_permission))


def dangling_read(t: RbacTables, roles: Entity, perms: Entity) -> exp.Select:
    return exp.select(_col(t.grant_role), _col(t.grant_permission)).from_(table_node(t.grants)).where(dangling_condition(t, roles, perms))


def dangling_delete(t: RbacTables, roles: Entity, perms: Entity, rows: list, source: Source) -> RowBatch:
    """DELETE the grant rows whose role or permission is gone; the plan shows them by their ids."""
    tree = exp.Delete(this=table_node(t.grants), where=exp.Where(this=dangling_condition(t, roles, perms)))
    reason = f"{count(len(rows), 'grant')} whose role or permission no longer exists (prune: true)"
    return RowBatch("delete_rows", "delete", t.grants, reason, source, (t.grant_role, t.grant_permission), tuple(rows),
                    (Statement(tree, None, len(rows)),))


def grant_read(t: RbacTables, roles: Entity, perms: Entity) -> exp.Select:
    """The existing grants as (role key, permission key) pairs, joined by the ids they reference."""
    return (exp.select(_col(roles.key, "r"), _col(perms.key, "p")).from_(table_node(t.grants, "g"))
            .join(table_node(roles.table, "r"), on=equal(t.grant_role, roles.id, "g", "r"))
            .join(table_node(perms.table, "p"), on=equal(t.grant_permission, perms.id, "g", "p")))
