"""The change vocabulary: one frozen type per migration operation.

Every stage dispatches on these types: the diff asks each change whether its
effect is already ``present`` in the (simulated) state, ``simulate`` applies
its effect to that state so later changes see it, the renderer turns it into
sqlglot trees, and the safety analysis reads ``destructive`` and its fields.
A change says *what* changes; ``reason`` strings built from it are for people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from . import defaults, types
from .inspect.state import Column, Constraint, Index, SchemaState, Table
from .checks import Guard
from .model import ObjectRef, Operation, Source, table_ref

UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET", "__bool__": lambda self: False})()


@dataclass(frozen=True)
class ForeignKey:
    """Where a foreign key points: ``table (columns)``, with an optional ``on_delete`` action."""

    table: ObjectRef
    columns: tuple[str, ...]
    on_delete: str | None = None


@dataclass(frozen=True)
class ColumnDef:
    """A column as declared by ``create_table`` or ``add_column`` (portable type)."""

    name: str
    type: str
    nullable: bool = True
    default: Any = UNSET
    primary_key: bool = False
    unique: bool = False
    references: ForeignKey | None = None
    identity: bool = False  # the database numbers the rows (``defaults``: identity, AUTO_INCREMENT, rowid)


@dataclass(frozen=True)
class Change:
    """Base of every change: the unit it belongs to, where its operation is written, and the
    target dialects it is limited to (``dialects:``; empty: every dialect)."""

    unit: str = field(kw_only=True)
    source: Source = field(kw_only=True)
    dialects: tuple[str, ...] = field(default=(), kw_only=True)

    op: ClassVar[str] = ""
    action: ClassVar[str] = "update"  # create | update | delete: the plan's summary and its + ~ - symbol

    @property
    def destructive(self) -> bool:
        """Whether applying it can lose data or break readers irreversibly."""
        return self.action == "delete"

    def runs_on(self, dialect: str) -> bool:
        """Whether the operation is for ``dialect`` (elsewhere the plan shows it skipped)."""
        return not self.dialects or dialect in self.dialects

    @property
    def object(self) -> str:
        """The object it changes, as a user writes it."""
        raise NotImplementedError

    def tables(self) -> tuple[ObjectRef, ...]:
        """The tables whose inspected state this change's guard reads (for the plan's state digest)."""
        return (self.table,)  # type: ignore[attr-defined]

    def present(self, state: SchemaState) -> bool:
        """Whether the change's effect is already in ``state`` (then it is skipped)."""
        raise NotImplementedError

    def missing(self, state: SchemaState) -> str | None:
        """What must exist before this change can run and does not (None: nothing is missing)."""
        table = getattr(self, "table", None)
        if self.action != "delete" and table is not None and _table(state, table) is None:
            return f"table {table} does not exist (and no earlier change creates it)"
        return None

    def simulate(self, state: SchemaState) -> None:
        """Apply the change's effect to ``state`` in place, as the database will."""
        raise NotImplementedError

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        """Safety codes (``safety.CODES``) this change carries; ``live`` is the inspected state,
        ``before`` the simulated state just before it."""
        return ()

    def _on_existing_table(self, live: SchemaState) -> bool:
        table = getattr(self, "table", None)
        return table is not None and live.table(table.schema, table.table) is not None

    def reason(self, state: SchemaState) -> str:
        """Why the change is needed, for people only (never for decisions)."""
        what = self.op.split("_", 1)[-1]
        return f"{what} {self.object} is missing" if self.action == "create" else f"{what} {self.object} exists"


# -- helpers over SchemaState ------------------------------------------------------------

def _key(state: SchemaState, ref: ObjectRef) -> tuple[str, str]:
    return (ref.schema or state.default_schema, ref.table)


def _table(state: SchemaState, ref: ObjectRef) -> Table | None:
    return state.tables.get(_key(state, ref))


def _column(state: SchemaState, ref: ObjectRef, name: str) -> Column | None:
    table = _table(state, ref)
    return table.column(name) if table else None


def _put_columns(state: SchemaState, ref: ObjectRef, columns: tuple[Column, ...]) -> None:
    key = _key(state, ref)
    state.tables[key] = replace(state.tables[key], columns=columns)


def _index(state: SchemaState, ref: ObjectRef | None, name: str) -> Index | None:
    """The index spelled exactly ``name`` (on table ``ref`` when given), through the state's name lookup."""
    found = state.indexes_named(name, ref.schema if ref else None, ref.table if ref else None)
    return found[0] if found else None


def _constraint(state: SchemaState, ref: ObjectRef | None, name: str) -> Constraint | None:
    """The constraint spelled exactly ``name`` on table ``ref``."""
    found = state.constraints_named(name, ref.schema if ref else None, ref.table if ref else None)
    return found[0] if found else None


def default_sql(value: Any, dialect: str = "", native_type: str | None = None) -> str | None:
    """A declared default as SQL text, the way catalogs report defaults (``light`` -> ``'light'``;
    an expression as ``dialect``'s catalog spells it for a column of ``native_type``)."""
    from sqlglot import exp

    if value is UNSET or value is None:
        return None
    if isinstance(value, defaults.Expr):
        return defaults.catalog_text(value, dialect, native_type)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return exp.Literal.string(str(value)).sql()


def same_default(catalog: str | None, declared: Any) -> bool:
    """Whether a catalog default (``'light'::text``, ``0.00``, ``1``) is the declared value."""
    current = _plain_default(catalog)
    if declared is UNSET or declared is None:
        return current is None
    if isinstance(declared, defaults.Expr) or defaults.expression_of(catalog):  # an expression equals no literal
        return isinstance(declared, defaults.Expr) and defaults.same(catalog, declared)
    if current is None:
        return False
    if isinstance(declared, bool):
        return current.lower() in (("true", "1", "t") if declared else ("false", "0", "f"))
    if isinstance(declared, (int, float)):
        try:
            return float(current) == float(declared)
        except ValueError:
            return False
    return current == str(declared)


def pk_name(table: str, dialect: str) -> str:
    """The primary key's name: ``{table}_pkey``, except on MySQL, which names them all PRIMARY."""
    return "PRIMARY" if dialect == "mysql" else f"{table}_pkey"


def _native_column(col: ColumnDef, dialect: str, nullable: bool | None = None) -> Column:
    native = defaults.native_type(col.type, dialect, col.identity)
    return Column(col.name, native, col.nullable if nullable is None else nullable, default_sql(col.default, dialect, native), col.identity)


def referencing(state: SchemaState, ref: ObjectRef) -> list[Constraint]:
    """Foreign keys of other tables that point at table ``ref``."""
    key = _key(state, ref)
    return [c for c in state.constraints.values()
            if c.kind == "foreign_key" and (c.ref_schema or c.schema, c.ref_table) == key and (c.schema, c.table) != key]


def table_constraints(table: ObjectRef, columns: tuple[ColumnDef, ...], primary_key: tuple[str, ...], dialect: str) -> list[Constraint]:
    """The named constraints ``create_table`` declares: primary key, column uniques and foreign keys."""
    schema = table.schema or ""
    out = []
    pk = primary_key or tuple(c.name for c in columns if c.primary_key)
    if pk:
        out.append(Constraint(schema, table.table, pk_name(table.table, dialect), "primary_key", pk))
    for c in columns:
        if c.unique:
            out.append(Constraint(schema, table.table, f"{table.table}_{c.name}_key", "unique", (c.name,)))
        if c.references:
            fk = c.references
            out.append(Constraint(schema, table.table, f"{table.table}_{c.name}_fkey", "foreign_key", (c.name,),
                                  fk.table.schema, fk.table.table, fk.columns, on_delete=fk.on_delete))
    return out


def _add_constraint(state: SchemaState, con: Constraint) -> None:
    schema = con.schema or state.default_schema
    con = replace(con, schema=schema, ref_schema=(con.ref_schema or schema) if con.ref_table else None)
    state.put("constraints", (schema, con.table, con.name), con)
    if con.kind in ("primary_key", "unique"):  # every engine backs these with an index
        state.put("indexes", (schema, con.table, con.name), Index(schema, con.table, con.name, con.columns, True, con.kind == "primary_key"))
    elif con.kind == "foreign_key" and state.dialect == "mysql" and not any(
            k[:2] == (schema, con.table) and ix.columns[: len(con.columns)] == con.columns for k, ix in state.indexes.items()):
        # MySQL indexes a foreign key's columns itself, naming the index after the key, when no index leads with them
        state.put("indexes", (schema, con.table, con.name), Index(schema, con.table, con.name, con.columns, False))


def serving_fk(state: SchemaState, index: Index) -> Constraint | None:
    """A MySQL foreign key that only ``index`` serves, on its own table or on the table it
    references (no other index there leads with the key's columns): the index cannot go first."""
    if state.dialect != "mysql":
        return None
    where = (index.schema, index.table)
    for con in state.constraints.values():
        if con.kind != "foreign_key":
            continue
        for table, columns in (((con.schema, con.table), con.columns), ((con.ref_schema or con.schema, con.ref_table), con.ref_columns)):
            if table != where or not columns:
                continue
            serves = [ix for k, ix in state.indexes.items() if k[:2] == table and ix.columns[: len(columns)] == columns]
            if len(serves) == 1 and serves[0].name == index.name:
                return con
    return None


def fk_index(state: SchemaState, con: Constraint) -> Index | None:
    """The index MySQL made for foreign key ``con`` (named after it, on exactly its columns, not
    unique) when no other foreign key of the table leads with its columns; None elsewhere.

    DROP FOREIGN KEY leaves it behind, so dropping the key drops it too, and only then.
    """
    if state.dialect != "mysql" or con.kind != "foreign_key":
        return None
    index = state.indexes.get((con.schema, con.table, con.name))
    if index is None or index.unique or index.primary or index.columns != con.columns:
        return None
    needed = any(other.kind == "foreign_key" and other.name != con.name and (other.schema, other.table) == (con.schema, con.table)
                 and index.columns[: len(other.columns)] == other.columns for other in state.constraints.values())
    return None if needed else index


def _varchar_length(canonical: str) -> int:
    return int(canonical[canonical.index("(") + 1 : -1]) if "(" in canonical else 1 << 30


def _remove_constraint(state: SchemaState, con: Constraint) -> None:
    """Remove ``con`` and what goes with it: the index backing a key, or MySQL's foreign-key index."""
    key = (con.schema, con.table, con.name)
    index = fk_index(state, con) if con.kind == "foreign_key" else state.indexes.get(key) if con.kind in ("primary_key", "unique") else None
    del state.constraints[key]
    if index is not None:
        del state.indexes[(index.schema, index.table, index.name)]


def _in_dialect(expression: str | None, source: str, target: str) -> str | None:
    """A declared SQL expression as the target's catalog would hold it (for a SQLite rebuild)."""
    from sqlglot import exp

    from .sqlexec import SQLGLOT_DIALECT

    return exp.condition(expression, dialect=source).sql(dialect=SQLGLOT_DIALECT[target]) if expression else None


# -- the changes ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateTable(Change):
    """Create a table with its columns and the constraints they declare."""

    table: ObjectRef
    columns: tuple[ColumnDef, ...]
    primary_key: tuple[str, ...] = ()

    op: ClassVar[str] = "create_table"
    action: ClassVar[str] = "create"

    @property
    def object(self) -> str:
        return str(self.table)

    def tables(self) -> tuple[ObjectRef, ...]:
        return (self.table,) + tuple(c.references.table for c in self.columns if c.references)

    def reason(self, state: SchemaState) -> str:
        return f"table {self.object} does not exist"

    def present(self, state: SchemaState) -> bool:
        return _table(state, self.table) is not None

    def missing(self, state: SchemaState) -> str | None:
        for col in self.columns:
            if col.references and (col.references.table != self.table) and _table(state, col.references.table) is None:
                return f"referenced table {col.references.table} does not exist"
        return None

    def simulate(self, state: SchemaState) -> None:
        pk = set(self.primary_key or (c.name for c in self.columns if c.primary_key))
        schema, name = _key(state, self.table)
        cols = tuple(_native_column(c, state.dialect, nullable=c.nullable and c.name not in pk) for c in self.columns)
        state.tables[(schema, name)] = Table(schema, name, cols)
        for con in table_constraints(ObjectRef(schema, name), self.columns, self.primary_key, state.dialect):
            _add_constraint(state, con)


@dataclass(frozen=True)
class AddColumn(Change):
    """Add one column to an existing table."""

    table: ObjectRef
    column: ColumnDef

    op: ClassVar[str] = "add_column"
    action: ClassVar[str] = "create"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        no_default = self.column.default in (UNSET, None)
        return ("RC201",) if self._on_existing_table(live) and not self.column.nullable and no_default else ()

    @property
    def object(self) -> str:
        return f"{self.table}.{self.column.name}"

    def reason(self, state: SchemaState) -> str:
        return f"column {self.object} is missing"

    def present(self, state: SchemaState) -> bool:
        return _column(state, self.table, self.column.name) is not None

    def simulate(self, state: SchemaState) -> None:
        table = _table(state, self.table)
        _put_columns(state, self.table, table.columns + (_native_column(self.column, state.dialect),))
        for con in table_constraints(self.table, (self.column,), (), state.dialect):
            _add_constraint(state, con)


@dataclass(frozen=True)
class AlterColumn(Change):
    """Change a column's type, nullability or default; unset fields stay as they are."""

    table: ObjectRef
    name: str
    type: str | None = None
    nullable: bool | None = None
    default: Any = UNSET
    drop_default: bool = False

    op: ClassVar[str] = "alter_column"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        needs, codes = self.needs(before), []
        if needs["nullable"] and self.nullable is False:
            codes.append("RC202")
        if needs["type"] and self._on_existing_table(live) and live.dialect in ("postgresql", "mysql") and self._rewrites(before):
            codes.append("RC302")
        return tuple(codes)

    def _rewrites(self, state: SchemaState) -> bool:
        """Widening a varchar (or turning it into text) is metadata-only; other type changes rewrite."""
        col = state.table(self.table.schema, self.table.table).column(self.name)
        old, new = types.canonical(col.type, state.dialect), types.canonical(types.native(self.type, state.dialect), state.dialect)
        if old.startswith("varchar") and (new == "text" or new.startswith("varchar")):
            return _varchar_length(new) < _varchar_length(old) if new.startswith("varchar") else False
        return True

    @property
    def object(self) -> str:
        return f"{self.table}.{self.name}"

    def needs(self, state: SchemaState) -> dict[str, bool]:
        """Which aspects still differ from the live column: type, nullable, default."""
        col = _column(state, self.table, self.name)
        if col is None:
            return {"type": self.type is not None, "nullable": self.nullable is not None, "default": self.default is not UNSET or self.drop_default}
        return {
            "type": self.type is not None and not types.same_type(self.type, col.type, state.dialect)
                    and not defaults.rowid_keeps(self.type, col.generated, state.dialect),
            "nullable": self.nullable is not None and self.nullable != col.nullable,
            "default": (self.default is not UNSET and not same_default(col.default, self.default)) or (self.drop_default and _plain_default(col.default) is not None),
        }

    def reason(self, state: SchemaState) -> str:
        current = _column(state, self.table, self.name)
        needs = self.needs(state)
        parts = []
        if needs["type"]:
            parts.append(f"type {current.type if current else '?'} -> {self.type}")
        if needs["nullable"]:
            parts.append("NULL -> NOT NULL" if self.nullable is False else "NOT NULL -> NULL")
        if needs["default"]:
            declared = str(self.default) if isinstance(self.default, defaults.Expr) else default_sql(self.default)
            new = "none" if self.drop_default or self.default is None else declared
            parts.append(f"default {current.default if current and current.default is not None else 'none'} -> {new}")
        return f"{self.object}: " + ", ".join(parts)

    def present(self, state: SchemaState) -> bool:
        return not any(self.needs(state).values())

    def missing(self, state: SchemaState) -> str | None:
        if _table(state, self.table) is not None and _column(state, self.table, self.name) is None:
            return f"column {self.table}.{self.name} does not exist"
        return super().missing(state)

    def simulate(self, state: SchemaState) -> None:
        table = _table(state, self.table)
        cols = []
        for col in table.columns:
            if col.name == self.name:
                native = types.native(self.type, state.dialect) if self.type else col.type
                col = replace(
                    col, type=native, nullable=col.nullable if self.nullable is None else self.nullable,
                    default=None if self.drop_default else (default_sql(self.default, state.dialect, native) if self.default is not UNSET else col.default),
                )
            cols.append(col)
        _put_columns(state, self.table, tuple(cols))


def _plain_default(text: str | None) -> str | None:
    """A catalog default without casts and quotes: ``'light'::text`` -> ``light``."""
    if text is None or text.upper() == "NULL":
        return None
    value = re.sub(r"::[A-Za-z_][\w ]*(\(\d+(,\s*\d+)?\))?(\[\])?$", "", text.strip()).strip()
    if value.upper() == "NULL":
        return None
    while value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        value = value[1:-1].replace("''", "'")
    return {"TRUE": "true", "FALSE": "false"}.get(value.upper(), value)


@dataclass(frozen=True)
class RenameColumn(Change):
    """Rename a column: runs only while the old name exists and the new one does not."""

    table: ObjectRef
    name: str
    new_name: str

    op: ClassVar[str] = "rename_column"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC303",)

    @property
    def object(self) -> str:
        return f"{self.table}.{self.name}"

    def reason(self, state: SchemaState) -> str:
        return f"{self.object} exists and {self.table}.{self.new_name} does not"

    def present(self, state: SchemaState) -> bool:
        return _column(state, self.table, self.name) is None and _column(state, self.table, self.new_name) is not None

    def missing(self, state: SchemaState) -> str | None:
        if _table(state, self.table) is not None:
            if _column(state, self.table, self.name) is None:
                return f"column {self.table}.{self.name} does not exist"
            if _column(state, self.table, self.new_name) is not None:
                return f"both {self.table}.{self.name} and {self.table}.{self.new_name} exist"
        return super().missing(state)

    def simulate(self, state: SchemaState) -> None:
        table = _table(state, self.table)
        _put_columns(state, self.table, tuple(replace(c, name=self.new_name) if c.name == self.name else c for c in table.columns))
        key = _key(state, self.table)
        rename = lambda cols: tuple(self.new_name if c == self.name else c for c in cols)  # noqa: E731
        for k, ix in list(state.indexes.items()):
            if k[:2] == key and self.name in ix.columns:
                state.indexes[k] = replace(ix, columns=rename(ix.columns), definition=None)
        for k, con in list(state.constraints.items()):
            if k[:2] == key and self.name in con.columns:
                state.constraints[k] = replace(con, columns=rename(con.columns))


@dataclass(frozen=True)
class CreateIndex(Change):
    """Create an index; ``concurrently`` builds it without blocking writes on PostgreSQL."""

    name: str
    table: ObjectRef
    columns: tuple[str, ...]
    unique: bool = False
    concurrently: bool = False
    where: str | None = None
    dialect: str = "postgres"  # the dialect ``where`` is written in

    op: ClassVar[str] = "create_index"
    action: ClassVar[str] = "create"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        blocking = live.dialect == "postgresql" and not self.concurrently and self._on_existing_table(live)
        return ("RC301",) if blocking else ()

    @property
    def object(self) -> str:
        return self.name

    def missing(self, state: SchemaState) -> str | None:
        if state.dialect != "mysql":  # index names are unique per schema there, not per table
            schema = self.table.schema or state.default_schema
            for (s, t, n) in state.indexes:
                if n == self.name and s == schema and t != self.table.table:
                    return f"index name {self.name} is already used by table {t}"
        return super().missing(state)

    def present(self, state: SchemaState) -> bool:
        return _index(state, self.table, self.name) is not None

    def simulate(self, state: SchemaState) -> None:
        schema, table = _key(state, self.table)
        state.put("indexes", (schema, table, self.name), Index(schema, table, self.name, self.columns, self.unique, partial=self.where is not None))


@dataclass(frozen=True)
class AddConstraint(Change):
    """Add a unique, foreign key or check constraint to an existing table."""

    name: str
    table: ObjectRef
    kind: str  # unique | foreign_key | check
    columns: tuple[str, ...] = ()
    references: ForeignKey | None = None
    check: str | None = None
    dialect: str = "postgres"  # the dialect ``check`` is written in

    op: ClassVar[str] = "add_constraint"
    action: ClassVar[str] = "create"

    @property
    def object(self) -> str:
        return self.name

    def tables(self) -> tuple[ObjectRef, ...]:
        return (self.table,) + ((self.references.table,) if self.references else ())

    def present(self, state: SchemaState) -> bool:
        return _constraint(state, self.table, self.name) is not None

    def missing(self, state: SchemaState) -> str | None:
        if self.references and _table(state, self.references.table) is None:
            return f"referenced table {self.references.table} does not exist"
        if self.kind == "foreign_key" and state.dialect == "mysql":
            schema, table = _key(state, self.table)
            on_table = [ix for k, ix in state.indexes.items() if k[:2] == (schema, table)]
            makes_index = not any(ix.columns[: len(self.columns)] == self.columns for ix in on_table)
            clash = [ix for ix in on_table if ix.name.lower() == self.name.lower()]  # MySQL index names ignore case
            if makes_index and clash:
                return f"index {clash[0].name} already exists on {table}, and MySQL names the index it makes for a foreign key after the key"
        return super().missing(state)

    def simulate(self, state: SchemaState) -> None:
        fk = self.references
        _add_constraint(state, Constraint(
            self.table.schema or "", self.table.table, self.name, self.kind, self.columns,
            fk.table.schema if fk else None, fk.table.table if fk else None, fk.columns if fk else (),
            _in_dialect(self.check, self.dialect, state.dialect), fk.on_delete if fk else None,
        ))


@dataclass(frozen=True)
class DropTable(Change):
    """Drop a table and everything in it (destructive, RC101)."""

    table: ObjectRef
    cascade: bool = False

    op: ClassVar[str] = "drop_table"
    action: ClassVar[str] = "delete"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC101",)

    @property
    def object(self) -> str:
        return str(self.table)

    def present(self, state: SchemaState) -> bool:
        return _table(state, self.table) is None

    def simulate(self, state: SchemaState) -> None:
        key = _key(state, self.table)
        if self.cascade:  # CASCADE also drops the foreign keys of other tables that point at it
            for fk in referencing(state, self.table):
                _remove_constraint(state, fk)
        state.tables.pop(key, None)
        for bucket in (state.indexes, state.constraints):
            for k in [k for k in bucket if k[:2] == key]:
                del bucket[k]


@dataclass(frozen=True)
class DropColumn(Change):
    """Drop a column and its data (destructive, RC102)."""

    table: ObjectRef
    name: str

    op: ClassVar[str] = "drop_column"
    action: ClassVar[str] = "delete"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC102",)

    @property
    def object(self) -> str:
        return f"{self.table}.{self.name}"

    def present(self, state: SchemaState) -> bool:
        return _column(state, self.table, self.name) is None

    def simulate(self, state: SchemaState) -> None:
        table = _table(state, self.table)
        _put_columns(state, self.table, tuple(c for c in table.columns if c.name != self.name))
        key = _key(state, self.table)
        for bucket in (state.indexes, state.constraints):
            for k in [k for k, v in bucket.items() if k[:2] == key and self.name in v.columns]:
                del bucket[k]


@dataclass(frozen=True)
class DropIndex(Change):
    """Drop an index (RC103: readers may slow down, nothing is lost)."""

    name: str
    table: ObjectRef | None = None
    concurrently: bool = False

    op: ClassVar[str] = "drop_index"
    action: ClassVar[str] = "delete"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC103",)

    @property
    def object(self) -> str:
        return self.name

    @property
    def destructive(self) -> bool:
        return False

    def tables(self) -> tuple[ObjectRef, ...]:
        return (self.table,) if self.table else ()

    def present(self, state: SchemaState) -> bool:
        return _index(state, self.table, self.name) is None

    def missing(self, state: SchemaState) -> str | None:
        if self.table is None:
            tables = sorted({ix.table for ix in state.indexes_named(self.name)})
            if len(tables) > 1:
                return f"index {self.name} is on several tables ({', '.join(tables)}): name its table"
        index = _index(state, self.table, self.name)
        needed = serving_fk(state, index) if index is not None else None
        if needed is not None:
            return f"index {self.name} is the only index foreign key {needed.name} can use (MySQL needs one): drop the key first"
        return None

    def simulate(self, state: SchemaState) -> None:
        index = _index(state, self.table, self.name)
        if index is not None:
            del state.indexes[(index.schema, index.table, index.name)]


@dataclass(frozen=True)
class DropConstraint(Change):
    """Drop a constraint (destructive, RC104: data it protected may go bad)."""

    name: str
    table: ObjectRef

    op: ClassVar[str] = "drop_constraint"
    action: ClassVar[str] = "delete"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC104",)

    @property
    def object(self) -> str:
        return self.name

    def present(self, state: SchemaState) -> bool:
        return _constraint(state, self.table, self.name) is None

    def missing(self, state: SchemaState) -> str | None:
        con = _constraint(state, self.table, self.name)
        index = state.indexes.get((con.schema, con.table, con.name)) if con is not None and con.kind in ("unique", "primary_key") else None
        needed = serving_fk(state, index) if index is not None else None
        if needed is not None:
            return f"{con.name} is the only index foreign key {needed.name} can use (MySQL needs one): drop the key first"
        return super().missing(state)

    def simulate(self, state: SchemaState) -> None:
        con = _constraint(state, self.table, self.name)
        if con is not None:
            _remove_constraint(state, con)


@dataclass(frozen=True)
class RawSQL(Change):
    """Declared raw statements in a source dialect, transpiled to the target; guarded."""

    dialect: str
    statements: tuple[str, ...]
    guard: Guard | None = None
    declared_destructive: bool = False

    op: ClassVar[str] = "sql"

    def risks(self, live: SchemaState, before: SchemaState) -> tuple[str, ...]:
        return ("RC105",) if self.destructive else ()

    @property
    def object(self) -> str:
        return f"{len(self.statements)} statement{'s' if len(self.statements) != 1 else ''}"

    @property
    def destructive(self) -> bool:
        from . import sqltext

        return self.declared_destructive or any(sqltext.destructive(s, self.dialect) for s in self.statements)

    def tables(self) -> tuple[ObjectRef, ...]:
        return self.guard.tables() if self.guard else ()

    def present(self, state: SchemaState) -> bool:
        return False  # raw SQL has no effect the engine can see; its guard decides

    def simulate(self, state: SchemaState) -> None:
        return None


# -- from declared operations --------------------------------------------------------------

def _fk(body: dict | None, column: str | None = None) -> ForeignKey | None:
    if not body:
        return None
    cols = tuple(body.get("columns") or ([body["column"]] if "column" in body else []))
    return ForeignKey(table_ref(body["table"]), cols, body.get("on_delete"))


def _coldef(c: dict) -> ColumnDef:
    return ColumnDef(c["name"], c["type"], c.get("nullable", True), defaults.declared(c.get("default", UNSET)),
                     c.get("primary_key", False), c.get("unique", False), _fk(c.get("references")), c.get("identity", False))


def _create_table(a, **k):
    return CreateTable(table_ref(a["table"]), tuple(_coldef(c) for c in a["columns"]), tuple(a.get("primary_key", ())), **k)


def _add_column(a, **k):
    """The column, then each constraint it declares as a change of its own (so a half-done
    unit on MySQL resumes at the constraint instead of calling the column "present")."""
    col, ref = _coldef(a), table_ref(a["table"])
    out = [AddColumn(ref, replace(col, unique=False, references=None), **k)]
    if col.unique:
        out.append(AddConstraint(f"{ref.table}_{col.name}_key", ref, "unique", (col.name,), **k))
    if col.references:
        out.append(AddConstraint(f"{ref.table}_{col.name}_fkey", ref, "foreign_key", (col.name,), col.references, **k))
    return out


def _alter_column(a, **k):
    return AlterColumn(table_ref(a["table"]), a["name"], a.get("type"), a.get("nullable"), defaults.declared(a.get("default", UNSET)),
                       a.get("drop_default", False), **k)


def _rename_column(a, **k):
    return RenameColumn(table_ref(a["table"]), a["name"], a["new_name"], **k)


def _create_index(a, **k):
    return CreateIndex(a["name"], table_ref(a["table"]), tuple(a["columns"]), a.get("unique", False), a.get("concurrently", False), a.get("where"), a.get("dialect", "postgres"), **k)


def _add_constraint_op(a, **k):
    return AddConstraint(a["name"], table_ref(a["table"]), a["type"], tuple(a.get("columns", ())), _fk(a.get("references")), a.get("check"), a.get("dialect", "postgres"), **k)


def _drop_table(a, **k):
    return DropTable(table_ref(a["table"]), a.get("cascade", False), **k)


def _drop_column(a, **k):
    return DropColumn(table_ref(a["table"]), a["name"], **k)


def _drop_index(a, **k):
    return DropIndex(a["name"], table_ref(a["table"]) if a.get("table") else None, a.get("concurrently", False), **k)


def _drop_constraint(a, **k):
    return DropConstraint(a["name"], table_ref(a["table"]), **k)


def _sql(a, **k):
    guard = a.get("guard")
    g = Guard(*next(iter(guard.items()))) if guard else None
    return RawSQL(a["dialect"], tuple(a["statements"]), g, a.get("destructive", False), **k)


_FROM_OPERATION = {
    "create_table": _create_table, "add_column": _add_column, "alter_column": _alter_column,
    "rename_column": _rename_column, "create_index": _create_index, "add_constraint": _add_constraint_op,
    "drop_table": _drop_table, "drop_column": _drop_column, "drop_index": _drop_index,
    "drop_constraint": _drop_constraint, "sql": _sql,
}


def from_operation(unit: str, op: Operation) -> list[Change]:
    """The changes a declared operation asks for (one, except add_column with constraints)."""
    made = _FROM_OPERATION[op.op](op.args, unit=unit, source=op.source, dialects=tuple(op.args.get("dialects", ())))
    return made if isinstance(made, list) else [made]
