"""SQLite: what ALTER TABLE cannot do is done by rebuilding the table.

SQLite has no ALTER COLUMN and cannot add or drop constraints. Like
Alembic's batch mode, such a change creates the table as it will be under a
temporary name (written as the old one was declared: ``sqlite_rebuild``), copies
the rows, drops the old table, renames the new one and recreates its indexes and
triggers, all inside the unit's transaction.
"""

from __future__ import annotations

from sqlglot import exp

from ..changes.base import Change
from ..changes.columns import AddColumn, AlterColumn, DropColumn
from ..changes.constraints import AddConstraint, DropConstraint
from ..changes.refusals.rebuilds import rebuilds
from ..inspect.state import SchemaState
from ..spec import types
from ..spec.model import ObjectRef
from .base import Renderer, ident, table
from .sqlite_rebuild import TableRebuild, generate, verbatim

REBUILD_PREFIX = "_recon_rebuild_"


class SQLiteRenderer(Renderer):
    dialect = "sqlite"
    sqlglot_dialect = "sqlite"
    drop_table_cascade = False  # no CASCADE keyword
    identity_type = "integer"  # only a column declared exactly INTEGER is the rowid alias
    no_concurrent_index = "it has no CONCURRENTLY; the statement holds the database's write lock while it runs"

    def datatype(self, portable: str) -> exp.DataType:
        # SQLite keeps the declared spelling; sqlglot would turn BIGINT into INTEGER.
        return verbatim(types.native(portable, self.dialect))

    def add_column(self, change: AddColumn, state: SchemaState) -> list:
        if rebuilds(change, state):
            return self.rebuild(change, state)
        return [self.alter(change.table, self.column_def(change.column))]

    def alter_column(self, change: AlterColumn, state: SchemaState) -> list:
        return self.rebuild(change, state)

    def add_constraint(self, change: AddConstraint, state: SchemaState) -> list:
        return self.rebuild(change, state)

    def drop_constraint(self, change: DropConstraint, state: SchemaState) -> list:
        return self.rebuild(change, state)

    def drop_column(self, change: DropColumn, state: SchemaState) -> list:
        return self.rebuild(change, state) if rebuilds(change, state) else super().drop_column(change, state)

    # -- the rebuild -------------------------------------------------------------------

    def rebuild(self, change: Change, state: SchemaState) -> list:
        """Statements that recreate ``change.table`` as it is after ``change``, keeping its rows
        (and, for an AUTOINCREMENT key, its sqlite_sequence row: ids once used stay used)."""
        after = state.copy()
        change.simulate(after)
        ref = change.table
        key = (ref.schema or state.default_schema, ref.table)
        new = TableRebuild(self, state, after, key)
        temp = ObjectRef(ref.schema, REBUILD_PREFIX + ref.table)
        kept = new.copied()
        copy = exp.insert(
            exp.select(*[exp.Column(this=ident(c)) for c in kept]).from_(table(ref)),
            exp.Schema(this=table(temp), expressions=[ident(c) for c in kept]),
        )
        out = [
            generate(new.create(temp)),
            copy,
            *(self._sequence(temp, ref) if new.autoincrement() else ()),
            exp.Drop(tables=[table(ref)], kind="TABLE"),
            *self._rename(temp, ref, bool(state.view_reads.get(key))),
        ]
        return out + self._indexes(after, key, ref)

    def _sequence(self, temp: ObjectRef, ref: ObjectRef) -> list:
        """The old table's sqlite_sequence row, given to the new table (the copy set it to the highest id left)."""
        seq = table(ObjectRef(ref.schema, "sqlite_sequence"))
        named = lambda name: exp.EQ(this=exp.column("name"), expression=exp.Literal.string(name))  # noqa: E731
        take = exp.select(exp.Literal.string(temp.table), exp.column("seq")).from_(seq).where(named(ref.table))
        return [exp.delete(seq, where=named(temp.table)), exp.insert(take, exp.Schema(this=seq, expressions=[ident("name"), ident("seq")]))]

    def _rename(self, temp: ObjectRef, ref: ObjectRef, read_by_views: bool) -> list:
        """The rebuilt table takes the old name. Where views read the table, SQLite's check of
        every view during RENAME would fail on the table just dropped: the legacy rename skips it."""
        rename = self.alter(temp, exp.AlterRename(this=exp.Table(this=ident(ref.table))))
        if not read_by_views:
            return [rename]
        pragma = lambda value: exp.Pragma(this=exp.EQ(this=exp.var("legacy_alter_table"), expression=exp.var(value)))  # noqa: E731
        return [pragma("ON"), rename, pragma("OFF")]

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
