"""SQLite catalog reader: five queries, whatever the number of tables.

(Six in one degraded case: a view over a dropped table makes the column
pragma fail, and the column query is then repeated without views.)

The library version and attached databases come first; then objects
(``sqlite_master``), columns, index key columns and foreign keys come in one
query each, joining ``sqlite_master`` to the table-valued pragma functions.
Extra schemas are ATTACHed databases: one ``SELECT`` per database is joined
with ``UNION ALL`` (the database name is an identifier there, quoted; its value
is bound), and names that are not attached are ignored.

SQLite records constraint names only in the CREATE TABLE text, and CHECK
constraints nowhere else; :mod:`.sqlite_ddl` reads them from there. A
constraint declared without a name gets the name PostgreSQL would give it:

- primary key: ``{table}_pkey``
- unique: ``{table}_{col1}_{col2}..._key``
- foreign key: ``{table}_{col1}_{col2}..._fkey`` (all columns, as PostgreSQL 12+ does)
- check: ``{table}_{col}_check`` when the expression references exactly one
  column (the usual column-level CHECK), else ``{table}_check``

and, as PostgreSQL does, a name already taken on the table gets a counter
(``t_a_check1``). Names are not truncated to PostgreSQL's 63 bytes.

Nullability: a primary-key column is reported NOT NULL, as on the other
engines (SQLite's pragma says nullable unless NOT NULL was written).
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy.exc import OperationalError

from . import views
from .catalog import build_indexes, build_tables, fetch, load_sql, only
from .sqlite_ddl import (
    Declared,
    declared_constraints,
    generated_expressions,
    index_key_parts,
    index_predicate,
)
from .sqlite_layout import derived_name
from .state import Constraint, Index, SchemaState, Table

KINDS = frozenset({"table", "view"})
VIRTUAL = re.compile(r"\s*CREATE\s+VIRTUAL\s+TABLE\b", re.IGNORECASE)  # fts5, rtree...: a module's table, not SQLite's


def inspect(conn, schemas: tuple[str, ...], tables=None) -> SchemaState:
    """Read ``main`` plus the attached databases named in ``schemas`` from a SQLite connection (only ``tables``, if given)."""
    state = SchemaState(dialect="sqlite", default_schema="main")
    names = _databases(conn, state, schemas)
    state.only = only(tables, state.default_schema)
    objects = _run(conn, state, "sqlite_objects", names)
    columns = _columns(conn, state, names)
    index_rows = _run(conn, state, "sqlite_indexes", names)
    fk_rows = _run(conn, state, "sqlite_foreign_keys", names)
    table_sql = _create_sql(objects, "table")
    state.tables = {key: _table_with_text(t, table_sql.get(key)) for key, t in _tables(objects, columns).items()}
    index_sql = _create_sql(objects, "index")
    state.indexes = {key: _index_with_text(ix, index_sql.get((ix.schema, ix.name))) for key, ix in
                     build_indexes(_index_rows(index_rows, index_sql)).items()}
    for schema, type_, _name, table, sql in objects:
        if type_ == "trigger" and sql:
            state.triggers[(schema, table)] = state.triggers.get((schema, table), ()) + (sql,)
    state.constraints = _constraints(state.tables, columns, index_rows, fk_rows, table_sql)
    state.view_reads = _view_reads(objects, state)
    return _restricted(state)


def _restricted(state: SchemaState) -> SchemaState:
    """The state of the tables in ``state.only`` alone. SQLite reads the objects and columns of every
    table even then (a foreign key's parent table gives its spelling and its primary key, and the
    query is local); the index and foreign key pragmas are read for those tables only."""
    if state.only is None:
        return state
    for bucket in ("tables", "triggers", "view_reads"):
        setattr(state, bucket, {k: v for k, v in getattr(state, bucket).items() if k in state.only})
    for bucket in ("indexes", "constraints"):
        setattr(state, bucket, {k: v for k, v in getattr(state, bucket).items() if k[:2] in state.only})
    return state


def _index_with_text(index: Index, sql: str | None) -> Index:
    """An index with its CREATE INDEX text, and a partial one with its WHERE read from there."""
    return replace(index, definition=sql, predicate=index_predicate(sql) if index.partial else None)


def _table_with_text(table: Table, sql: str | None) -> Table:
    """A table with its CREATE TABLE text, each column knowing its place in it (for a rebuild)."""
    if not sql:
        return table
    return replace(table, definition=sql, columns=tuple(replace(c, position=i) for i, c in enumerate(table.columns)))


def _view_reads(objects: list, state: SchemaState) -> dict:
    """The columns each view's CREATE text reads, per database (no query: the text is already read)."""
    names = {key: {c.name for c in t.columns} for key, t in state.tables.items()}
    out: dict = {}
    for schema in {o[0] for o in objects}:
        out.update(views.from_sqlite(schema, [(n, sql) for s, t, n, _tbl, sql in objects if s == schema and t == "view"], names))
    return out


def _databases(conn, state: SchemaState, schemas: tuple[str, ...]) -> list[str]:
    """Sets the version; returns ``main`` then the requested names that are attached."""
    rows = fetch(conn, state, load_sql("sqlite_meta"))
    state.server_version = rows[0][0] if rows else ""
    attached = {row[1] for row in rows}
    return ["main"] + [name for name in dict.fromkeys(schemas) if name in attached and name != "main"]


def _union(name: str, databases: list[str]) -> tuple[str, dict]:
    """The per-database query ``name`` for every database, joined with UNION ALL."""
    template = load_sql(name)
    parts, params = [], {}
    for i, database in enumerate(databases):
        parts.append(template.format(schema=_quote(database), param=f":schema_{i}"))
        params[f"schema_{i}"] = database
    return "\nUNION ALL\n".join(parts), params


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _run(conn, state: SchemaState, name: str, databases: list[str], **extra) -> list:
    sql, params = _union(name, databases)
    return fetch(conn, state, sql, {**params, **extra})


def _columns(conn, state: SchemaState, databases: list[str]) -> list:
    """Column rows of tables and views; if a broken view makes the pragma fail, of tables only."""
    try:
        return _run(conn, state, "sqlite_columns", databases, with_views=1)
    except OperationalError:
        return _run(conn, state, "sqlite_columns", databases, with_views=0)


def _create_sql(objects: list, object_type: str) -> dict[tuple[str, str], str | None]:
    """The CREATE statements of one object type, keyed by (database, name)."""
    return {(schema, name): sql for schema, type_, name, _table, sql in objects if type_ == object_type}


WITHOUT_ROWID = re.compile(r"\)\s*(?:STRICT\s*,\s*)?WITHOUT\s+ROWID\b", re.IGNORECASE)
KEY_DESC = re.compile(r"\bPRIMARY\s+KEY\s+DESC\b", re.IGNORECASE)  # a column's PRIMARY KEY DESC, not PRIMARY KEY (id DESC)


def _tables(objects: list, columns: list) -> dict[tuple[str, str], Table]:
    """Every table and view (header rows first, so a view whose columns failed still appears)."""
    heads = [(s, n, "virtual" if VIRTUAL.match(sql or "") else t, None, None, None, None, None, None)
             for s, t, n, _tbl, sql in objects if t in KINDS]
    kinds = {(row[0], row[1]): row[2] for row in heads}
    pk_columns: dict[tuple[str, str], int] = {}
    for schema, table, _name, _type, _nn, _default, pk, _hidden in columns:
        pk_columns[(schema, table)] = pk_columns.get((schema, table), 0) + (1 if pk else 0)
    # WITHOUT ROWID tables have no rowid; INTEGER PRIMARY KEY DESC is an ordinary column (SQLite's quirk)
    no_rowid = {(s, n) for s, t, n, _tbl, sql in objects if t == "table" and (WITHOUT_ROWID.search(sql or "") or KEY_DESC.search(sql or ""))}
    generating = {(s, t) for s, t, *_rest, hidden in columns if hidden in (2, 3)}  # tables with a generated column
    expressions = {(s, n): generated_expressions(sql) for s, t, n, _tbl, sql in objects if (s, n) in generating}
    rows = (
        (schema, table, kinds.get((schema, table), "table"), name, type_, not not_null and not pk, default,
         # the one INTEGER primary-key column of a rowid table is the rowid: SQLite numbers rows that leave it out
         bool(pk) and pk_columns[(schema, table)] == 1 and (type_ or "").upper() == "INTEGER" and (schema, table) not in no_rowid,
         hidden in (2, 3),  # a generated column: virtual (2) or stored (3)
         False, expressions.get((schema, table), {}).get(name) if hidden in (2, 3) else None)
        for schema, table, name, type_, not_null, default, pk, hidden in columns
    )
    return build_tables([*heads, *rows])


def _index_rows(rows: list, create_sql: dict):
    """Index rows in the shared shape; an expression key part is its text from CREATE INDEX."""
    parts: dict[tuple[str, str], list[str]] = {}
    for schema, table, index, unique, origin, position, cid, name, partial in rows:
        if cid == -2:
            key = (schema, index)
            if key not in parts:
                parts[key] = index_key_parts(create_sql.get(key))
            found = parts[key]
            name = found[position] if position < len(found) else "<expression>"
        elif cid == -1:
            name = "rowid"
        yield schema, table, index, unique, origin == "pk", name, partial


def _constraints(tables, columns, index_rows, fk_rows, create_sql) -> dict[tuple[str, str, str], Constraint]:
    """Primary keys, unique constraints and foreign keys from the pragmas, checks from the DDL."""
    facts = _facts(columns, index_rows, fk_rows)
    by_folded_name = {(schema, name.casefold()): table for (schema, name), table in tables.items()}
    found: dict[tuple[str, str, str], Constraint] = {}
    for key, table in tables.items():
        if table.kind != "table":
            continue
        declared = declared_constraints(create_sql.get(key))
        for constraint in _TableConstraints(table, declared, facts, by_folded_name).build():
            found[(constraint.schema, constraint.table, constraint.name)] = constraint
    return found


def _facts(columns, index_rows, fk_rows) -> dict[tuple[str, str], dict]:
    """What the pragmas say about each table's keys, in declaration order.

    ``pk``: the primary key columns; ``unique``: column tuples of UNIQUE
    constraints; ``fk``: (columns, parent table, parent columns) triples. The
    pragmas list the newest first, hence the reversals.
    """
    facts: dict[tuple[str, str], dict] = {}

    def of(schema, table):
        return facts.setdefault((schema, table), {"pk": [], "unique": {}, "fk": {}})

    for schema, table, name, _type, _nn, _default, pk, _hidden in columns:
        if pk:
            of(schema, table)["pk"].append((pk, name))
    for schema, table, index, _unique, origin, _pos, _cid, name, _partial in index_rows:
        if origin == "u":
            of(schema, table)["unique"].setdefault(index, []).append(name)
    for schema, table, fk_id, ref_table, name, ref_column, on_delete in fk_rows:
        entry = of(schema, table)["fk"].setdefault(fk_id, ([], ref_table, [], _ON_DELETE.get(on_delete)))
        entry[0].append(name)
        entry[2].append(ref_column)
    for entry in facts.values():
        entry["pk"] = tuple(name for _, name in sorted(entry["pk"]))
        entry["unique"] = [tuple(cols) for cols in reversed(entry["unique"].values())]
        entry["fk"] = [(tuple(c), t, tuple(r), d) for _, (c, t, r, d) in sorted(entry["fk"].items(), reverse=True)]
    return facts


_ON_DELETE = {"CASCADE": "cascade", "SET NULL": "set_null", "RESTRICT": "restrict", "SET DEFAULT": "set_default"}


def _fold(names) -> tuple[str, ...]:
    return tuple(name.casefold() for name in names)


class _TableConstraints:
    """The constraints of one table: pragma facts, named from the DDL or as PostgreSQL would."""

    def __init__(self, table: Table, declared: list[Declared], facts: dict, by_folded_name: dict):
        self.table = table
        self.declared = declared
        self.all_facts = facts
        self.facts = facts.get((table.schema, table.name), {})
        self.by_folded_name = by_folded_name
        self.used = {d.name for d in declared if d.name}

    def build(self) -> list[Constraint]:
        """Every constraint of the table, named."""
        return [*self._primary_key(), *self._uniques(), *self._foreign_keys(), *self._checks()]

    def _declared(self, kind: str) -> list[Declared]:
        return [d for d in self.declared if d.kind == kind]

    def _name(self, declared: Declared | None, base: str) -> str:
        """The declared name, else ``base`` made unique on this table with a counter."""
        if declared is not None and declared.name:
            return declared.name
        name, counter = base, 0
        while name in self.used:
            counter += 1
            name = f"{base}{counter}"
        self.used.add(name)
        return name

    def _new(self, name: str, kind: str, columns=(), **more) -> Constraint:
        return Constraint(self.table.schema, self.table.name, name, kind, tuple(columns), **more)

    def _primary_key(self) -> list[Constraint]:
        columns = self.facts.get("pk", ())
        if not columns:
            return []
        declared = next(iter(self._declared("primary_key")), None)
        return [self._new(self._name(declared, derived_name(self.table.name, "primary_key", columns)), "primary_key", columns)]

    def _uniques(self) -> list[Constraint]:
        unused = self._declared("unique")
        found = []
        for columns in self.facts.get("unique", ()):
            declared = _take(unused, lambda d: _fold(d.columns) == _fold(columns))
            name = self._name(declared, derived_name(self.table.name, "unique", columns))
            found.append(self._new(name, "unique", columns))
        return found

    def _foreign_keys(self) -> list[Constraint]:
        unused = self._declared("foreign_key")
        found = []
        for columns, ref_table, ref_columns, on_delete in self.facts.get("fk", ()):
            declared = _take(
                unused, lambda d: _fold(d.columns) == _fold(columns) and d.ref_table.casefold() == ref_table.casefold()
            )
            name = self._name(declared, derived_name(self.table.name, "foreign_key", columns))
            found.append(self._foreign_key(name, columns, ref_table, ref_columns, on_delete))
        return found

    def _foreign_key(self, name: str, columns, ref_table: str, ref_columns, on_delete: str | None = None) -> Constraint:
        """A foreign key spelled as its parent is; omitted parent columns are the parent's primary key."""
        parent = self.by_folded_name.get((self.table.schema, ref_table.casefold()))
        if parent is not None:
            ref_table = parent.name
            if None in ref_columns:
                ref_columns = self.all_facts.get((parent.schema, parent.name), {}).get("pk", ())
            spelling = {c.name.casefold(): c.name for c in parent.columns}
            ref_columns = tuple(spelling.get(col.casefold(), col) for col in ref_columns if col is not None)
        return self._new(
            name, "foreign_key", columns,
            ref_schema=self.table.schema, ref_table=ref_table,
            ref_columns=tuple(col for col in ref_columns if col is not None), on_delete=on_delete,
        )

    def _checks(self) -> list[Constraint]:
        found = []
        for declared in self._declared("check"):
            columns = self._referenced(declared.words)
            name = self._name(declared, derived_name(self.table.name, "check", columns))
            found.append(self._new(name, "check", columns, expression=declared.expression))
        return found

    def _referenced(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The table's columns a CHECK mentions, in column order (as PostgreSQL's conkey)."""
        mentioned = {word.casefold() for word in words}
        return tuple(c.name for c in self.table.columns if c.name.casefold() in mentioned)


def _take(candidates: list[Declared], matches) -> Declared | None:
    """Remove and return the first candidate that ``matches``."""
    for i, candidate in enumerate(candidates):
        if matches(candidate):
            return candidates.pop(i)
    return None
