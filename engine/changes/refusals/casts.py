"""Which type changes PostgreSQL can make: the casts between recon's portable types.

``ALTER COLUMN ... TYPE new USING CAST(col AS new)`` needs an explicit cast from the old
type to the new one, and converts the column's default with an assignment cast (without
one: "default for column cannot be cast automatically"). Whether a cast exists is a fact
of the two types, known before any row is read; whether every stored value converts
(``'abc'`` to integer) is not, and is left to the server.

The tables were probed on PostgreSQL 15 for every ordered pair of the portable types of
``engine/spec/types.py`` (an empty table, the statement recon renders, then the same with a
default on the column), and are written per kind: a type family, except that only
``integer`` (int4) casts to and from ``boolean``, and only ``jsonb`` (not ``json``) to numbers
and ``boolean``. Within a family every change casts both ways. A type outside the table
(``bytea``, an enum, a geometric type) is not decided here.
"""

from __future__ import annotations

from ...spec import types

_NUMBERS = {"int4", "integer", "numeric", "float"}
_TIMES = {"timestamp", "timestamptz", "date", "time"}

# kind -> kinds an explicit CAST reaches (besides its own family)
_EXPLICIT: dict[str, set[str]] = {
    "text": _NUMBERS | _TIMES | {"boolean", "uuid", "json", "jsonb", "text"},
    "int4": {"text", "boolean"} | _NUMBERS,
    "integer": {"text"} | _NUMBERS,
    "boolean": {"text", "int4"},
    "numeric": {"text"} | _NUMBERS,
    "float": {"text"} | _NUMBERS,
    "timestamp": {"text"} | _TIMES,
    "timestamptz": {"text"} | _TIMES,
    "date": {"text", "timestamp", "timestamptz"},
    "time": {"text"},
    "uuid": {"text"},
    "json": {"text"},
    "jsonb": {"text", "boolean"} | _NUMBERS,
}

# kind -> kinds an assignment cast reaches (besides its own family): what converts a default
_ASSIGNMENT: dict[str, set[str]] = {
    "text": set(),
    "int4": {"text"} | _NUMBERS,
    "integer": {"text"} | _NUMBERS,
    "boolean": {"text"},
    "numeric": {"text"} | _NUMBERS,
    "float": {"text"} | _NUMBERS,
    "timestamp": {"text"} | _TIMES,
    "timestamptz": {"text"} | _TIMES,
    "date": {"text", "timestamp", "timestamptz"},
    "time": {"text"},
    "uuid": {"text"},
    "json": {"text"},
    "jsonb": {"text"},
}

_FAMILY_OF = {"int4": "integer", "jsonb": "json"}


def _kind(type_text: str) -> str:
    """The kind of a PostgreSQL type for the cast tables (its family, int4 and jsonb apart)."""
    text = type_text.strip().lower()
    family = types.family(text)
    if family == "integer":
        return "int4" if types.canonical(text, "postgresql") == "integer" else "integer"
    if family == "json":
        return "jsonb" if text.startswith("jsonb") else "json"
    return family


def _reaches(table: dict[str, set[str]], old: str, new: str) -> bool | None:
    a, b = _kind(old), _kind(new)
    if a not in table or b not in table:
        return None  # a type the probe did not cover: not decided here
    return _FAMILY_OF.get(a, a) == _FAMILY_OF.get(b, b) or b in table[a]


def castable(old: str, new: str) -> bool | None:
    """Whether PostgreSQL has an explicit cast from type ``old`` to ``new`` (None: not known here)."""
    return _reaches(_EXPLICIT, old, new)


def assignable(old: str, new: str) -> bool | None:
    """Whether PostgreSQL converts a default of type ``old`` to ``new`` by itself (None: not known here)."""
    return _reaches(_ASSIGNMENT, old, new)
