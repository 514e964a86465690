"""Portable types and type families.

A canary's ``type`` is compared by family, not spelling: ``varchar(40)`` on
MariaDB, ``character varying(40)`` on PostgreSQL and ``VARCHAR(40)`` on SQLite
are all ``text``. Where a dialect has no native type for a portable one
(``uuid`` or ``json`` on MySQL, ``boolean`` on SQLite) the family it is stored
as also counts as a match.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Target dialect -> the name sqlglot reads and writes it under.
SQLGLOT_DIALECT = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}

# Ordered: the first pattern matching the lowercased type text wins.
_FAMILIES: tuple[tuple[str, str], ...] = (
    (r"^tinyint\(1\)", "boolean"),
    (r"^bit\(1\)", "boolean"),
    (r"^(bool|boolean)\b", "boolean"),
    (r"^(big|small|tiny|medium)?int(eger)?\b|^int[248]\b|^(big|small)?serial\b|^mediumint", "integer"),
    (r"^timestamp(\(\d+\))? with time zone|^timestamptz", "timestamptz"),
    (r"^(timestamp|datetime)", "timestamp"),
    (r"^date\b", "date"),
    (r"^time\b", "time"),
    (r"^(numeric|decimal|number)", "numeric"),
    (r"^(real|float|double)", "float"),
    (r"^uuid", "uuid"),
    (r"^jsonb?\b", "json"),
    (r"^(text|varchar|character|char|nvarchar|nchar|clob|string|(tiny|medium|long)text|citext|enum|set)\b", "text"),
    (r"^(bytea|blob|binary|varbinary|(tiny|medium|long)blob)", "binary"),
)

# Portable type -> families accepted as the same, per dialect (first is native).
_ACCEPTED: dict[str, dict[str, tuple[str, ...]]] = {
    "uuid": {"mysql": ("uuid", "text"), "sqlite": ("uuid", "text")},
    "json": {"mysql": ("json", "text"), "sqlite": ("json", "text")},
    "boolean": {"sqlite": ("boolean", "integer")},
    "timestamptz": {"mysql": ("timestamptz", "timestamp"), "sqlite": ("timestamptz", "timestamp", "text")},
    "timestamp": {"sqlite": ("timestamp", "text")},
    "date": {"sqlite": ("date", "text")},
    "time": {"sqlite": ("time", "text")},
    "numeric": {"sqlite": ("numeric", "integer", "float")},
}


@lru_cache(maxsize=4096)
def family(type_text: str) -> str:
    """The family of a type as written by a catalog or a spec (``other`` when unknown); cached, as a
    schema spells thousands of columns with a few dozen types."""
    text = type_text.strip().lower()
    if text in ("double", "float"):
        return "float"
    for pattern, fam in _FAMILIES:
        if re.search(pattern, text):
            return fam
    return "other"


def accepts(expected: str, actual_type: str, dialect: str) -> bool:
    """Whether a column of ``actual_type`` satisfies the portable ``expected`` type on ``dialect``."""
    want = family(expected)
    got = family(actual_type)
    if dialect == "sqlite" and actual_type.strip() == "":
        return True  # SQLite columns without a declared type accept anything
    return got in _ACCEPTED.get(want, {}).get(dialect, (want,))


# -- portable types rendered per dialect (issue: plan/apply) --------------------------------

_PORTABLE = re.compile(r"^\s*([a-z]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")

# Native spelling of each portable type; {0}/{1} are the declared length/precision/scale.
_NATIVE: dict[str, dict[str, str]] = {
    "postgresql": {
        "text": "TEXT", "varchar": "VARCHAR({0})", "char": "CHAR({0})", "integer": "INTEGER", "bigint": "BIGINT",
        "smallint": "SMALLINT", "boolean": "BOOLEAN", "numeric": "NUMERIC", "numeric1": "NUMERIC({0})",
        "numeric2": "NUMERIC({0}, {1})", "float": "REAL", "double": "DOUBLE PRECISION", "timestamp": "TIMESTAMP",
        "timestamptz": "TIMESTAMPTZ", "date": "DATE", "time": "TIME", "uuid": "UUID", "json": "JSONB",
    },
    "mysql": {
        "text": "TEXT", "varchar": "VARCHAR({0})", "char": "CHAR({0})", "integer": "INT", "bigint": "BIGINT",
        "smallint": "SMALLINT", "boolean": "TINYINT(1)", "numeric": "DECIMAL(10, 0)", "numeric1": "DECIMAL({0})",
        "numeric2": "DECIMAL({0}, {1})", "float": "FLOAT", "double": "DOUBLE", "timestamp": "DATETIME(6)",
        "timestamptz": "DATETIME(6)", "date": "DATE", "time": "TIME", "uuid": "CHAR(36)", "json": "JSON",
    },
    "sqlite": {
        "text": "TEXT", "varchar": "VARCHAR({0})", "char": "CHAR({0})", "integer": "INTEGER", "bigint": "BIGINT",
        "smallint": "SMALLINT", "boolean": "BOOLEAN", "numeric": "NUMERIC", "numeric1": "NUMERIC({0})",
        "numeric2": "NUMERIC({0}, {1})", "float": "REAL", "double": "DOUBLE", "timestamp": "TIMESTAMP",
        "timestamptz": "TIMESTAMPTZ", "date": "DATE", "time": "TIME", "uuid": "UUID", "json": "JSON",
    },
}


def native(portable: str, dialect: str) -> str:
    """The dialect's DDL spelling of a portable type (``varchar(40)`` -> ``VARCHAR(40)``)."""
    m = _PORTABLE.match(portable.lower())
    if not m:
        raise ValueError(f"not a portable type: {portable!r}")
    base, a, b = m.groups()
    key = base + ("2" if b else "1" if a else "") if base == "numeric" else base
    return _NATIVE[dialect][key].format(a, b)


# Catalog spelling -> canonical, so a declared type and an inspected one compare equal.
_CANONICAL: tuple[tuple[str, str], ...] = (
    (r"^character varying", "varchar"), (r"^character\b", "char"), (r"^(int|integer|int4|mediumint)\b", "integer"),
    (r"^(int8)\b", "bigint"), (r"^(int2)\b", "smallint"), (r"^tinyint\(1\)", "boolean"), (r"^bool\b", "boolean"),
    (r"^decimal", "numeric"), (r"^double precision|^double\b|^float8", "double"), (r"^real\b|^float4", "float"),
    (r"^timestamp(\(\d+\))? with time zone|^timestamptz", "timestamptz"),
    (r"^timestamp(\(\d+\))?( without time zone)?$", "timestamp"), (r"^datetime", "timestamp"),
    (r"^time(\(\d+\))?( without time zone)?$", "time"), (r"^jsonb?\b|^longtext\b", "json"),
)


def canonical(type_text: str, dialect: str) -> str:
    """A comparable spelling of a type on ``dialect``: ``character varying(40)`` == ``VARCHAR(40)``."""
    text = re.sub(r"\s+", " ", type_text.strip().lower())
    text = re.sub(r"\s*\(\s*", "(", re.sub(r"\s*,\s*", ",", re.sub(r"\s*\)", ")", text)))
    if dialect == "mysql":
        text = re.sub(r"^(bigint|int|smallint|mediumint)\(\d+\)", r"\1", text).replace(" unsigned", "")
    for pattern, name in _CANONICAL:
        m = re.match(pattern, text)
        if m:
            rest = text[m.end():] if name in ("varchar", "char", "numeric") else ""
            return name + rest
    return text


def same_type(portable: str, actual: str, dialect: str) -> bool:
    """Whether an inspected column type is what declaring ``portable`` on ``dialect`` creates."""
    return canonical(native(portable, dialect), dialect) == canonical(actual, dialect)


# The portable types a spec may name (schemas/*.schema.json, ``$defs.type``).
PORTABLE_TYPE = re.compile(r"^(text|integer|bigint|smallint|boolean|timestamp|timestamptz|date|time|uuid|json|float|double"
                           r"|varchar\(\d+\)|char\(\d+\)|numeric\(\d+(,\s*\d+)?\)|numeric)$")


def portable(actual_type: str, dialect: str) -> str | None:
    """The portable type of an inspected column, for a spec that describes it: its canonical spelling
    (``character varying(40)`` -> ``varchar(40)``, ``int(11)`` -> ``integer``) where that is portable
    and of the same family, else the family's portable name (``mediumint`` -> ``integer``); None where
    there is none (``bytea``, an enum or domain, an array). ``accepts`` holds for what it returns."""
    if actual_type.strip().endswith("]"):
        return None  # an array of a type is not that type
    for candidate in (canonical(actual_type, dialect), family(actual_type)):
        if PORTABLE_TYPE.match(candidate) and family(candidate) == family(actual_type) and accepts(candidate, actual_type, dialect):
            return candidate
    return None
