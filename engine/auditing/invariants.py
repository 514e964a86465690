"""Invariants: data assertions run on a live connection, each to a named pass/fail result.

``row_count`` and ``rows_exist`` are built as sqlglot trees with bound values;
``sql`` invariants run the declared SELECT (validated as exactly one SELECT).
Every invariant runs inside a savepoint: a query the server refuses (no SELECT
privilege, a view over a dropped table) is that invariant's failing result with the
driver's message, and the read-only transaction stays usable for the rest (on
PostgreSQL a failed statement would otherwise abort it). An rbac spec contributes
its own invariants (see ``from_rbac``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..inspect.state import SchemaState
from ..spec.model import Invariant, ObjectRef, Rbac, Source
from ..target import sqlexec
from ..target.connection import driver_message, redact_text
from .canaries import find_column, find_table


@dataclass(frozen=True)
class InvariantResult:
    """The outcome of one invariant: what was observed against what was expected."""

    name: str
    status: str
    observed: Any
    expected: Any
    detail: str
    source: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "observed": self.observed, "expected": self.expected, "detail": self.detail, "source": self.source}


def from_rbac(rbac: Rbac) -> list[Invariant]:
    """The invariants an rbac spec implies: declared roles and permissions exist, critical ones are granted."""
    t = rbac.tables
    out = []
    if rbac.roles:
        out.append(Invariant(name=f"rbac:{rbac.name}:roles-exist", kind="rows_exist", source=rbac.source, table=t.roles, column=t.role_key, values=tuple(r.name for r in rbac.roles)))
    if rbac.permissions:
        out.append(Invariant(name=f"rbac:{rbac.name}:permissions-exist", kind="rows_exist", source=rbac.source, table=t.permissions, column=t.permission_key, values=tuple(p.key for p in rbac.permissions)))
    critical = tuple(p.key for p in rbac.permissions if p.critical)
    if critical:
        out.append(Invariant(name=f"rbac:{rbac.name}:critical-granted", kind="rbac_granted", source=rbac.source, table=t.permissions, column=t.permission_key, values=critical, rbac=rbac.name))
    return out


def run(invariants, conn, state: SchemaState, rbac_tables=None, scrub=redact_text) -> list[InvariantResult]:
    """Evaluate every invariant; missing tables fail without querying. ``rbac_tables`` maps an rbac
    spec's name to its tables, for the invariants it implies; ``scrub`` removes the target's
    password from a refused query's message."""
    return [_isolated(i, conn, state, rbac_tables or {}, scrub) for i in invariants]


def _isolated(inv: Invariant, conn, state: SchemaState, rbacs, scrub) -> InvariantResult:
    """One invariant in a savepoint: a query the server refuses fails this check alone."""
    # StatementError: what the server refused (DBAPIError), and what the driver refused before sending
    from sqlalchemy.exc import StatementError

    savepoint = conn.begin_nested()
    try:
        result = _RUNNERS[inv.kind](inv, conn, state, rbacs)
    except StatementError as exc:
        savepoint.rollback()
        return _res(inv, False, None, _expected(inv), f"query failed: {scrub(driver_message(exc))}")
    savepoint.commit()
    return result


def _missing(inv: Invariant, state: SchemaState, *refs: ObjectRef) -> InvariantResult | None:
    for ref in refs:
        if find_table(state, ref) is None:
            return _res(inv, False, None, _expected(inv), f"table {ref.table_text} does not exist")
        if ref.column is not None and find_column(state, ref) is None:
            return _res(inv, False, None, _expected(inv), f"column {ref} does not exist")
    return None


def _res(inv: Invariant, ok: bool, observed, expected, detail: str) -> InvariantResult:
    return InvariantResult(inv.name, "pass" if ok else "fail", observed, expected, detail, str(inv.source) if isinstance(inv.source, Source) else None)


def _expected(inv: Invariant):
    if inv.kind == "row_count":
        return {k: v for k, v in (("min", inv.min), ("max", inv.max), ("equals", inv.equals)) if v is not None}
    if inv.kind in ("rows_exist", "rbac_granted"):
        return list(inv.values)
    return inv.expect


def _row_count(inv: Invariant, conn, state, _rbacs) -> InvariantResult:
    from sqlglot import exp

    refs = [inv.table] + [ObjectRef(inv.table.schema, inv.table.table, col) for col, _ in inv.where]
    missing = _missing(inv, state, *refs)
    if missing:
        return missing
    tree = exp.select(exp.Count(this=exp.Star())).from_(sqlexec.table(inv.table.table, inv.table.schema))
    bound: list = []
    for col, value in inv.where:
        if value is None:
            test = exp.Is(this=sqlexec.column(col), expression=exp.Null())
        else:
            test = exp.EQ(this=sqlexec.column(col), expression=sqlexec.param(len(bound)))
            bound.append(value)
        tree = tree.where(test)
    count = int(sqlexec.execute(conn, tree, bound).scalar())
    ok = (inv.min is None or count >= inv.min) and (inv.max is None or count <= inv.max) and (inv.equals is None or count == inv.equals)
    expected = _expected(inv)
    bounds = ", ".join(f"{k} {v}" for k, v in expected.items())
    return _res(inv, ok, count, expected, f"{count} row{'s' if count != 1 else ''} in {inv.table.table_text}{_where_text(inv)} (expected {bounds})")


def _where_text(inv: Invariant) -> str:
    return " where " + " and ".join(f"{c} = {v!r}" for c, v in inv.where) if inv.where else ""


def _matching(conn, tree, column, values, type_: str | None) -> set[str]:
    """The first column of ``tree``'s rows where ``column`` is one of ``values`` (batched, bound), as text."""
    from ..target import rowsql

    keyed = rowsql.keyed(tree, [column], [(v,) for v in values], sqlexec.dialect_of(conn), rowsql.Limits.of(conn), (type_,))
    return {str(row[0]) for sql, _, bound in keyed for row in sqlexec.run_driver(conn, sql, bound)}


def _present(conn, state, ref: ObjectRef, column: str, values) -> set[str]:
    from sqlglot import exp

    tree = exp.select(sqlexec.column(column)).distinct().from_(sqlexec.table(ref.table, ref.schema))
    found = find_column(state, ObjectRef(ref.schema, ref.table, column))
    return _matching(conn, tree, sqlexec.column(column), list(values), found.type if found else None)


def _absent(declared, found: set[str]) -> list:
    """Declared values the database did not return for ``IN (declared)``.

    A returned value equal to no declared one was still matched by the database's own
    comparison (a case-insensitive MySQL collation): it covers the declared values it folds to,
    as plan matches them.
    """
    exact = {str(v) for v in declared}
    folded = {f.casefold().rstrip(" ") for f in found if f not in exact}
    return [v for v in declared if str(v) not in found and str(v).casefold().rstrip(" ") not in folded]


def _rows_exist(inv: Invariant, conn, state, _rbacs) -> InvariantResult:
    missing = _missing(inv, state, ObjectRef(inv.table.schema, inv.table.table, inv.column))
    if missing:
        return missing
    found = _present(conn, state, inv.table, inv.column, inv.values)
    absent = _absent(inv.values, found)
    detail = f"all {len(inv.values)} present in {inv.table.table_text}.{inv.column}" if not absent else f"missing from {inv.table.table_text}.{inv.column}: {', '.join(map(str, absent))}"
    return _res(inv, not absent, {"missing": absent}, list(inv.values), detail)


def _rbac_granted(inv: Invariant, conn, state, rbacs) -> InvariantResult:
    from sqlglot import exp

    t = rbacs[inv.rbac]
    missing = _missing(inv, state, ObjectRef(t.permissions.schema, t.permissions.table, t.permission_key), ObjectRef(t.grants.schema, t.grants.table, t.grant_permission))
    if missing:
        return missing
    pk = _referenced_column(state, t.grants, t.grant_permission, t.permissions)
    values = list(inv.values)
    tree = (
        exp.select(sqlexec.column(t.permission_key, "p")).distinct()
        .from_(exp.alias_(sqlexec.table(t.permissions.table, t.permissions.schema), "p", table=True))
        .join(exp.alias_(sqlexec.table(t.grants.table, t.grants.schema), "g", table=True),
              on=exp.EQ(this=sqlexec.column(t.grant_permission, "g"), expression=sqlexec.column(pk, "p")))
    )
    key = find_column(state, ObjectRef(t.permissions.schema, t.permissions.table, t.permission_key))
    granted = _matching(conn, tree, sqlexec.column(t.permission_key, "p"), values, key.type if key else None)
    absent = _absent(values, granted)
    detail = f"all {len(values)} critical permissions granted" if not absent else f"critical permissions missing or granted to no role: {', '.join(absent)}"
    return _res(inv, not absent, {"ungranted": absent}, values, detail)


def _referenced_column(state: SchemaState, grants: ObjectRef, column: str, target: ObjectRef) -> str:
    """The permissions column the grants table points at (as reconciliation finds it), else ``id``."""
    from ..inspect.state import referenced

    try:
        return referenced(state, grants, column, target)
    except ValueError:
        return "id"


def _sql(inv: Invariant, conn, state, _rbacs) -> InvariantResult:
    from sqlglot import transpile

    text = inv.sql
    dialect = state.dialect
    if inv.dialect and inv.dialect != sqlexec.SQLGLOT_DIALECT[dialect]:
        text = transpile(text, read=inv.dialect, write=sqlexec.SQLGLOT_DIALECT[dialect])[0]
    row = conn.exec_driver_sql(sqlexec.to_driver(text, dialect), {}).first()
    observed = row[0] if row is not None else None
    ok = _same(observed, inv.expect)
    return _res(inv, ok, _jsonable(observed), inv.expect, f"returned {observed!r}, expected {inv.expect!r}")


def _same(observed, expected) -> bool:
    if observed is None or expected is None:
        return observed is expected
    if isinstance(expected, bool):
        return bool(observed) == expected and str(observed).lower() in ("1", "0", "true", "false", "t", "f")
    if isinstance(expected, (int, float)):
        try:
            return float(observed) == float(expected)
        except (TypeError, ValueError):
            return False
    return str(observed) == str(expected)


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


_RUNNERS = {"row_count": _row_count, "rows_exist": _rows_exist, "sql": _sql, "rbac_granted": _rbac_granted}
