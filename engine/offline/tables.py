"""``CREATE TABLE`` and the constraints ``ALTER TABLE`` adds, on PostgreSQL and MySQL/MariaDB:
columns in catalog spelling, keys and foreign keys named as the server names them.

A constraint written without a name gets the server's name: PostgreSQL's ``{table}_pkey``,
``{table}_{columns}_key``, ``{table}_{columns}_fkey``, ``{table}_{column}_check`` (one column) or
``{table}_check``, with a counter where taken; MySQL's ``PRIMARY``, a unique key named after its
first column (``email``, ``email_2``), ``{table}_ibfk_{n}``, and MariaDB's checks named after
their column or ``CONSTRAINT_{n}`` (MySQL 8: ``{table}_chk_{n}``). A foreign key MySQL must index
and nothing indexes gets an index named after the constraint, or its first column when unnamed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlglot import exp

from ..inspect.state import Column, Constraint, Index, SchemaState, Table
from .spelling import catalog_default, catalog_type, sqlglot_name
from .statements import Statement

T = exp.DataType.Type
_SERIAL = {T.SERIAL: "integer", T.BIGSERIAL: "bigint", T.SMALLSERIAL: "smallint"}
_ACTIONS = {"CASCADE": "cascade", "SET NULL": "set_null", "RESTRICT": "restrict", "SET DEFAULT": "set_default"}


@dataclass
class Declared:
    """A key, foreign key or check as written, before the server names it."""

    kind: str
    name: str | None
    columns: tuple[str, ...] = ()
    ref: tuple[str | None, str] | None = None
    ref_columns: tuple[str, ...] = ()
    on_delete: str | None = None
    expression: exp.Expression | None = None
    column_level: bool = False
    index_name: str | None = None  # MySQL: FOREIGN KEY index_name / UNIQUE KEY name


class Names:
    """Identifier spelling of one flavor: PostgreSQL folds unquoted names to lower case."""

    def __init__(self, flavor: str, state: SchemaState):
        self.flavor, self.state = flavor, state

    def ident(self, node) -> str:
        if isinstance(node, exp.Column):
            node = node.this
        if isinstance(node, exp.Identifier):
            return node.this if node.quoted or self.flavor != "postgresql" else node.this.lower()
        return node.name if hasattr(node, "name") else str(node)

    def table(self, node: exp.Table) -> tuple[str, str]:
        schema = self.ident(node.args["db"]) if node.args.get("db") else self.state.default_schema
        return schema, self.ident(node.this)

    def columns(self, nodes) -> tuple[str, ...]:
        """Key parts as the catalog lists them: a column's name, an expression's text; a MySQL prefix
        (``name(255)``) and ASC/DESC are left out."""
        return tuple(self.key_part(node) for node in nodes)

    def key_part(self, node) -> str:
        while isinstance(node, (exp.Ordered, exp.Paren)):
            node = node.this
        if isinstance(node, (exp.Column, exp.Identifier)):
            return self.ident(node)
        if self.flavor != "postgresql" and isinstance(node, exp.Anonymous) and len(node.expressions) == 1:
            return node.name  # MySQL's prefix key part: `name`(255) in a CREATE INDEX
        if self.flavor != "postgresql" and isinstance(node, exp.ColumnPrefix):
            return self.ident(node.this)  # and in a CREATE TABLE's KEY (mysqldump writes them there)
        return node.sql("postgres" if self.flavor == "postgresql" else "mysql")


def create_table(stmt: Statement, state: SchemaState, flavor: str) -> None:
    """Add the table ``stmt`` creates, with its keys, foreign keys, checks and MySQL indexes."""
    tree, names = stmt.tree, Names(flavor, state)
    if not isinstance(tree.this, exp.Schema) or not isinstance(tree.this.this, exp.Table):
        raise stmt.error("only a CREATE TABLE with a column list can be read offline (not AS SELECT, LIKE or PARTITION OF)")
    key = names.table(tree.this.this)
    if key in state.tables:
        if tree.args.get("exists"):
            return
        raise stmt.error(f"table {key[1]} is created twice")
    columns, declared, indexes = [], [], []
    for item in tree.this.expressions:
        if isinstance(item, exp.ColumnDef):
            columns.append(column(stmt, item, key, names, declared))
        elif isinstance(item, exp.IndexColumnConstraint):
            indexes.append(item)
        else:
            declared.append(table_constraint(stmt, item, names))
    kind, partition = _partitioning(tree, names)
    state.tables[key] = Table(key[0], key[1], tuple(columns), kind, partition, engine="InnoDB" if flavor != "postgresql" else None)
    for item in indexes:
        add_index(state, key, item.name or None, names.columns(item.expressions), False, flavor)
    for d in sorted(declared, key=lambda d: d.kind == "foreign_key"):  # MySQL indexes a foreign key only where no key does
        add_declared(stmt, state, key, d, flavor)


def _partitioning(tree: exp.Create, names: Names) -> tuple[str, tuple[str, ...]]:
    found = tree.find(exp.PartitionedByProperty)
    if found is None:
        return "table", ()
    return "partitioned", tuple(names.ident(c) for c in found.find_all(exp.Column))


def column(stmt: Statement, cdef: exp.ColumnDef, table: tuple[str, str], names: Names, declared: list[Declared]) -> Column:
    """One column definition; its inline keys, references and checks go to ``declared``."""
    dtype, name, flavor = cdef.args.get("kind"), names.ident(cdef.this), names.flavor
    if not isinstance(dtype, exp.DataType):
        raise stmt.error(f"column {name} has no type sqlglot can read")
    nullable, default, generated, computed, generation = True, None, False, False, None
    for cc in cdef.constraints:
        kind, cname = cc.kind, (names.ident(cc.this) if cc.this is not None else None)
        if isinstance(kind, exp.NotNullColumnConstraint):
            nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            declared.append(Declared("primary_key", cname, (name,), column_level=True))
        elif isinstance(kind, exp.UniqueColumnConstraint):
            declared.append(Declared("unique", cname, (name,), column_level=True))
        elif isinstance(kind, exp.CheckColumnConstraint):
            declared.append(Declared("check", cname, (name,), expression=kind.this, column_level=True))
        elif isinstance(kind, exp.Reference):
            declared.append(reference(Declared("foreign_key", cname, (name,), column_level=True), kind, names))
        elif isinstance(kind, exp.DefaultColumnConstraint):
            default = kind.this
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            generated, computed = True, kind.this is True
        elif isinstance(kind, exp.AutoIncrementColumnConstraint):
            generated = True
        elif isinstance(kind, exp.ComputedColumnConstraint):
            computed, generation = True, kind.this.sql("postgres" if flavor == "postgresql" else "mysql")
    if dtype.this in _SERIAL and flavor == "postgresql":
        names.state.other_relations[(table[0], f"{table[1]}_{name}_seq")] = "sequence"
        return Column(name, _SERIAL[dtype.this], False, f"nextval('{table[1]}_{name}_seq'::regclass)")
    text = None if generated and flavor == "postgresql" else catalog_default(default, dtype, flavor)
    if flavor == "postgresql" and generated:
        names.state.other_relations[(table[0], f"{table[1]}_{name}_seq")] = "sequence"
    return Column(name, catalog_type(dtype, flavor), nullable and not generated if flavor == "postgresql" else nullable,
                  text, generated, computed, generation)


def reference(d: Declared, ref: exp.Reference, names: Names) -> Declared:
    """``REFERENCES table (columns) ON DELETE action`` onto ``d``."""
    target = ref.this
    table = target.this if isinstance(target, exp.Schema) else target
    d.ref = names.table(table)
    d.ref_columns = names.columns(target.expressions) if isinstance(target, exp.Schema) else ()
    for option in ref.args.get("options") or []:
        text = str(option).upper()
        if text.startswith("ON DELETE "):
            d.on_delete = _ACTIONS.get(text[len("ON DELETE "):].strip())
    return d


def table_constraint(stmt: Statement, item: exp.Expression, names: Names, name: str | None = None) -> Declared:
    """A table-level PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK (named with ``CONSTRAINT name`` or not)."""
    if isinstance(item, exp.Constraint):
        inner = item.expressions[0] if len(item.expressions) == 1 else None
        if inner is None:
            raise stmt.error(f"cannot read the constraint {item.sql()[:80]}")
        return table_constraint(stmt, inner, names, names.ident(item.this))
    if isinstance(item, exp.PrimaryKey):
        return Declared("primary_key", name, names.columns(item.expressions))
    if isinstance(item, exp.ForeignKey):
        return reference(Declared("foreign_key", name, names.columns(item.expressions)), item.args["reference"], names)
    if isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema):
        index = names.ident(item.this.this) if item.this.this is not None else None
        return Declared("unique", name or index, names.columns(item.this.expressions), index_name=index)
    if isinstance(item, exp.UniqueColumnConstraint) and item.this is None:
        raise stmt.error("UNIQUE without columns")
    if isinstance(item, exp.CheckColumnConstraint):
        return Declared("check", name, expression=item.this)
    if isinstance(item, exp.PrimaryKeyColumnConstraint) and name:
        raise stmt.error(f"cannot read the constraint {name}")
    raise stmt.error(f"cannot map {item.sql(sqlglot_name(names.flavor))[:80]!r} onto a table")


def add_declared(stmt: Statement, state: SchemaState, key: tuple[str, str], d: Declared, flavor: str) -> None:
    """Name ``d`` as the server would and add it (with the index a key, or a MySQL foreign key, needs)."""
    table = state.tables.get(key)
    if table is None:
        raise stmt.error(f"table {key[1]} does not exist (no earlier statement creates it)")
    missing = [c for c in d.columns if table.column(c) is None]
    if missing:
        raise stmt.error(f"{d.kind.replace('_', ' ')} on {key[1]} names columns it does not have: {', '.join(missing)}")
    if d.kind == "primary_key":
        cols = tuple(replace(c, nullable=False) if c.name in d.columns else c for c in table.columns)
        state.tables[key] = replace(table, columns=cols)
    name = d.name or generated_name(state, key, d, flavor)
    checks = d.kind == "check"
    columns = (_check_columns(state.tables[key], d, flavor) if checks else d.columns)
    expression = d.expression.sql("postgres" if flavor == "postgresql" else "mysql") if checks and d.expression else None
    ref = (d.ref[0], d.ref[1]) if d.ref else (None, None)
    ref_columns = d.ref_columns or (_primary_key(state, d.ref) if d.ref else ())
    con = Constraint(key[0], key[1], name, d.kind, columns, ref[0], ref[1], ref_columns, expression, d.on_delete)
    state.put("constraints", (key[0], key[1], name), con)
    if d.kind in ("primary_key", "unique"):
        state.put("indexes", (key[0], key[1], name), Index(key[0], key[1], name, d.columns, True, d.kind == "primary_key"))
    elif d.kind == "foreign_key" and flavor != "postgresql" and not _indexed(state, key, d.columns):
        add_index(state, key, d.name or d.index_name, d.columns, False, flavor)


def _check_columns(table: Table, d: Declared, flavor: str) -> tuple[str, ...]:
    """The columns PostgreSQL records for a check (those it reads, in table order); MariaDB records none."""
    if flavor != "postgresql" or d.expression is None:
        return ()
    read = {c.name for c in d.expression.find_all(exp.Column)}
    return tuple(c.name for c in table.columns if c.name in read)


def _primary_key(state: SchemaState, ref: tuple[str, str]) -> tuple[str, ...]:
    for con in state.constraints.values():
        if (con.schema, con.table) == ref and con.kind == "primary_key":
            return con.columns
    return ()


def _indexed(state: SchemaState, key: tuple[str, str], columns: tuple[str, ...]) -> bool:
    return any(k[:2] == key and ix.columns[: len(columns)] == columns for k, ix in state.indexes.items())


def generated_name(state: SchemaState, key: tuple[str, str], d: Declared, flavor: str) -> str:
    """The name the server gives a constraint declared without one."""
    schema, table = key
    taken = {k[2] for k in state.constraints if k[:2] == key} | {k[2] for k in state.indexes if k[:2] == key}
    if flavor != "postgresql":
        return _mysql_name(state, key, d, flavor, taken)
    if d.kind == "primary_key":
        base = f"{table}_pkey"
    elif d.kind == "check":
        cols = _check_columns(state.tables[key], d, flavor)
        base = "_".join((table, *(cols if len(cols) == 1 else ()), "check"))
    else:
        base = "_".join((table, *d.columns, "key" if d.kind == "unique" else "fkey"))
    relations = {k[2] for k in state.indexes if k[0] == schema} | {t for s, t in state.tables if s == schema}
    return _counted(base, taken | relations if d.kind in ("primary_key", "unique") else taken, "")


def _mysql_name(state: SchemaState, key: tuple[str, str], d: Declared, flavor: str, taken: set[str]) -> str:
    if d.kind == "primary_key":
        return "PRIMARY"
    if d.kind == "unique":
        return _counted(d.columns[0], taken, "_", start=2)
    mine = [k[2] for k in state.constraints if k[:2] == key]
    if d.kind == "foreign_key":
        return _counted(f"{key[1]}_ibfk_1", set(mine), "", numbered=f"{key[1]}_ibfk_")
    if flavor == "mariadb":
        return d.columns[0] if d.column_level and d.columns else _counted("CONSTRAINT_1", set(mine), "", numbered="CONSTRAINT_")
    return _counted(f"{key[1]}_chk_1", set(mine), "", numbered=f"{key[1]}_chk_")


def _counted(base: str, taken: set[str], sep: str, start: int = 1, numbered: str | None = None) -> str:
    """``base``, else with a counter: ``t_a_key1`` (PostgreSQL), ``email_2`` (MySQL), ``t_ibfk_2``."""
    if numbered is not None:
        n = 1
        while f"{numbered}{n}" in taken:
            n += 1
        return f"{numbered}{n}"
    name, n = base, start
    while name in taken:
        name, n = f"{base}{sep}{n}", n + 1
    return name


def add_index(state: SchemaState, key: tuple[str, str], name: str | None, columns: tuple[str, ...], unique: bool,
              flavor: str, predicate: str | None = None) -> str:
    """Add an index to ``key`` (named as the server names an unnamed one); returns its name."""
    schema, table = key
    if name is None:
        taken = {k[2] for k in state.indexes if k[0] == schema} | {t for s, t in state.tables if s == schema}
        if flavor == "postgresql":
            name = _counted("_".join((table, *(c if c.isidentifier() else "expr" for c in columns), "idx")), taken, "")
        else:
            name = _counted(columns[0], {k[2] for k in state.indexes if k[:2] == key}, "_", start=2)
    state.put("indexes", (schema, table, name), Index(schema, table, name, columns, unique, partial=predicate is not None,
                                                       predicate=predicate))
    return name
