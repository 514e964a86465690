"""DDL statements onto a ``SchemaState``: what a database would hold after running a schema file.

``Builder`` reads base files in order. ``CREATE TABLE``, ``CREATE INDEX``, ``ALTER TABLE``,
``DROP TABLE``, ``DROP INDEX`` and views change the state; a statement of those kinds that
cannot be mapped is a located error, never a silent gap. Every other statement (``SET``,
``COMMENT``, ``GRANT``, functions, triggers, ``SELECT pg_catalog.set_config``, rows...)
describes no table, column, index or constraint: it is ignored and counted by kind.
PostgreSQL sequences and types are kept by name, as inspection keeps them (they share the
tables' namespace, which the refusal rules read).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from sqlglot import exp

from ..inspect.state import Column, SchemaState
from . import alter, sqlite_tables, tables
from .statements import MAPPED, Statement, read_file

DEFAULT_SCHEMA = {"postgresql": "public", "mysql": "", "mariadb": "", "sqlite": "main"}
SERVER = {"postgresql": "offline", "mysql": "8.0 offline", "mariadb": "10.11-MariaDB offline", "sqlite": "offline"}
# ALTER TABLE sub-commands that change no column, key or index (kept by sqlglot as a plain command)
_HARMLESS = re.compile(r"\b(OWNER\s+TO|ENABLE|DISABLE|REPLICA\s+IDENTITY|CLUSTER\s+ON|SET\s+WITHOUT|SET\s*\(|RESET\s*\(|"
                       r"FORCE\s+ROW|NO\s+FORCE|SET\s+TABLESPACE|SET\s+STATISTICS|SET\s+STORAGE|SET\s+(LOGGED|UNLOGGED)|"
                       r"SET\s+ACCESS\s+METHOD|VALIDATE\s+CONSTRAINT)\b", re.IGNORECASE)
_IDENTITY = re.compile(r"ALTER\s+COLUMN\s+(\"(?:[^\"]|\"\")+\"|\S+)\s+ADD\s+GENERATED\s+(ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY",
                       re.IGNORECASE)


def empty_state(flavor: str) -> SchemaState:
    """The state of an empty database of ``flavor`` (postgresql, mysql, mariadb, sqlite)."""
    return SchemaState("mysql" if flavor == "mariadb" else flavor, DEFAULT_SCHEMA[flavor], SERVER[flavor])


def parse_dialect(flavor: str) -> str:
    return "mysql" if flavor == "mariadb" else flavor


class Builder:
    """The state a database would hold after the statements read so far, and what was ignored."""

    def __init__(self, flavor: str, state: SchemaState | None = None):
        self.flavor = flavor
        self.state = state if state is not None else empty_state(flavor)
        self.names = tables.Names(flavor, self.state)
        self.mapped = 0
        self.ignored: Counter = Counter()

    def read(self, path: str) -> None:
        """Apply every statement of the file ``path``."""
        for stmt in read_file(path, parse_dialect(self.flavor)):
            self.apply(stmt)

    def apply(self, stmt: Statement) -> None:
        """Apply one statement, or count it as ignored."""
        if stmt.kind not in MAPPED or stmt.temporary:
            self._other(stmt)
            return
        if stmt.kind == "CREATE TABLE" and self.flavor == "sqlite":
            sqlite_tables.create_table(stmt, self.state)
        elif stmt.kind == "CREATE VIEW":
            self._view(stmt)
        elif stmt.tree is None:
            raise stmt.error(f"sqlglot cannot parse it as {parse_dialect(self.flavor)}")
        elif stmt.kind == "CREATE TABLE":
            tables.create_table(stmt, self.state, self.flavor)
        elif stmt.kind == "CREATE INDEX":
            self._index(stmt)
        elif stmt.kind == "ALTER TABLE":
            self._alter(stmt)
        else:
            self._drop(stmt)
        self.mapped += 1

    def _other(self, stmt: Statement) -> None:
        """A statement that describes no table: PostgreSQL's sequences and types are kept by name."""
        tree = stmt.tree
        if self.flavor == "postgresql" and isinstance(tree, exp.Create) and isinstance(tree.this, exp.Table):
            key = self.names.table(tree.this)
            if stmt.kind == "CREATE SEQUENCE":
                self.state.other_relations[key] = "sequence"
            elif stmt.kind == "CREATE TYPE":
                self.state.types[key] = "enum type" if "ENUM" in stmt.text.upper() else "type"
        self.ignored[stmt.kind + (" (temporary)" if stmt.temporary else "")] += 1

    def _table_of(self, stmt: Statement, node: exp.Table) -> tuple[str, str]:
        key = self.names.table(node)
        if key not in self.state.tables:
            raise stmt.error(f"table {key[1]} does not exist (no earlier statement creates it)")
        return key

    def _index(self, stmt: Statement) -> None:
        index = stmt.tree.this
        if not isinstance(index, exp.Index) or index.args.get("table") is None or index.args.get("params") is None:
            raise stmt.error("cannot read which table and columns the index is on")
        key = self._table_of(stmt, index.args["table"])
        params = index.args["params"]
        name = self.names.ident(index.this) if index.this is not None else None
        if name is not None and self.state.indexes_named(name, key[0]) and stmt.tree.args.get("exists"):
            return
        parts = params.args.get("columns") or []
        columns = self.names.columns(parts)
        table = self.state.tables[key]
        plain = [self.names.key_part(p) for p in parts if isinstance(p.this if isinstance(p, exp.Ordered) else p, exp.Column)]
        missing = [c for c in plain if table.column(c) is None]
        if missing:
            raise stmt.error(f"index on {key[1]} names columns it does not have: {', '.join(missing)}")
        where = params.args.get("where")
        predicate = None
        if where is not None:
            inner = where.this.this if isinstance(where.this, exp.Paren) else where.this
            predicate = inner.sql("postgres" if self.flavor == "postgresql" else parse_dialect(self.flavor))
        tables.add_index(self.state, key, name, columns, bool(stmt.tree.args.get("unique")), self.flavor, predicate)

    def _drop(self, stmt: Statement) -> None:
        for node in stmt.tree.args.get("tables") or []:
            key = self.names.table(node)
            if stmt.kind in ("DROP TABLE", "DROP VIEW"):
                what = stmt.kind.split()[1].lower()
                if key not in self.state.tables and not stmt.tree.args.get("exists"):
                    raise stmt.error(f"{what} {key[1]} does not exist")
                drop_table(self.state, key)
            else:
                found = self.state.indexes_named(key[1], key[0] if node.args.get("db") else None)
                for ix in found:
                    del self.state.indexes[(ix.schema, ix.table, ix.name)]

    def _view(self, stmt: Statement) -> None:
        """A view: its output columns by name, typed where they are plain columns of a known table."""
        tree = stmt.tree
        if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Table):
            raise stmt.error("cannot read the view's name")
        key = self.names.table(tree.this)
        select = tree.expression if isinstance(tree.expression, exp.Select) else None
        columns = view_columns(self.state, self.names, select) if select is not None else ()
        self.state.tables[key] = tables.Table(key[0], key[1], columns, "view")

    def _alter(self, stmt: Statement) -> None:
        tree = stmt.tree
        if isinstance(tree, exp.Command):
            self._alter_command(stmt)
            return
        if not isinstance(tree, exp.Alter) or not isinstance(tree.this, exp.Table):
            raise stmt.error("cannot read which table it alters")
        key = self.names.table(tree.this)
        if key not in self.state.tables:
            if tree.args.get("exists"):
                return
            raise stmt.error(f"table {key[1]} does not exist (no earlier statement creates it)")
        for action in tree.args.get("actions") or []:
            key = self._action(stmt, key, action)

    def _alter_command(self, stmt: Statement) -> None:
        """ALTER TABLE forms sqlglot keeps as text: ``OWNER TO`` and the like change nothing here;
        PostgreSQL's ``ALTER COLUMN c ADD GENERATED ... AS IDENTITY`` (pg_dump) makes ``c`` an identity."""
        found = _IDENTITY.search(stmt.text)
        if found:
            head = re.match(r"\s*ALTER\s+TABLE\s+(ONLY\s+)?(IF\s+EXISTS\s+)?(\S+)", stmt.text, re.IGNORECASE)
            key = self._table_of(stmt, exp.to_table(head.group(3), dialect="postgres"))
            name = self.names.ident(exp.to_identifier(found.group(1).strip('"').replace('""', '"'), quoted=found.group(1).startswith('"')))
            self._replace_column(stmt, key, name, generated=True, computed=found.group(2).upper() == "ALWAYS", default=None)
            self.state.other_relations[(key[0], f"{key[1]}_{name}_seq")] = "sequence"
            return
        if not _HARMLESS.search(stmt.text):
            raise stmt.error("cannot map this ALTER TABLE onto a table, column, index or constraint")
        self.ignored["ALTER TABLE (owner, storage, triggers)"] += 1
        self.mapped -= 1  # counted as ignored, not as read

    def _replace_column(self, stmt: Statement, key, name: str, **changes) -> None:
        table = self.state.tables[key]
        column = table.column(name)
        if column is None:
            raise stmt.error(f"column {key[1]}.{name} does not exist")
        cols = tuple(replace(c, **changes) if c.name == name else c for c in table.columns)
        self.state.tables[key] = replace(table, columns=cols)

    def _action(self, stmt: Statement, key, action: exp.Expression):
        """One ALTER TABLE action; returns the table's key afterwards (a rename changes it)."""
        return alter.apply(self, stmt, key, action)


def drop_table(state: SchemaState, key: tuple[str, str]) -> None:
    """Remove a table with its indexes and constraints, and the foreign keys of others that point at it."""
    state.tables.pop(key, None)
    for bucket in ("indexes", "constraints"):
        objects = getattr(state, bucket)
        for k in [k for k in objects if k[:2] == key]:
            del objects[k]
    for k in [k for k, c in state.constraints.items() if c.kind == "foreign_key" and (c.ref_schema or c.schema, c.ref_table) == key]:
        del state.constraints[k]


def view_columns(state: SchemaState, names: tables.Names, select: exp.Select) -> tuple[Column, ...]:
    """The columns of a view's SELECT: a star expands to its table's, a plain column keeps its type."""
    sources = [names.table(t) for t in select.find_all(exp.Table)]
    source = state.tables.get(sources[0]) if len(sources) == 1 else None
    out = []
    for item in select.selects:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
            out += [replace(c, default=None, generated=False, computed=False, generation=None) for c in (source.columns if source else ())]
            continue
        inner = item.this if isinstance(item, exp.Alias) else item
        found = source.column(names.ident(inner)) if source is not None and isinstance(inner, exp.Column) else None
        out.append(Column(names.ident(item.args["alias"]) if isinstance(item, exp.Alias) else item.alias_or_name,
                          found.type if found else "", True))
    return tuple(out)

