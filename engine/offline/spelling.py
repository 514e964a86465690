"""How each catalog spells what a DDL statement declares: column types and defaults, per flavor.

The canaries compare against what live inspection reads (``engine.inspect``): PostgreSQL's
``format_type`` (``integer``, ``character varying(40)``, ``timestamp with time zone``),
MariaDB's ``COLUMN_TYPE`` with display widths (``int(11)``, ``tinyint(1)``), MySQL 8's without
(``int``), and SQLite's declared type text as written. A flavor is ``postgresql``, ``mysql``
(MySQL 8), ``mariadb`` or ``sqlite``; the state's dialect is ``mysql`` for both of the middle two.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError

T = exp.DataType.Type
FLAVORS = ("postgresql", "mysql", "mariadb", "sqlite")

_PG = {T.INT: "integer", T.BIGINT: "bigint", T.SMALLINT: "smallint", T.SERIAL: "integer", T.BIGSERIAL: "bigint",
       T.SMALLSERIAL: "smallint", T.TEXT: "text", T.BOOLEAN: "boolean", T.DOUBLE: "double precision", T.FLOAT: "real",
       T.DATE: "date", T.UUID: "uuid", T.JSON: "json", T.JSONB: "jsonb", T.VARBINARY: "bytea", T.INTERVAL: "interval",
       T.INET: "inet", T.MONEY: "money", T.XML: "xml", T.TINYINT: "smallint"}
_PG_PRECISION = {T.TIMESTAMP: "timestamp{} without time zone", T.TIMESTAMPTZ: "timestamp{} with time zone",
                 T.TIME: "time{} without time zone", T.TIMETZ: "time{} with time zone"}
# MariaDB display widths of the integer types (signed; unsigned ones are one narrower, bigint excepted)
_WIDTH = {T.TINYINT: ("tinyint", 4), T.SMALLINT: ("smallint", 6), T.MEDIUMINT: ("mediumint", 9), T.INT: ("int", 11),
          T.BIGINT: ("bigint", 20), T.UTINYINT: ("tinyint", 3), T.USMALLINT: ("smallint", 5), T.UMEDIUMINT: ("mediumint", 8),
          T.UINT: ("int", 10), T.UBIGINT: ("bigint", 20)}
_MY = {T.TEXT: "text", T.MEDIUMTEXT: "mediumtext", T.LONGTEXT: "longtext", T.TINYTEXT: "tinytext", T.BLOB: "blob",
       T.MEDIUMBLOB: "mediumblob", T.LONGBLOB: "longblob", T.TINYBLOB: "tinyblob", T.DOUBLE: "double", T.FLOAT: "float",
       T.DATE: "date", T.JSON: "json", T.BOOLEAN: "tinyint(1)"}
STRING_TYPES = frozenset({T.VARCHAR, T.CHAR, T.TEXT, T.NVARCHAR, T.NCHAR, T.MEDIUMTEXT, T.LONGTEXT, T.TINYTEXT, T.ENUM})


def sqlglot_name(flavor: str) -> str:
    """The sqlglot dialect ``flavor`` is read and written in."""
    return {"postgresql": "postgres", "sqlite": "sqlite"}.get(flavor, "mysql")


def params(dtype: exp.DataType) -> list[str]:
    """The numbers in a type's parentheses (``numeric(10,2)`` -> ``['10', '2']``)."""
    return [p.name for p in dtype.expressions if isinstance(p, exp.DataTypeParam)]


def catalog_type(dtype: exp.DataType, flavor: str) -> str:
    """The type as ``flavor``'s catalog reports a column declared ``dtype`` (PostgreSQL, MySQL, MariaDB)."""
    return _postgres(dtype) if flavor == "postgresql" else _mysql(dtype, flavor == "mariadb")


def respelled(text: str, flavor: str) -> str:
    """A type written as DDL (``VARCHAR(40)``, the simulation's spelling) as the catalog spells it;
    SQLite keeps the declared text, and text sqlglot cannot read is kept as it is."""
    if flavor == "sqlite" or not text:
        return text
    try:
        dtype = exp.DataType.build(text, dialect="postgres" if flavor == "postgresql" else "mysql")
    except (SqlglotError, ValueError):
        return text
    return catalog_type(dtype, flavor)


def _postgres(dtype: exp.DataType) -> str:
    kind, found = dtype.this, params(dtype)
    if kind == T.ARRAY and dtype.expressions:
        return _postgres(dtype.expressions[0]) + "[]"
    if kind in _PG_PRECISION:
        return _PG_PRECISION[kind].format(f"({found[0]})" if found else "")
    if kind in (T.VARCHAR, T.NVARCHAR):
        return f"character varying({found[0]})" if found else "character varying"
    if kind in (T.CHAR, T.NCHAR):
        return f"character({found[0] if found else 1})"
    if kind == T.DECIMAL:
        return f"numeric({','.join(found)})" if found else "numeric"
    if kind == T.USERDEFINED:
        return dtype.args["kind"].name if isinstance(dtype.args.get("kind"), exp.Dot) else dtype.sql("postgres")
    return _PG.get(kind) or dtype.sql("postgres").lower()


def _mysql(dtype: exp.DataType, mariadb: bool) -> str:
    kind, found = dtype.this, params(dtype)
    if kind in _WIDTH:
        name, width = _WIDTH[kind]
        unsigned = " unsigned" if kind.name.startswith("U") else ""
        if found and (mariadb or (name == "tinyint" and found == ["1"])):
            return f"{name}({found[0]}){unsigned}"
        return f"{name}({width}){unsigned}" if mariadb else f"{name}{unsigned}"
    if kind == T.JSON and mariadb:
        return "longtext"  # MariaDB's JSON is LONGTEXT with a json_valid check
    if kind in (T.VARCHAR, T.NVARCHAR, T.VARBINARY, T.BINARY, T.CHAR, T.NCHAR):
        base = {T.NVARCHAR: "varchar", T.NCHAR: "char"}.get(kind, kind.name.lower())
        return f"{base}({found[0] if found else 1})"
    if kind == T.DECIMAL:
        return f"decimal({found[0] if found else '10'},{found[1] if len(found) > 1 else '0'})"
    if kind in (T.DATETIME, T.TIMESTAMP, T.TIME, T.DATETIME64):
        name = "datetime" if kind in (T.DATETIME, T.DATETIME64) else kind.name.lower()
        return f"{name}({found[0]})" if found and found[0] != "0" else name
    if kind == T.YEAR:
        return "year(4)" if mariadb else "year"
    if kind in (T.ENUM, T.SET):
        values = ",".join(e.sql("mysql") for e in dtype.expressions)
        return f"{kind.name.lower()}({values})"
    return _MY.get(kind) or dtype.sql("mysql").lower()


def string_typed(dtype: exp.DataType | None) -> bool:
    return dtype is not None and dtype.this in STRING_TYPES


def catalog_default(node: exp.Expression | None, dtype: exp.DataType | None, flavor: str, text: str | None = None) -> str | None:
    """A column's DEFAULT as the catalog reports it: PostgreSQL casts string literals
    (``'x'::character varying``), MariaDB quotes strings and keeps numbers in the column's scale,
    SQLite keeps the text as written (``text``)."""
    if flavor == "sqlite":
        return text
    if node is None or isinstance(node, exp.Null):
        return None
    if flavor == "postgresql":
        return _pg_default(node, dtype)
    return _my_default(node, dtype, flavor == "mariadb")


def _pg_default(node: exp.Expression, dtype: exp.DataType | None) -> str:
    """As ``pg_get_expr`` prints it: casts as ``::type``, ``now()``, unqualified sequence names."""
    if isinstance(node, exp.Cast) and isinstance(node.to, (exp.DataType, exp.ObjectIdentifier)):
        to = _postgres(node.to) if isinstance(node.to, exp.DataType) else node.to.name.lower()
        inner = node.this
        text = inner.sql("postgres") if isinstance(inner, (exp.Literal, exp.Column)) else f"({_pg_default(inner, None)})"
        base = to.split("(")[0] if to.startswith(("character", "numeric")) else to
        return f"{text}::{'bpchar' if base == 'character' else base}"
    if isinstance(node, exp.Anonymous):
        args = ", ".join(_pg_default(a, None) for a in node.expressions)
        return f"{node.name.lower()}({args})".replace("('public.", "('")
    if isinstance(node, exp.Literal) and node.is_string and dtype is not None:
        cast = {T.TEXT: "text", T.CHAR: "bpchar", T.NCHAR: "bpchar"}.get(dtype.this, "character varying") \
            if string_typed(dtype) else None
        return f"{node.sql('postgres')}::{cast}" if cast else node.sql("postgres")
    if isinstance(node, exp.Boolean):
        return "true" if node.this else "false"
    if isinstance(node, exp.CurrentTimestamp):
        return "now()"  # sqlglot reads now() and CURRENT_TIMESTAMP alike; pg_dump writes now()
    if isinstance(node, exp.CurrentDate):
        return "CURRENT_DATE"
    return node.sql("postgres")


def _my_default(node: exp.Expression, dtype: exp.DataType | None, mariadb: bool) -> str:
    if isinstance(node, exp.Boolean):
        return "1" if node.this else "0"
    if isinstance(node, exp.CurrentTimestamp):
        digits = node.this.name if node.this is not None else ""
        return f"current_timestamp({digits})"
    if isinstance(node, exp.Literal) and not node.is_string and dtype is not None and dtype.this == T.DECIMAL:
        scale = int((params(dtype) + ["10", "0"])[1]) if params(dtype) else 0
        return f"{float(node.name):.{scale}f}"
    if isinstance(node, exp.Literal) and node.is_string and dtype is not None and not string_typed(dtype) \
            and dtype.this not in (T.DATE, T.DATETIME, T.TIMESTAMP, T.TIME):
        return node.name  # a number written as a string is a number
    return node.sql("mysql")
