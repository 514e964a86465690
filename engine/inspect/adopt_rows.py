"""A table's current rows -> a seed spec that declares exactly them (``recon inspect --seed``).

The key must be one the database enforces (``state.enforced_key``: a primary key, unique
constraint or unique non-partial index covers it), by default the primary key. Rows are read
in one SELECT, ordered by the key, inside the caller's read-only transaction. Every stored
value becomes the scalar a seed declares for it so that ``recon plan`` of the seed finds the
row as it is: dates, times and timestamps as ISO text (an aware timestamp keeps its offset),
numerics as numbers where a float holds them exactly and as text where not, booleans as
booleans, JSON as its text, uuids as text. A column whose values no scalar holds (binary,
arrays, intervals) and a column the database computes are left out, and said so in the notes.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from ..errors import UsageError
from ..spec import types
from ..spec.model import ObjectRef, Seed, Source, split_identifier
from ..target import sqlexec
from .state import SchemaState, Table, enforced_key


@dataclass(frozen=True)
class SeedRequest:
    """``--seed TABLE[:KEY,...]``: a table of the default schema and the key its rows are matched by
    (empty: the primary key)."""

    table: str
    key: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> "SeedRequest":
        """``settings``, ``settings:key`` or ``grants:role_id,permission_id`` (a table name is exact)."""
        table, _, key = text.partition(":") if ":" in text else (text, "", "")
        names = tuple(k.strip() for k in key.split(",")) if key else ()
        if not table.strip() or any(not k for k in names) or (":" in text and not names):
            raise UsageError(f"--seed {text!r}: expected TABLE or TABLE:KEY[,KEY...]")
        return cls(table.strip(), names)

    def __str__(self) -> str:
        return self.table + (":" + ",".join(self.key) if self.key else "")


class _NoScalar(Exception):
    """A stored value that no seed scalar holds."""


def seed_of(conn, state: SchemaState, request: SeedRequest, file: str) -> tuple[Seed, list[str]]:
    """The seed of ``request``'s table as its rows are now, and notes on the columns left out."""
    table = _seeded_table(state, request)
    key = _key(state, table, request)
    columns = [c for c in table.columns if not c.computed]
    left_out = [f"{table.name}.{c.name}: computed by the database, a seed cannot set it" for c in table.columns if c.computed]
    tree = sqlexec_select(table, [c.name for c in columns], key)
    stored = sqlexec.read_rows(conn, sqlexec.driver_text(tree, state.dialect))
    values, dropped = _scalars(state, table, columns, key, stored)
    left_out += dropped.values()
    rows = tuple({c.name: row[c.name] for c in columns if c.name not in dropped} for row in values)
    seed = Seed(name=table.name, table=ObjectRef(None, table.name), key=key, rows=rows, source=Source(file, 0),
                on_conflict="update", prune=False,
                description=f"The rows of {table.name} when it was inspected, matched by {', '.join(key)}.")
    return seed, left_out


def _seeded_table(state: SchemaState, request: SeedRequest) -> Table:
    if len(split_identifier(request.table)) > 1 and state.table(None, request.table) is None:
        raise UsageError(f"--seed {request}: name a table of the default schema ({state.default_schema}), without a schema")
    table = state.table(None, request.table)
    if table is None:
        raise UsageError(f"--seed {request}: no table {request.table!r} in {state.default_schema or 'the database'}")
    if table.kind == "view":
        raise UsageError(f"--seed {request}: {request.table} is a view; a seed writes rows into a table (seed the table it reads)")
    return table


def _key(state: SchemaState, table: Table, request: SeedRequest) -> tuple[str, ...]:
    """The requested key, else the primary key; refused unless the database enforces it."""
    own = (table.schema, table.name)
    if not request.key:
        pk = next((c for k, c in state.constraints.items() if k[:2] == own and c.kind == "primary_key"), None)
        if pk is None or not pk.columns:
            raise UsageError(f"--seed {request}: {table.name} has no primary key; name a key a unique constraint or index "
                             f"enforces: --seed {table.name}:COLUMN[,COLUMN...]")
        key = pk.columns
    else:
        key = request.key
    missing = [k for k in key if table.column(k) is None]
    if missing:
        raise UsageError(f"--seed {request}: {table.name} has no column {', '.join(missing)}")
    if not enforced_key(state, ObjectRef(None, table.name), key):
        raise UsageError(f"--seed {request}: [{', '.join(key)}] is not a key the database enforces on {table.name} (no primary "
                         "key, unique constraint or unique index covers it), so a row of the seed could match several rows")
    computed = [k for k in key if table.column(k).computed]
    if computed:
        raise UsageError(f"--seed {request}: key column {', '.join(computed)} is computed by the database (GENERATED ALWAYS), "
                         "which a seed cannot set: name a unique key instead")
    return tuple(key)


def sqlexec_select(table: Table, columns: list[str], key: tuple[str, ...]):
    """``SELECT columns FROM table ORDER BY key`` as a sqlglot tree (identifiers quoted)."""
    from sqlglot import exp

    return exp.select(*[sqlexec.column(c) for c in columns]).from_(sqlexec.table(table.name)).order_by(
        *[exp.Ordered(this=sqlexec.column(k)) for k in key])


def _scalars(state: SchemaState, table: Table, columns, key, stored) -> tuple[list[dict], dict[str, str]]:
    """Each stored row as seed scalars, and the columns left out (a value no scalar holds) with why."""
    rows = [dict(zip([c.name for c in columns], row)) for row in stored]
    dropped: dict[str, str] = {}
    for column in columns:
        family = types.family(column.type) if column.type.strip() else "other"
        for row in rows:
            try:
                row[column.name] = scalar(row[column.name], family, state.dialect)
            except _NoScalar as exc:
                if column.name in key:
                    raise UsageError(f"--seed {table.name}: key column {column.name} holds {exc}, which a seed cannot declare") from None
                dropped[column.name] = f"{table.name}.{column.name}: holds {exc}, which a seed cannot declare; left out of the rows"
                break
    nulls = [k for k in key for row in rows if row[k] is None]
    if nulls:
        raise UsageError(f"--seed {table.name}: some rows have no value for key column {nulls[0]} (NULL): a seed row needs "
                         "its key; name a key without NULLs")
    return rows, dropped


def scalar(value, family: str, dialect: str):
    """A stored value as the scalar a seed declares for a column of ``family`` (``_NoScalar`` if none)."""
    if value is None or isinstance(value, str) and family != "json":
        return value
    if family == "boolean" and not isinstance(value, (datetime, date, time)):
        return _boolean(value)
    if family == "json":
        return value if isinstance(value, str) and dialect != "postgresql" else json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta) and dialect == "mysql":  # MySQL's TIME is a duration
        return _duration(value)
    if isinstance(value, (uuid.UUID, ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network,
                          ipaddress.IPv6Network, ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        return str(value)
    raise _NoScalar(_what(value))


def _what(value) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "binary data"
    if isinstance(value, (list, tuple)):
        return "arrays"
    return f"{type(value).__name__} values"


def _boolean(value) -> bool:
    if isinstance(value, (bytes, bytearray)):  # MySQL BIT(1)
        return int.from_bytes(value, "big") == 1
    if value in (0, 1):
        return bool(value)
    raise _NoScalar(f"the number {value} in a boolean column")


def _decimal(value: Decimal):
    """An integral decimal as an int, one a float holds exactly as a float, any other as its text."""
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value.normalize() else str(value)


def _duration(value: timedelta) -> str:
    micros = abs(value) // timedelta(microseconds=1)
    seconds, micro = divmod(micros, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    text = f"{'-' if value < timedelta(0) else ''}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return text + (f".{micro:06d}" if micro else "")
