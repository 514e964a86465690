"""MySQL 8 and MariaDB: DDL commits implicitly, so the engine's own guard matters most.

MariaDB has ``IF [NOT] EXISTS`` for columns and indexes; MySQL 8 does not,
and there only the state digest checked under the lock guards a statement.
"""

from __future__ import annotations

from sqlglot import exp

from ..changes.base import UNSET, Change
from ..changes.columns import AlterColumn
from ..changes.constraints import DropConstraint
from ..changes.indexes import CreateIndex, DropIndex
from ..changes.simstate import fk_index
from ..inspect.state import SchemaState
from ..spec import defaults, types
from .base import Renderer, ident, table

# TEXT/BLOB columns can only be indexed by a prefix; 255 characters fit InnoDB's key limit in utf8mb4.
INDEX_PREFIX = 255


class MySQLRenderer(Renderer):
    dialect = "mysql"
    sqlglot_dialect = "mysql"
    create_index_if_not_exists = False
    drop_index_if_exists = False
    index_needs_table = True
    transactional_ddl = False
    drop_table_cascade = False  # parsed but ignored: a referenced table cannot be dropped
    partial_index = False
    no_concurrent_index = ("it has no CONCURRENTLY; InnoDB creates and drops secondary indexes online (ALGORITHM=INPLACE), "
                           "but the statement waits for a metadata lock behind open transactions on the table")

    def identity(self) -> exp.Expression:
        return exp.AutoIncrementColumnConstraint()

    def ignored(self, change: Change, state: SchemaState) -> list[str]:
        out = super().ignored(change, state)
        if isinstance(change, CreateIndex):
            prefixed = [c for c in change.columns if isinstance(self.index_column(change, c, state), exp.Anonymous)]
            if prefixed and change.unique:
                out.append(f"{self.dialect} indexes TEXT/JSON columns by a prefix: unique index {change.name} compares only the "
                           f"first {INDEX_PREFIX} characters of {', '.join(prefixed)} (use varchar(n) to compare whole values)")
        return out

    def index_column(self, change: CreateIndex, name: str, state: SchemaState) -> exp.Expression:
        sim = state.tables.get((change.table.schema or state.default_schema, change.table.table))
        col = sim.column(name) if sim else None
        if col is not None and types.canonical(col.type, "mysql") in ("text", "json", "longtext", "mediumtext", "blob", "longblob"):
            return exp.Anonymous(this=ident(name), expressions=[exp.Literal.number(INDEX_PREFIX)])
        return exp.Column(this=ident(name))

    def alter_column(self, change: AlterColumn, state: SchemaState) -> list:
        needs = change.needs(state)
        out = []
        # An expression default is restated with the column: MODIFY takes CURRENT_TIMESTAMP(6) and
        # (CURRENT_DATE) as a column definition does, which ALTER COLUMN SET DEFAULT need not.
        if needs["type"] or needs["nullable"] or (needs["default"] and isinstance(change.default, defaults.Expr)):
            out.append(self.alter(change.table, exp.ModifyColumn(this=self._full_definition(change, state))))
        elif needs["default"]:
            col = ident(change.name)
            action = exp.AlterColumn(this=col, drop=True) if change.drop_default or change.default is None \
                else exp.AlterColumn(this=col, default=self.default_value(change.default))
            out.append(self.alter(change.table, action))
        return out

    def _full_definition(self, change: AlterColumn, state: SchemaState) -> exp.ColumnDef:
        """MODIFY COLUMN restates the whole column: the new type/nullability, the kept collation (it
        would become the table's default), the kept or new default, AUTO_INCREMENT and the comment."""
        current = state.tables[(change.table.schema or state.default_schema, change.table.table)].column(change.name)
        kind = self.datatype(change.type) if change.type else exp.DataType.build(current.type, dialect="mysql")
        nullable = current.nullable if change.nullable is None else change.nullable
        table = state.tables[(change.table.schema or state.default_schema, change.table.table)]
        kept = current.collation and current.collation != table.collation and types.family(kind.sql(dialect="mysql")) == "text"
        constraints = [exp.ColumnConstraint(kind=exp.CollateColumnConstraint(this=exp.var(current.collation)))] if kept else []
        constraints += [] if nullable else [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())]
        if change.default is not UNSET and change.default is not None:
            constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=self.default_value(change.default, self._type_after(change, state)))))
        elif current.default is not None and not change.drop_default:
            constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=defaults.restated(current.default, "mysql"))))
        if current.generated:  # MODIFY drops what it does not restate: keep AUTO_INCREMENT
            constraints.append(exp.ColumnConstraint(kind=exp.AutoIncrementColumnConstraint()))
        if current.comment:  # and the comment
            constraints.append(exp.ColumnConstraint(kind=exp.CommentColumnConstraint(this=exp.Literal.string(current.comment))))
        return exp.ColumnDef(this=ident(change.name), kind=kind, constraints=constraints)

    def drop_index(self, change: DropIndex, state: SchemaState) -> list:
        node = exp.Drop(tables=[exp.Table(this=ident(change.name))], kind="INDEX", exists=self.drop_index_if_exists)
        node.set("cluster", exp.OnProperty(this=table(self._index_table(change, state))))
        return [node]

    def drop_constraint(self, change: DropConstraint, state: SchemaState) -> list:
        con = change.target(state)  # memberships_pkey is the table's PRIMARY key
        kind = {"foreign_key": "FOREIGN KEY", "unique": "INDEX", "primary_key": "PRIMARY KEY"}.get(con.kind if con else "", "CONSTRAINT")
        named = kind != "PRIMARY KEY"  # DROP PRIMARY KEY takes neither a name nor IF EXISTS
        targets = [exp.Table(this=ident(change.name))] if named else []
        out = [self.alter(change.table, exp.Drop(tables=targets, kind=kind, exists=named and self.drop_constraint_if_exists))]
        if con is not None and fk_index(state, con) is not None:
            # the index MySQL made for the foreign key (named after it) outlives DROP FOREIGN KEY
            out.append(self.alter(change.table, exp.Drop(tables=targets, kind="INDEX", exists=self.drop_index_if_exists)))
        return out

    def sql(self, tree: exp.Expression) -> str:
        # Keep names as written: a prefix-indexed column renders as a function call.
        return tree.sql(dialect=self.sqlglot_dialect, normalize_functions=False)


class MariaDBRenderer(MySQLRenderer):
    add_column_if_not_exists = True
    drop_column_if_exists = True
    create_index_if_not_exists = True
    drop_index_if_exists = True
    drop_constraint_if_exists = True  # DROP FOREIGN KEY / INDEX / CONSTRAINT IF EXISTS
