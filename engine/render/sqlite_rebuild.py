"""The new table of a SQLite rebuild, written as the old one was declared but for the change.

``engine/render/sqlite.py`` rebuilds a table to make a change ALTER TABLE cannot. The new
table's ``CREATE TABLE`` comes from two sources: the simulated state after the change (which
columns, their types, nullability and defaults, which constraints) and the old table's own
``CREATE TABLE`` text read by :mod:`engine.inspect.sqlite_layout` (how each of them is
written). Every clause of the old text is written again in its place: ``COLLATE``,
``AUTOINCREMENT``, ``PRIMARY KEY DESC``, generated columns (``STORED`` or virtual), a foreign
key's ``ON UPDATE``/``MATCH``/``DEFERRABLE``, a key column's collation and order, ``STRICT``,
``WITHOUT ROWID``. A constraint keeps its place and its form: written on its column or after the
columns, and unnamed where it was, so inspection derives the same name for it again (a
constraint whose derived name carried a counter, ``t_a_check1``, is written with that name,
which dropping a sibling would otherwise change). A clause goes only with what the change
removes; constraints the state has and the text does not (added by this plan) are written
named, after the others. A table made in this plan has no text yet and is written from the
state alone. Defaults come from the state: a literal as it is, anything else in parentheses
(``DEFAULT (datetime('now'))``), as SQLite requires of an expression.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite

from ..changes.base import ForeignKey
from ..inspect.sqlite_layout import Clause, KeyPart, derived_name, layout
from ..inspect.state import Column, SchemaState
from ..spec.model import ObjectRef
from .base import ident, table

_LITERALS = (exp.Literal, exp.Null, exp.Boolean, exp.HexString, exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime,
             exp.Paren, exp.Column)


class _AsDeclared(SQLite.Generator):
    """SQLite's generator without its rewrite of CREATE TABLE, which moves a one-column table
    ``PRIMARY KEY (x)`` onto the column: that is another table (``INTEGER PRIMARY KEY DESC`` is
    no rowid alias; the automatic indexes are numbered in another order)."""

    TRANSFORMS = {k: v for k, v in SQLite.Generator.TRANSFORMS.items() if k is not exp.Create}


def generate(tree: exp.Expression) -> str:
    """The SQL of a rebuild's CREATE TABLE, clauses where they are in the tree."""
    return _AsDeclared(dialect="sqlite").generate(tree)


def verbatim(type_text: str) -> exp.DataType:
    """A column type written exactly as given (SQLite stores the declared text)."""
    return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=type_text)


def default_node(text: str) -> exp.Expression:
    """A catalog default as DDL: a literal as it is, an expression in parentheses (SQLite refuses it bare)."""
    node = exp.maybe_parse(text, dialect="sqlite")
    signed = isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)
    return node if signed or isinstance(node, _LITERALS) else exp.Paren(this=node)


def plain_column(col: Column) -> exp.ColumnDef:
    """A column from the state alone: type, NOT NULL, DEFAULT (a table recon made, a new column)."""
    constraints = [] if col.nullable else [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())]
    if col.default is not None:
        constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=default_node(col.default))))
    return exp.ColumnDef(this=ident(col.name), kind=verbatim(col.type or "BLOB"), constraints=constraints)


def _fold(names) -> tuple[str, ...]:
    return tuple(n.casefold() for n in names)


def _declares(clause: Clause, con, renames: dict[str, str]) -> bool:
    """Whether ``clause`` is the text of constraint ``con`` (a check by its expression, a key by its
    columns, which ``renames`` maps from the text's names to the state's)."""
    if clause.kind != con.kind:
        return False
    if clause.kind == "check":
        return clause.text == con.expression
    if _fold(renames.get(p.name.casefold(), p.name) for p in clause.columns) != _fold(con.columns):
        return False
    return clause.kind != "foreign_key" or (con.ref_table or "").casefold() == (clause.ref_table or "").casefold()


class TableRebuild:
    """The new table of one rebuild: ``before`` and ``after`` the change, table ``key``."""

    def __init__(self, renderer, before: SchemaState, after: SchemaState, key: tuple[str, str]):
        self.renderer = renderer
        self.old, self.new = before.tables[key], after.tables[key]
        self.layout = layout(self.old.definition) if self.old.definition else None
        self.renames = self.layout.renames(self.old) if self.layout else {}
        self.written = {c.name.casefold(): self.layout.of(c).name for c in self.old.columns if self.layout and self.layout.of(c)}
        self.kept = {k[2]: c for k, c in after.constraints.items() if k[:2] == key}
        # inspection reports a primary-key column NOT NULL whether or not the text says so
        self.key = {n for c in self.kept.values() if c.kind == "primary_key" for n in c.columns}
        self.names = self._claims([c for k, c in before.constraints.items() if k[:2] == key])

    def _claims(self, constraints: list) -> dict[int, str]:
        """The constraint each declaring clause of the text is (by ``id`` of the clause). A clause
        that is none of them was dropped by an earlier change, or is a repeat SQLite merged."""
        clauses = self.layout.declaring() if self.layout else []
        written = {c.name for c in clauses if c.name}
        free, out = list(constraints), {}
        for clause in clauses:
            con = next((c for c in free if (c.name == clause.name if clause.name else
                                            c.name not in written and _declares(clause, c, self.renames))), None)
            if con is not None:
                free.remove(con)
                out[id(clause)] = con.name
        return out

    def create(self, temp: ObjectRef) -> exp.Create:
        """CREATE TABLE ``temp``: the table as it is after the change."""
        columns = [self._column(c) for c in self.new.columns]
        properties = []
        if self.layout is not None and self.layout.strict:
            properties.append(exp.StrictProperty())
        if self.layout is not None and self.layout.without_rowid:
            properties.append(exp.WithoutRowidProperty())
        schema = exp.Schema(this=table(temp), expressions=columns + self._table_constraints())
        return exp.Create(this=schema, kind="TABLE", properties=exp.Properties(expressions=properties) if properties else None)

    def copied(self) -> list[str]:
        """The columns whose values the rows take along: the old table's, but generated ones (SQLite computes them)."""
        return [c.name for c in self.new.columns if self.old.column(c.name) is not None and not c.computed]

    def autoincrement(self) -> bool:
        """Whether the new table keeps an AUTOINCREMENT key (its sqlite_sequence row must come along)."""
        laid = [self.layout.of(c) for c in self.new.columns] if self.layout else []
        return any(c.autoincrement and self._kept(c) for col in laid if col for c in col.clauses)

    def _kept(self, clause: Clause) -> bool:
        """Whether the change keeps a declaring clause's constraint."""
        return self.names.get(id(clause)) in self.kept

    def _label(self, clause: Clause) -> str | None:
        """The name to write before a kept declaring clause: its own, or none where inspection
        derived the name from the columns alone (a name with a counter is written)."""
        name = self.names[id(clause)]
        con = self.kept[name]
        written = tuple(self.written.get(c.casefold(), c) for c in con.columns)  # the names inspection derived it from
        return clause.name or (None if name == derived_name(self.old.name, con.kind, written) else name)

    def _column(self, col: Column) -> exp.ColumnDef:
        laid = self.layout.of(col) if self.layout else None
        if laid is None:
            return plain_column(col)
        constraints = [node for clause in laid.clauses for node in self._column_clause(clause, col)]
        kinds = {c.kind for c in laid.clauses}
        if not col.nullable and "not_null" not in kinds and col.name not in self.key:  # a key column is NOT NULL unwritten
            constraints.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        if col.default is not None and "default" not in kinds:
            constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=default_node(col.default))))
        return exp.ColumnDef(this=ident(col.name), kind=verbatim(col.type) if col.type else None, constraints=constraints)

    def _column_clause(self, clause: Clause, col: Column) -> list[exp.ColumnConstraint]:
        """A column's clause again (none when the change removes it), its name where it had one."""
        if clause.declares and not self._kept(clause):
            return []
        label = self._label(clause) if clause.declares else clause.name
        kind = self._kind(clause, col)
        if kind is None:
            return []
        out = [exp.ColumnConstraint(this=ident(label) if label else None, kind=kind)]
        if clause.autoincrement:
            out.append(exp.ColumnConstraint(kind=exp.AutoIncrementColumnConstraint(this=True)))
        return out

    def _kind(self, clause: Clause, col: Column) -> exp.Expression | None:
        kind = clause.kind
        if kind == "not_null":
            return exp.NotNullColumnConstraint() if not col.nullable else None
        if kind == "null":  # gone where the column is made NOT NULL
            return exp.NotNullColumnConstraint(allow_null=True) if col.nullable or col.name in self.key else None
        if kind == "default":
            return exp.DefaultColumnConstraint(this=default_node(col.default)) if col.default is not None else None
        if kind == "collate":
            return exp.CollateColumnConstraint(this=exp.to_identifier(clause.text))
        if kind == "generated":
            return exp.ComputedColumnConstraint(this=self._expression(clause.text), persisted=clause.stored)
        if kind == "primary_key":
            return exp.PrimaryKeyColumnConstraint(desc=clause.desc)
        if kind == "unique":
            return exp.UniqueColumnConstraint()
        if kind == "check":
            return exp.CheckColumnConstraint(this=self._expression(clause.text))
        return self._reference(clause)

    def _expression(self, text: str) -> exp.Expression:
        """A check's or generated column's expression, naming renamed columns by their new names."""
        tree = self.renderer.check_expression(text)
        for column in list(tree.find_all(exp.Column)):
            if not column.table and column.name.casefold() in self.renames:
                column.set("this", ident(self.renames[column.name.casefold()]))
        return tree

    def _name(self, name: str) -> str:
        return self.renames.get(name.casefold(), name)

    def _table_constraints(self) -> list[exp.Expression]:
        """The text's table constraints the change keeps, then those it does not declare, named."""
        out = []
        for clause in self.layout.constraints if self.layout else ():
            if self._kept(clause):
                label, body = self._label(clause), self._table_body(clause)
                out.append(exp.Constraint(this=ident(label), expressions=[body]) if label else body)
        claimed = set(self.names.values())
        for name, con in self.kept.items():
            if name not in claimed:
                ref = ForeignKey(ObjectRef(None, con.ref_table), con.ref_columns, con.on_delete) if con.kind == "foreign_key" else None
                out.append(self.renderer.constraint(name, con.kind, con.columns, ref, con.expression))
        return out

    def _table_body(self, clause: Clause) -> exp.Expression:
        parts = [_part(p, self._name(p.name)) for p in clause.columns]
        if clause.kind == "primary_key":
            return exp.PrimaryKey(expressions=parts)
        if clause.kind == "unique":
            return exp.UniqueColumnConstraint(this=exp.Schema(expressions=parts))
        if clause.kind == "check":
            return exp.CheckColumnConstraint(this=self._expression(clause.text))
        return exp.ForeignKey(expressions=[ident(self._name(p.name)) for p in clause.columns], reference=self._reference(clause))

    def _reference(self, clause: Clause) -> exp.Reference:
        target = exp.Table(this=ident(clause.ref_table))
        own = (clause.ref_table or "").casefold() == self.old.name.casefold()  # a self-reference names renamed columns anew
        if clause.ref_columns:
            target = exp.Schema(this=target, expressions=[ident(self._name(c) if own else c) for c in clause.ref_columns])
        return exp.Reference(this=target, options=list(clause.options))


def _part(part: KeyPart, name: str) -> exp.Expression:
    """A key column (called ``name`` now) with its collation and order as written."""
    node: exp.Expression = ident(name)
    if part.collate:
        node = exp.Collate(this=node, expression=exp.to_identifier(part.collate))
    if part.desc is not None:  # SQLite puts NULLs first ascending, last descending: no NULLS words
        node = exp.Ordered(this=node, desc=part.desc, nulls_first=not part.desc)
    return node
