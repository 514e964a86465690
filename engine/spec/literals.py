"""Literal defaults against the type of their column: whether the server can take a declared value.

A literal ``default`` is written into the DDL as an escaped literal; the server reads it as a
value of the column's type and refuses what it cannot read (``'maybe'`` for a boolean,
``'{bad json'`` for json on PostgreSQL, ``99999999`` for a smallint on MariaDB), or takes it and
then fails every insert that uses it (PostgreSQL keeps ``DEFAULT 99999999`` on a smallint and
``DEFAULT 'toolong'`` on a varchar(3)). ``problem`` says why a value does not fit a type:

- a portable type as a spec declares it (``dialect`` None: ``validate``): the value must be one
  of the type's values wherever it runs. A boolean takes ``true``/``false``; a number column a
  number (not a boolean, a number within the type's range, an integer for an integer type, no
  more decimals than a numeric's scale, at most ``p - s`` digits before the point); a text type
  at most its length; ``date``/``time``/``timestamp`` ISO text (a time of day: below 24:00);
  ``uuid`` a UUID; ``json`` a string holding JSON text;
- a type as the dialect's catalog spells it (``plan``: ``character varying(3)``, ``int(10)
  unsigned``, ``tinyint(1)``, ``enum('sad','ok')``), with what that dialect adds: MySQL's
  ``DATETIME`` takes no offset and no ``infinity`` (PostgreSQL's special dates), its ``TIME`` is
  a duration up to 838:59:59, its ``TINYINT(1)`` a byte, its ``ENUM`` only its values, and MySQL
  8 (not MariaDB) no literal default on a ``TEXT`` or ``JSON`` column.

``.nan``, ``.inf`` and ``-.inf`` have no portable SQL literal (``unspellable``). A type of
another family (a PostgreSQL enum or domain, whose values inspection does not read) is not
checked.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from . import types

# Bits of each integer type, by the first word of its spelling.
_BITS = {"tinyint": 8, "smallint": 16, "int2": 16, "mediumint": 24, "int": 32, "integer": 32, "int4": 32,
         "bigint": 64, "int8": 64}
_FLOAT_MAX = {True: 3.4028234663852886e38, False: 1.7976931348623157e308}  # single, double precision
_TIME = re.compile(r"^(-)?(\d{1,3}):([0-5]\d)(?::([0-5]\d)(\.\d+)?)?$")


@dataclass(frozen=True)
class _Type:
    """What a literal must fit: the family and the bounds a type text spells."""

    text: str
    family: str
    args: tuple[int, ...] = ()
    bits: int | None = None
    unsigned: bool = False
    single: bool = False
    enum: tuple[str, ...] | None = None


def _parse(type_text: str, dialect: str | None) -> _Type:
    text = re.sub(r"\s+", " ", type_text.strip().lower())
    family = types.family(text)
    inner = re.search(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)", text)
    args = tuple(int(g) for g in inner.groups() if g is not None) if inner else ()
    word = re.match(r"[a-z0-9]+", text)
    bits = _BITS.get(word.group(0) if word else "") if family == "integer" else None
    if dialect == "sqlite" and word and word.group(0) in ("int", "integer"):
        bits = 64  # SQLite's INTEGER is its 64-bit integer (a declared SMALLINT keeps the spec's meaning)
    single = family == "float" and dialect != "sqlite" and (  # SQLite's REAL is 8 bytes
        re.match(r"^(real|float4)\b", text) is not None or (re.match(r"^float\b", text) is not None and not (args and args[0] > 24)))
    enum = tuple(v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", text)) if text.startswith("enum(") else None
    return _Type(type_text.strip(), family, args, bits, " unsigned" in text, single, enum)


def integer_bounds(type_text: str, dialect: str | None = None) -> tuple[int, int] | None:
    """The lowest and highest value an integer type holds (``smallint`` -32768 to 32767, ``int(10)
    unsigned`` 0 to 4294967295), or None for another type or one of unknown width."""
    kind = _parse(type_text, dialect)
    if not kind.bits:
        return None
    return (0, 2 ** kind.bits - 1) if kind.unsigned else (-(2 ** (kind.bits - 1)), 2 ** (kind.bits - 1) - 1)


def float_limit(type_text: str, dialect: str | None = None) -> float:
    """The largest magnitude a float type holds: single or double precision."""
    return _FLOAT_MAX[_parse(type_text, dialect).single]


def shown(value) -> str:
    """A declared value as a spec spells it: ``'maybe'``, ``99999999``, ``true``."""
    return repr(value) if isinstance(value, str) else json.dumps(value)


def unspellable(value) -> str | None:
    """Why ``value`` has no SQL literal at all (``.nan``, ``.inf``), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        word = ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
        return (f"{word} has no portable SQL literal (it would be written as the bare word {str(value).lower()}, which "
                "PostgreSQL and MySQL read as a column name and SQLite stores as text): declare a finite number")
    return None


def problem(value, type_text: str, dialect: str | None = None, mariadb: bool = True) -> str | None:
    """Why the literal ``value`` cannot be the default of a column of ``type_text`` (a portable type
    when ``dialect`` is None, else as the dialect's catalog spells it), or None when it fits."""
    if value is None:
        return None
    why = unspellable(value)
    if why:
        return why
    kind = _parse(type_text, dialect)
    if dialect == "mysql" and not mariadb and (kind.family == "json" or re.match(r"^(tiny|medium|long)?text\b", kind.text.lower())):
        return "MySQL 8 takes no literal default for a TEXT or JSON column (MariaDB does)"
    check = _CHECKS.get(kind.family)
    return check(value, kind, dialect) if check else None


def _boolean(value, kind: _Type, dialect):
    if isinstance(value, bool):
        return None
    byte = dialect == "mysql" and kind.text.lower().startswith("tinyint")  # a live TINYINT(1) is a byte to MySQL
    if byte and (isinstance(value, (int, float)) or re.match(r"^\s*[+-]?\d+\s*$", str(value))):
        return _integer(value, _Type(kind.text, "integer", bits=8), dialect)
    return "a boolean default is true or false"


def _number(value, kind: _Type, whole: bool = False) -> Decimal | str:
    """The declared number, or why it is none (a boolean is no number: PostgreSQL refuses it; an
    integer column reads text as digits only)."""
    if isinstance(value, bool):
        return f"{kind.family} takes a number, not {str(value).lower()}"
    if whole and isinstance(value, str) and not re.match(r"^\s*[+-]?\d+\s*$", value):
        return "it is not a whole number"
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return "it is not a number"
    return number if number.is_finite() else "it is not a finite number"


def _integer(value, kind: _Type, dialect):
    number = _number(value, kind, whole=True)
    if isinstance(number, str):
        return number
    if number != number.to_integral_value():
        return "it is not a whole number (the column would store it rounded)"
    if kind.bits:
        low, high = (0, 2 ** kind.bits - 1) if kind.unsigned else (-(2 ** (kind.bits - 1)), 2 ** (kind.bits - 1) - 1)
        if not low <= number <= high:
            return f"{kind.text} holds {low} to {high}"
    return None


def _numeric(value, kind: _Type, dialect):
    number = _number(value, kind)
    if isinstance(number, str) or not kind.args:
        return number if isinstance(number, str) else None
    precision, scale = kind.args[0], (kind.args[1] if len(kind.args) > 1 else 0)
    if max(0, -number.normalize().as_tuple().exponent) > scale:
        return f"{kind.text} keeps {scale} decimal place{'s' if scale != 1 else ''} (the column would store it rounded)"
    if abs(number) >= Decimal(10) ** (precision - scale):
        return f"{kind.text} holds at most {precision - scale} digit{'s' if precision - scale != 1 else ''} before the point"
    return None


def _float(value, kind: _Type, dialect):
    number = _number(value, kind)
    if isinstance(number, str):
        return number
    limit = _FLOAT_MAX[kind.single]
    return None if abs(number) <= Decimal(limit) else f"{kind.text} holds numbers up to about {limit:.4g}"


def _text(value, kind: _Type, dialect):
    shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if kind.enum is not None:
        if shown.casefold() not in {v.casefold() for v in kind.enum}:
            return f"it is not one of the enum's values ({', '.join(repr(v) for v in kind.enum)})"
        return None
    if kind.args and re.match(r"^(var)?char|^character|^nchar|^nvarchar|^bpchar", kind.text.lower()) and len(shown) > kind.args[0]:
        return f"{kind.text} holds at most {kind.args[0]} character{'s' if kind.args[0] != 1 else ''}"
    return None


def _special(value, dialect) -> str | None:
    """PostgreSQL's ``infinity``, ``-infinity`` and ``epoch`` dates and times: "" where they hold
    (PostgreSQL, and SQLite, which keeps the text), why where not (MySQL), None for another value."""
    if not (isinstance(value, str) and value.strip().lower() in ("infinity", "-infinity", "epoch")):
        return None
    return "MySQL has no such date or time (it is PostgreSQL's)" if dialect == "mysql" else ""


def _date(value, kind: _Type, dialect):
    special = _special(value, dialect)
    if special is not None:
        return special or None
    for parse in (date.fromisoformat, datetime.fromisoformat):  # a timestamp's date part is the date
        try:
            parse(value.strip()) if isinstance(value, str) else parse("")
            return None
        except ValueError:
            continue
    return "it is not a date (YYYY-MM-DD)"


def _timestamp(value, kind: _Type, dialect):
    special = _special(value, dialect)
    if special is not None:
        return special or None
    if not isinstance(value, str):
        return "it is not a date and time (YYYY-MM-DD HH:MM:SS)"
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        hint = " (for the time of each insert, declare {expr: now})" if value.strip().lower() in ("now", "today") else ""
        return f"it is not a date and time (YYYY-MM-DD HH:MM:SS){hint}"
    if dialect == "mysql" and (moment.tzinfo is not None or value.strip().endswith("Z")):
        return "MySQL's DATETIME holds no offset, and MariaDB refuses one in a default: declare the time without it"
    return None


def _time(value, kind: _Type, dialect):
    found = _TIME.match(str(value).strip()) if isinstance(value, str) else None
    if not found:
        return "it is not a time (HH:MM[:SS])"
    sign, hours = found.group(1), int(found.group(2))
    if dialect == "mysql":  # a MySQL TIME is a duration
        return None if hours <= 838 else "a MySQL TIME holds -838:59:59 to 838:59:59"
    if sign or hours > 24 or (hours == 24 and any(int(p or 0) for p in found.groups()[2:4]) or found.group(5)):
        return "it is not a time of day (00:00 to 24:00)"
    return None


def _uuid(value, kind: _Type, dialect):
    try:
        uuid.UUID(value.strip() if isinstance(value, str) else "")
    except ValueError:
        return "it is not a UUID"
    return None


def _json(value, kind: _Type, dialect):
    if not isinstance(value, str):
        return f"a json default is JSON text in a string (write default: '{json.dumps(value)}')"
    try:
        json.loads(value)
    except ValueError as exc:
        return f"it is not JSON text ({str(exc).split(':')[0]})"
    return None


_CHECKS = {"boolean": _boolean, "integer": _integer, "numeric": _numeric, "float": _float, "text": _text, "date": _date,
           "timestamp": _timestamp, "timestamptz": _timestamp, "time": _time, "uuid": _uuid, "json": _json}
