"""An inspected schema -> the fingerprint that describes it (``recon inspect``).

One check per object the catalog reports, each in the vocabulary ``auditing.canaries``
evaluates, so that an audit of the result on the same database passes every check:

- a table check per table (and per view, partitioned table or foreign table);
- a column check per column, with its portable type where one exists (``spec.types.portable``)
  and its nullability; a view's columns get the type only (a view's nullability is derived,
  not declared); a column without a portable type (an enum, a domain, ``bytea``, an array)
  gets none, and says its native type in its description;
- a constraint check per primary key, unique, foreign key and check constraint, with its kind,
  columns and referenced table (a check constraint: its kind only, its expression is not
  compared);
- an index check per index that no constraint of the same name backs (a primary key or unique
  constraint is checked as the constraint), with its columns and uniqueness.

Left out: PostgreSQL partitions (the partitioned parent stands for them: its columns,
constraints and indexes are the partitions' too, and partitions come and go), SQLite's
internal ``sqlite_autoindex_*`` indexes (their constraints are checked), and the ledger table.
"""

from __future__ import annotations

import fnmatch
import re

from ..spec import types
from ..spec.model import Canary, Fingerprint, ObjectRef, Source
from .state import Constraint, Index, SchemaState, Table

LEDGER_TABLE = "recon_ledger"  # recon's own table: not part of the application's schema
_ORDER = {"primary_key": 0, "unique": 1, "foreign_key": 2, "check": 3}
_MARIADB_JSON = re.compile(r"^json_valid\(`(.+)`\)$")


def selected_tables(state: SchemaState, globs=()) -> list[Table]:
    """The tables of the default schema an inspection describes, by name: those matching any of
    ``globs`` (``fnmatch``, case-sensitive; all when none), without partitions and the ledger."""
    out = []
    for (schema, name), table in sorted(state.tables.items()):
        if schema != state.default_schema or table.partition_of is not None or name == LEDGER_TABLE:
            continue
        if not globs or any(fnmatch.fnmatchcase(name, g) for g in globs):
            out.append(table)
    return out


def partitions(state: SchemaState) -> list[str]:
    """The partitions of the default schema, by name (left out of a fingerprint, named in its notes)."""
    return sorted(n for (s, n), t in state.tables.items() if s == state.default_schema and t.partition_of is not None)


def fingerprint(state: SchemaState, tables: list[Table], name: str, file: str, description: str | None = None) -> Fingerprint:
    """The fingerprint ``name`` of ``tables`` as ``state`` has them; every check's source is ``file``."""
    source = Source(file, 0)
    checks: list[Canary] = []
    for table in tables:
        checks += _table_checks(state, table, name, source)
    checks = _unique_names(checks)
    return Fingerprint(name=name, checks=tuple(checks), source=source, description=description)


def _table_checks(state: SchemaState, table: Table, fp: str, source: Source) -> list[Canary]:
    ref = ObjectRef(None, table.name)
    out = [Canary(name=ref.table_text, kind="table", object=ref.table_text, fingerprint=fp, source=source, ref=ref,
                  description=_table_note(table))]
    json_columns = _mariadb_json_columns(state, table)
    for column in table.columns:
        out.append(_column_check(state, table, column, fp, source, json_columns))
    key = (table.schema, table.name)
    constraints = sorted((c for k, c in state.constraints.items() if k[:2] == key), key=lambda c: (_ORDER[c.kind], c.name))
    out += [_constraint_check(state, c, ref, fp, source) for c in constraints]
    backed = {c.name for c in constraints if c.kind in ("primary_key", "unique")}
    indexes = sorted((i for k, i in state.indexes.items() if k[:2] == key), key=lambda i: i.name)
    out += [_index_check(i, ref, fp, source) for i in indexes if _own_index(i, backed)]
    return out


def _table_note(table: Table) -> str | None:
    if table.kind == "view":
        return "a view: its columns are checked by type only"
    if table.kind == "partitioned":
        return "a partitioned table (its partitions are not checked one by one)"
    return None


def _mariadb_json_columns(state: SchemaState, table: Table) -> set[str]:
    """MariaDB's JSON is LONGTEXT with a CHECK (json_valid(`c`)) named after the column: those are json."""
    if not state.is_mariadb:
        return set()
    found = set()
    for (schema, name, _), con in state.constraints.items():
        match = _MARIADB_JSON.match((con.expression or "").strip()) if con.kind == "check" else None
        if (schema, name) == (table.schema, table.name) and match:
            found.add(match.group(1).replace("``", "`"))
    return found


def _column_check(state: SchemaState, table: Table, column, fp: str, source: Source, json_columns: set[str]) -> Canary:
    ref = ObjectRef(None, table.name, column.name)
    portable = "json" if column.name in json_columns else types.portable(column.type, state.dialect)
    note = None if portable or not column.type.strip() else f"native type {column.type} (no portable type)"
    nullable = None if table.kind == "view" else column.nullable
    return Canary(name=str(ref), kind="column", object=str(ref), fingerprint=fp, source=source, ref=ref, type=portable,
                  nullable=nullable, description=note)


def _constraint_check(state: SchemaState, con: Constraint, on: ObjectRef, fp: str, source: Source) -> Canary:
    references = None
    if con.kind == "foreign_key":
        schema = con.ref_schema if con.ref_schema not in (None, state.default_schema) else None
        references = ObjectRef(schema, con.ref_table)
    columns = con.columns if con.kind != "check" and con.columns else None
    obj = _name_text(con.name)
    return Canary(name=f"{on.table_text}.{obj}", kind="constraint", object=obj, fingerprint=fp, source=source, ref=on,
                  columns=columns, constraint_type=con.kind, references=references)


def _own_index(index: Index, backed: set[str]) -> bool:
    """An index a constraint does not stand for (nor SQLite's internal one behind a constraint)."""
    return index.name not in backed and not index.primary and not index.name.startswith("sqlite_autoindex_")


def _index_check(index: Index, on: ObjectRef, fp: str, source: Source) -> Canary:
    obj = _name_text(index.name)
    return Canary(name=f"{on.table_text}.{obj}", kind="index", object=obj, fingerprint=fp, source=source, ref=on,
                  columns=index.columns, unique=index.unique)


def _name_text(name: str) -> str:
    """An index or constraint name as a canary names it: quoted where a dot or quote would split it."""
    return '"' + name.replace('"', '""') + '"' if "." in name or '"' in name else name


def _unique_names(checks: list[Canary]) -> list[Canary]:
    """Check names are unique in a spec set: an index or constraint named like a column of its table
    (MySQL names a unique key after its column) is told apart by its kind."""
    from dataclasses import replace

    taken = {c.name for c in checks if c.kind in ("table", "column")}
    out = []
    for c in checks:
        if c.kind in ("index", "constraint") and c.name in taken:
            c = replace(c, name=f"{c.name} ({c.kind})")
        taken.add(c.name)
        out.append(c)
    return out
