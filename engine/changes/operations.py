"""Declared operations -> changes: one builder per operation name."""

from __future__ import annotations

from dataclasses import replace

from ..auditing.canaries import Guard
from ..spec import defaults
from ..spec.model import Operation, table_ref
from .base import UNSET, Change, ColumnDef, ForeignKey
from .columns import AddColumn, AlterColumn, DropColumn, RenameColumn
from .constraints import AddConstraint, DropConstraint
from .indexes import CreateIndex, DropIndex
from .rawsql import RawSQL
from .tables import CreateTable, DropTable


def _fk(body: dict | None, column: str | None = None) -> ForeignKey | None:
    if not body:
        return None
    cols = tuple(body.get("columns") or ([body["column"]] if "column" in body else []))
    return ForeignKey(table_ref(body["table"]), cols, body.get("on_delete"))


def _coldef(c: dict) -> ColumnDef:
    return ColumnDef(c["name"], c["type"], c.get("nullable", True), defaults.declared(c.get("default", UNSET)),
                     c.get("primary_key", False), c.get("unique", False), _fk(c.get("references")), c.get("identity", False))


def _create_table(a, **k):
    return CreateTable(table_ref(a["table"]), tuple(_coldef(c) for c in a["columns"]), tuple(a.get("primary_key", ())), **k)


def _add_column(a, **k):
    """The column, then each constraint it declares as a change of its own (so a half-done
    unit on MySQL resumes at the constraint instead of calling the column "present")."""
    col, ref = _coldef(a), table_ref(a["table"])
    out = [AddColumn(ref, replace(col, unique=False, references=None), **k)]
    if col.unique:
        out.append(AddConstraint(f"{ref.table}_{col.name}_key", ref, "unique", (col.name,), derived="unique", **k))
    if col.references:
        out.append(AddConstraint(f"{ref.table}_{col.name}_fkey", ref, "foreign_key", (col.name,), col.references,
                                 derived="references", **k))
    return out


def _alter_column(a, **k):
    return AlterColumn(table_ref(a["table"]), a["name"], a.get("type"), a.get("nullable"), defaults.declared(a.get("default", UNSET)),
                       a.get("drop_default", False), **k)


def _rename_column(a, **k):
    return RenameColumn(table_ref(a["table"]), a["name"], a["new_name"], **k)


def _create_index(a, **k):
    return CreateIndex(a["name"], table_ref(a["table"]), tuple(a["columns"]), a.get("unique", False), a.get("concurrently", False), a.get("where"), a.get("dialect", "postgres"), **k)


def _add_constraint_op(a, **k):
    return AddConstraint(a["name"], table_ref(a["table"]), a["type"], tuple(a.get("columns", ())), _fk(a.get("references")), a.get("check"), a.get("dialect", "postgres"), **k)


def _drop_table(a, **k):
    return DropTable(table_ref(a["table"]), a.get("cascade", False), **k)


def _drop_column(a, **k):
    return DropColumn(table_ref(a["table"]), a["name"], **k)


def _drop_index(a, **k):
    return DropIndex(a["name"], table_ref(a["table"]) if a.get("table") else None, a.get("concurrently", False), **k)


def _drop_constraint(a, **k):
    return DropConstraint(a["name"], table_ref(a["table"]), **k)


def _sql(a, **k):
    guard = a.get("guard")
    g = Guard(*next(iter(guard.items()))) if guard else None
    return RawSQL(a["dialect"], tuple(a["statements"]), g, a.get("destructive", False), **k)


_FROM_OPERATION = {
    "create_table": _create_table, "add_column": _add_column, "alter_column": _alter_column,
    "rename_column": _rename_column, "create_index": _create_index, "add_constraint": _add_constraint_op,
    "drop_table": _drop_table, "drop_column": _drop_column, "drop_index": _drop_index,
    "drop_constraint": _drop_constraint, "sql": _sql,
}


def from_operation(unit: str, op: Operation) -> list[Change]:
    """The changes a declared operation asks for (one, except add_column with constraints)."""
    made = _FROM_OPERATION[op.op](op.args, unit=unit, source=op.source, dialects=tuple(op.args.get("dialects", ())))
    return made if isinstance(made, list) else [made]
