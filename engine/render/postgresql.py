"""PostgreSQL: IF [NOT] EXISTS where the server has it; constraints guarded by DO blocks."""

from __future__ import annotations

from sqlglot import exp

from ..changes.columns import AlterColumn
from ..changes.constraints import AddConstraint
from ..changes.indexes import CreateIndex, DropIndex
from ..inspect.state import SchemaState
from ..spec.model import ObjectRef
from .base import Renderer, ident


class PostgresRenderer(Renderer):
    dialect = "postgresql"
    sqlglot_dialect = "postgres"
    add_column_if_not_exists = True
    drop_column_if_exists = True
    drop_constraint_if_exists = True
    concurrent_index = True

    def identity(self) -> exp.Expression:
        return exp.GeneratedAsIdentityColumnConstraint(this=False)  # BY DEFAULT: an INSERT may still give the value

    def guarded(self, ref: ObjectRef, name: str, statement: exp.Expression) -> str:
        """``statement`` inside a DO block that runs it only while constraint ``name`` is missing on ``ref``."""
        schema = exp.Literal.string(ref.schema) if ref.schema else exp.func("current_schema")
        probe = (
            exp.select(exp.Literal.number(1))
            .from_("pg_catalog.pg_constraint AS c")
            .join("pg_catalog.pg_class AS t", on="t.oid = c.conrelid")
            .join("pg_catalog.pg_namespace AS n", on="n.oid = t.relnamespace")
            .where(exp.column("conname", "c").eq(exp.Literal.string(name)))
            .where(exp.column("relname", "t").eq(exp.Literal.string(ref.table)))
            .where(exp.column("nspname", "n").eq(schema))
        )
        body = f"BEGIN IF NOT EXISTS ({self.sql(probe)}) THEN {self.sql(statement)}; END IF; END"
        tag = "$recon$"
        while tag in body:
            tag = tag[:-1] + "x$"
        return f"DO {tag} {body} {tag}"

    def create_index(self, change: CreateIndex, state: SchemaState) -> list:
        out = super().create_index(change, state)
        if change.concurrently:
            # A failed CONCURRENTLY build leaves an INVALID index behind (inspection ignores it);
            # IF NOT EXISTS would keep it, so it is dropped first.
            leftover = DropIndex(change.name, change.table, concurrently=True, unit=change.unit, source=change.source)
            out = self.drop_index(leftover, state) + out
        return out

    def add_constraint(self, change: AddConstraint, state: SchemaState) -> list:
        return [self.guarded(change.table, change.name, stmt) for stmt in super().add_constraint(change, state)]

    def alter_column(self, change: AlterColumn, state: SchemaState) -> list:
        out = super().alter_column(change, state)
        needs = change.needs(state)
        if needs["type"]:
            action = out[0].args["actions"][0]
            action.set("using", exp.Cast(this=exp.Column(this=ident(change.name)), to=self.datatype(change.type)))
            current = state.table(change.table.schema, change.table.table).column(change.name)
            if needs["default"] and current.default is not None:
                # TYPE casts the old default too, and fails where it cannot ('open' to integer): the
                # alter replaces the default anyway, so it is dropped before the type changes
                out.insert(0, self.alter(change.table, exp.AlterColumn(this=ident(change.name), drop=True)))
        return out
