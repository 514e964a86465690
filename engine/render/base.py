"""Change -> sqlglot trees -> SQL text; the dialect-neutral part.

A ``Renderer`` has one method per change type (named after ``Change.op``).
Each builds sqlglot expressions from the change (never by transpiling text),
and the dialect subclasses differ by class-level capability flags and a few
overrides. Identifiers are quoted by construction; defaults are literals
escaped by sqlglot (DDL takes no bound parameters).
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp

from ..changes.base import UNSET, Change, ColumnDef, ForeignKey
from ..changes.columns import AddColumn, AlterColumn, DropColumn, RenameColumn
from ..changes.constraints import AddConstraint, DropConstraint
from ..changes.indexes import CreateIndex, DropIndex
from ..changes.rawsql import RawSQL
from ..changes.simstate import referencing
from ..changes.tables import CreateTable, DropTable
from ..errors import Diagnostic, SpecError
from ..inspect.state import SchemaState
from ..spec import defaults, types
from ..spec.model import ObjectRef
from ..target import sqlexec
from ..target.sqlexec import ident

_ON_DELETE = {"cascade": "ON DELETE CASCADE", "restrict": "ON DELETE RESTRICT", "set_null": "ON DELETE SET NULL",
              "set_default": "ON DELETE SET DEFAULT", "no_action": "ON DELETE NO ACTION"}


def table(ref: ObjectRef) -> exp.Table:
    """A quoted ``[schema.]table`` node for a reference."""
    return sqlexec.table(ref.table, ref.schema)


def literal(value) -> exp.Expression:
    """A default value as an escaped SQL literal."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


class Renderer:
    """Dialect-neutral rendering; subclasses set the flags and override what differs."""

    dialect: ClassVar[str] = ""          # recon dialect name (sqlite, postgresql, mysql)
    sqlglot_dialect: ClassVar[str] = ""
    add_column_if_not_exists: ClassVar[bool] = False
    drop_column_if_exists: ClassVar[bool] = False
    create_index_if_not_exists: ClassVar[bool] = True
    drop_index_if_exists: ClassVar[bool] = True
    drop_constraint_if_exists: ClassVar[bool] = False
    index_needs_table: ClassVar[bool] = False     # DROP INDEX i ON t (MySQL)
    concurrent_index: ClassVar[bool] = False      # CREATE/DROP INDEX CONCURRENTLY (PostgreSQL)
    drop_table_cascade: ClassVar[bool] = True     # DROP TABLE ... CASCADE drops the foreign keys pointing at it
    partial_index: ClassVar[bool] = True          # CREATE INDEX ... WHERE
    transactional_ddl: ClassVar[bool] = True
    identity_type: ClassVar[str | None] = None    # the portable type an identity column must be declared as
    # What a CONCURRENTLY build becomes where the dialect has none (a plan warning says so).
    no_concurrent_index: ClassVar[str] = ""

    def render(self, change: Change, state: SchemaState) -> list[str]:
        """The SQL statements that make ``change`` on a database in ``state``."""
        if isinstance(change, AlterColumn) and isinstance(change.default, defaults.Expr):
            self._check_expression_default(change, state)
        method = "raw_sql" if change.op == "sql" else change.op
        out = getattr(self, method)(change, state)
        return [s if isinstance(s, str) else self.sql(s) for s in out]

    def ignored(self, change: Change, state: SchemaState) -> list[str]:
        """What ``change`` asks for that this dialect cannot do and leaves out: each is a plan
        warning (never silent)."""
        if getattr(change, "concurrently", False) and not self.concurrent_index:
            return [f"concurrently: true has no effect on {self.dialect}: {self.no_concurrent_index}"]
        return []

    def sql(self, tree: exp.Expression) -> str:
        return tree.sql(dialect=self.sqlglot_dialect)

    # -- building blocks ---------------------------------------------------------------

    def datatype(self, portable: str) -> exp.DataType:
        return exp.DataType.build(types.native(portable, self.dialect), dialect=self.sqlglot_dialect)

    def column_def(self, col: ColumnDef, exists: bool = False) -> exp.ColumnDef:
        constraints = []
        if not col.nullable or col.primary_key:
            constraints.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        if col.identity and self.identity() is not None:
            constraints.append(exp.ColumnConstraint(kind=self.identity()))
        if col.default is not UNSET:
            native = defaults.native_type(col.type, self.dialect, col.identity)
            constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=self.default_value(col.default, native))))
        portable = self.identity_type if col.identity and self.identity_type else col.type
        node = exp.ColumnDef(this=ident(col.name), kind=self.datatype(portable), constraints=constraints)
        if exists:
            node.set("exists", True)
        return node

    def identity(self) -> exp.Expression | None:
        """The column constraint that makes the database number an identity column (None: its type does)."""
        return None

    def default_value(self, value, native_type: str | None = None) -> exp.Expression:
        """A declared default: an escaped literal, or a portable expression for this dialect
        (``native_type``: the column's type, whose precision MySQL's CURRENT_TIMESTAMP follows)."""
        if isinstance(value, defaults.Expr):
            return defaults.node(value, self.dialect, native_type)
        return literal(value)

    def _check_expression_default(self, change: AlterColumn, state: SchemaState) -> None:
        """An expression default must fit the column's type (``now`` a timestamp, ``current_date`` a date)."""
        col = state.table(change.table.schema, change.table.table).column(change.name)
        if change.type is None and col is not None and types.family(col.type) not in defaults.FITS[change.default.name]:
            raise SpecError([Diagnostic(change.source.file, change.source.line, "alter_column.default",
                                        f"{change.default} cannot be the default of {change.object}, of type {col.type} "
                                        f"(it fits {' or '.join(defaults.FITS[change.default.name])} columns)")])

    def _type_after(self, change: AlterColumn, state: SchemaState) -> str | None:
        """The column's native type once ``change`` is made."""
        if change.type:
            return types.native(change.type, self.dialect)
        col = state.table(change.table.schema, change.table.table).column(change.name)
        return col.type if col else None

    def reference(self, fk: ForeignKey) -> exp.Reference:
        options = [_ON_DELETE[fk.on_delete]] if fk.on_delete else []
        return exp.Reference(this=exp.Schema(this=table(fk.table), expressions=[ident(c) for c in fk.columns]), options=options)

    def constraint(self, name: str, kind: str, columns=(), references: ForeignKey | None = None, check: str | None = None,
                   check_dialect: str | None = None) -> exp.Constraint:
        cols = [ident(c) for c in columns]
        if kind == "primary_key":
            body = exp.PrimaryKey(expressions=cols)
        elif kind == "unique":
            body = exp.UniqueColumnConstraint(this=exp.Schema(expressions=cols))
        elif kind == "foreign_key":
            body = exp.ForeignKey(expressions=cols, reference=self.reference(references))
        else:
            body = exp.CheckColumnConstraint(this=self.check_expression(check, check_dialect))
        return exp.Constraint(this=ident(name), expressions=[body])

    def check_expression(self, text: str, dialect: str | None = None) -> exp.Expression:
        """A CHECK or WHERE expression parsed in the dialect it is written in (a spec's declared
        dialect, else the target's own for catalog text), so it is generated for the target."""
        return exp.condition(text, dialect=dialect or self.sqlglot_dialect)

    def table_constraints(self, change: CreateTable) -> list[exp.Constraint]:
        from ..changes.simstate import table_constraints

        out = []
        for con in table_constraints(change.table, change.columns, change.primary_key, self.dialect):
            ref = next((c.references for c in change.columns if c.references and con.kind == "foreign_key" and con.columns == (c.name,)), None)
            out.append(self.constraint(self.constraint_name(con.name, change.table.table), con.kind, con.columns, ref))
        return out

    def constraint_name(self, name: str, table_name: str) -> str:
        return name

    def alter(self, ref: ObjectRef, *actions: exp.Expression) -> exp.Alter:
        return exp.Alter(this=table(ref), kind="TABLE", actions=list(actions))

    # -- one method per change type ------------------------------------------------------

    def create_table(self, change: CreateTable, state: SchemaState) -> list:
        columns = [self.column_def(c) for c in change.columns]
        schema = exp.Schema(this=table(change.table), expressions=columns + self.table_constraints(change))
        return [exp.Create(this=schema, kind="TABLE", exists=True)]

    def add_column(self, change: AddColumn, state: SchemaState) -> list:
        # The column only: its unique/foreign key constraints are AddConstraint changes of their own.
        return [self.alter(change.table, self.column_def(change.column, exists=self.add_column_if_not_exists))]

    def alter_column(self, change: AlterColumn, state: SchemaState) -> list:
        needs = change.needs(state)
        col = ident(change.name)
        out = []
        if needs["type"]:
            out.append(self.alter(change.table, exp.AlterColumn(this=col, dtype=self.datatype(change.type))))
        if needs["nullable"]:
            out.append(self.alter(change.table, exp.AlterColumn(this=col, drop=True, allow_null=True) if change.nullable else self._set_not_null(col)))
        if needs["default"]:
            action = exp.AlterColumn(this=col, drop=True) if change.drop_default or change.default is None \
                else exp.AlterColumn(this=col, default=self.default_value(change.default, self._type_after(change, state)))
            out.append(self.alter(change.table, action))
        return out

    def _set_not_null(self, col: exp.Identifier) -> exp.Expression:
        return exp.AlterColumn(this=col, allow_null=False)

    def rename_column(self, change: RenameColumn, state: SchemaState) -> list:
        return [self.alter(change.table, exp.RenameColumn(this=ident(change.name), to=ident(change.new_name)))]

    def create_index(self, change: CreateIndex, state: SchemaState) -> list:
        params = exp.IndexParameters(columns=[self.index_column(change, c, state) for c in change.columns])
        if change.where:
            if not self.partial_index:
                raise SpecError([Diagnostic(change.source.file, change.source.line, "create_index.where",
                                            f"{self.dialect} has no partial indexes: index {change.name} cannot take a WHERE clause there; "
                                            f"limit the operation to the dialects that have them with dialects: [postgresql, sqlite] "
                                            f"(and declare what {self.dialect} should get in an operation of its own)")])
            params.set("where", exp.Where(this=self.check_expression(change.where, change.dialect)))
        index = exp.Index(this=ident(change.name), table=table(change.table), params=params)
        return [exp.Create(this=index, kind="INDEX", unique=change.unique, exists=self.create_index_if_not_exists,
                           concurrently=change.concurrently and self.concurrent_index)]

    def index_column(self, change: CreateIndex, name: str, state: SchemaState) -> exp.Expression:
        return exp.Column(this=ident(name))

    def add_constraint(self, change: AddConstraint, state: SchemaState) -> list:
        con = self.constraint(change.name, change.kind, change.columns, change.references, change.check, change.dialect)
        return [self.alter(change.table, exp.AddConstraint(expressions=[con]))]

    def drop_table(self, change: DropTable, state: SchemaState) -> list:
        out: list = []
        if change.cascade and not self.drop_table_cascade:
            out = self._drop_referencing(change, state)
        return out + [exp.Drop(tables=[table(change.table)], kind="TABLE", exists=True, cascade=change.cascade and self.drop_table_cascade)]

    def _drop_referencing(self, change: DropTable, state: SchemaState) -> list:
        """What CASCADE would do, where the dialect lacks it: drop the foreign keys pointing at the table."""
        sim, out = state.copy(), []
        for fk in referencing(state, change.table):
            schema = None if fk.schema == state.default_schema else fk.schema
            drop = DropConstraint(fk.name, ObjectRef(schema, fk.table), unit=change.unit, source=change.source)
            out += self.render(drop, sim)
            drop.simulate(sim)
        return out

    def drop_column(self, change: DropColumn, state: SchemaState) -> list:
        action = exp.Drop(tables=[exp.Column(this=ident(change.name))], kind="COLUMN", exists=self.drop_column_if_exists)
        return [self.alter(change.table, action)]

    def drop_index(self, change: DropIndex, state: SchemaState) -> list:
        ref = change.table
        target = exp.Table(this=ident(change.name), db=ident(ref.schema) if ref and ref.schema else None)
        node = exp.Drop(tables=[target], kind="INDEX", exists=self.drop_index_if_exists,
                        concurrently=change.concurrently and self.concurrent_index)
        if self.index_needs_table:
            node.set("cluster", exp.OnProperty(this=table(self._index_table(change, state))))
        return [node]

    def _index_table(self, change: DropIndex, state: SchemaState) -> ObjectRef:
        """The table of the index a drop_index without ``table`` names (the one the simulation drops)."""
        if change.table:
            return change.table
        found = state.indexes_named(change.name)
        return ObjectRef(None, found[0].table) if found else ObjectRef(None, "?")

    def drop_constraint(self, change: DropConstraint, state: SchemaState) -> list:
        return [self.alter(change.table, exp.Drop(tables=[exp.Table(this=ident(change.name))], kind="CONSTRAINT", exists=self.drop_constraint_if_exists))]

    def raw_sql(self, change: RawSQL, state: SchemaState) -> list:
        """Declared statements parsed in their dialect and generated for this one."""
        import sqlglot

        return [tree for text in change.statements for tree in sqlglot.parse(text, read=change.dialect) if tree is not None]
