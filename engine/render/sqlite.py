"""SQLite: what ALTER TABLE cannot do is done by rebuilding the table.

SQLite has no ALTER COLUMN and cannot add or drop constraints. Like
Alembic's batch mode, such a change creates the table as it will be under a
temporary name, copies the rows, drops the old table, renames the new one and
recreates its indexes, all inside the unit's transaction.
"""

from __future__ import annotations

from sqlglot import exp

from ..changes.base import UNSET, Change, ForeignKey
from ..changes.columns import AddColumn, AlterColumn, DropColumn
from ..changes.constraints import AddConstraint, DropConstraint
from ..inspect.state import Column, SchemaState
from ..spec import defaults, types
from ..spec.model import ObjectRef
from .base import Renderer, ident, table

REBUILD_PREFIX = "_recon_rebuild_"


def _verbatim(type_text: str) -> exp.DataType:
    """A column type written exactly as given (SQLite stores the declared text)."""
    return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=type_text)


class SQLiteRenderer(Renderer):
    dialect = "sqlite"
    sqlglot_dialect = "sqlite"
    drop_table_cascade = False  # no CASCADE keyword
    identity_type = "integer"  # only a column declared exactly INTEGER is the rowid alias
    no_concurrent_index = "it has no CONCURRENTLY; the statement holds the database's write lock while it runs"

    def datatype(self, portable: str) -> exp.DataType:
        # SQLite keeps the declared spelling; sqlglot would turn BIGINT into INTEGER.
        return _verbatim(types.native(portable, self.dialect))

    def add_column(self, change: AddColumn, state: SchemaState) -> list:
        col = change.column
        # ADD COLUMN takes neither a key nor a non-constant default (CURRENT_TIMESTAMP): rebuild
        if col.primary_key or (not col.nullable and col.default in (UNSET, None)) or isinstance(col.default, defaults.Expr):
            return self.rebuild(change, state)
        return [self.alter(change.table, self.column_def(col))]

    def alter_column(self, change: AlterColumn, state: SchemaState) -> list:
        return self.rebuild(change, state)

    def add_constraint(self, change: AddConstraint, state: SchemaState) -> list:
        return self.rebuild(change, state)

    def drop_constraint(self, change: DropConstraint, state: SchemaState) -> list:
        return self.rebuild(change, state)

    def drop_column(self, change: DropColumn, state: SchemaState) -> list:
        key = (change.table.schema or state.default_schema, change.table.table)
        used = [o for bucket in (state.indexes, state.constraints) for k, o in bucket.items() if k[:2] == key and change.name in o.columns]
        return self.rebuild(change, state) if used else super().drop_column(change, state)

    # -- the rebuild -------------------------------------------------------------------

    def rebuild(self, change: Change, state: SchemaState) -> list:
        """Statements that recreate ``change.table`` as it is after ``change``, keeping its rows."""
        after = state.copy()
        change.simulate(after)
        ref = change.table
        key = (ref.schema or state.default_schema, ref.table)
        before_cols = {c.name for c in state.tables[key].columns}
        new = after.tables[key]
        temp = ObjectRef(ref.schema, REBUILD_PREFIX + ref.table)
        kept = [c.name for c in new.columns if c.name in before_cols]
        copy = exp.insert(
            exp.select(*[exp.Column(this=ident(c)) for c in kept]).from_(table(ref)),
            exp.Schema(this=table(temp), expressions=[ident(c) for c in kept]),
        )
        out = [
            exp.Create(this=exp.Schema(this=table(temp), expressions=[self._column(c) for c in new.columns] + self._constraints(after, key)), kind="TABLE"),
            copy,
            exp.Drop(tables=[table(ref)], kind="TABLE"),
            *self._rename(temp, ref, bool(state.view_reads.get(key))),
        ]
        return out + self._indexes(after, key, ref)

    def _rename(self, temp: ObjectRef, ref: ObjectRef, read_by_views: bool) -> list:
        """The rebuilt table takes the old name. Where views read the table, SQLite's check of
        every view during RENAME would fail on the table just dropped: the legacy rename skips it."""
        rename = self.alter(temp, exp.AlterRename(this=exp.Table(this=ident(ref.table))))
        if not read_by_views:
            return [rename]
        pragma = lambda value: exp.Pragma(this=exp.EQ(this=exp.var("legacy_alter_table"), expression=exp.var(value)))  # noqa: E731
        return [pragma("ON"), rename, pragma("OFF")]

    def _column(self, col: Column) -> exp.ColumnDef:
        constraints = [] if col.nullable else [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())]
        if col.default is not None:
            constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=exp.maybe_parse(col.default, dialect="sqlite"))))
        kind = _verbatim(col.type or "BLOB")
        return exp.ColumnDef(this=ident(col.name), kind=kind, constraints=constraints)

    def _constraints(self, state: SchemaState, key) -> list:
        out = []
        for (s, t, name), con in state.constraints.items():
            if (s, t) != key:
                continue
            ref = ForeignKey(ObjectRef(None, con.ref_table), con.ref_columns, con.on_delete) if con.kind == "foreign_key" else None
            out.append(self.constraint(name, con.kind, con.columns, ref, con.expression))
        return out

    def _indexes(self, state: SchemaState, key, ref: ObjectRef) -> list:
        """The table's indexes and triggers again (DROP TABLE took them).

        An index or trigger the database already had is replayed from its own CREATE text
        in the catalog, so expression and partial indexes come back as they were; an index
        created by this plan is generated.
        """
        backing = {n for (s, t, n) in state.constraints if (s, t) == key}
        out: list = []
        for (s, t, name), index in state.indexes.items():
            if (s, t) != key or name in backing or name.startswith("sqlite_autoindex_") or index.primary:
                continue
            if index.definition:
                out.append(index.definition)
                continue
            params = exp.IndexParameters(columns=[exp.Column(this=ident(c)) for c in index.columns])
            node = exp.Index(this=ident(name), table=table(ref), params=params)
            out.append(exp.Create(this=node, kind="INDEX", unique=index.unique, exists=True))
        return out + list(state.triggers.get(key, ()))
