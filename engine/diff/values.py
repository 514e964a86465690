"""Declared YAML scalars against stored values, by the type family of their column.

A seed declares ``value: true`` or ``at: "2026-01-01 10:00:00"``; the drivers
return ``'true'``, ``1``, ``Decimal('1.50')``, aware datetimes, dicts for JSON,
``timedelta`` for a MySQL TIME, ``'ab   '`` for a ``char(5)``. ``canonical``
turns both sides into one comparable, hashable form for the column, modelling
what the column does to a value it stores (padding, rounding to its scale or
precision, single-precision floats), so that keys match and an applied row
compares equal on the next plan. ``to_bind`` is what a declared value is bound
as: the form the column takes without an implicit cast the server lacks
(PostgreSQL has no ``varchar = integer`` and no ``boolean := smallint``).
``problem`` says when a declared value cannot be stored in the column at all.
"""

from __future__ import annotations

import json
import re
import struct
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from ..spec import literals, types

TRUE, FALSE = ("true", "t", "1", "yes", "on", "y"), ("false", "f", "0", "no", "off", "n")
_TIME = re.compile(r"^(-)?(\d+):(\d{2})(?::(\d{2})(\.\d+)?)?$")


class Column:
    """What comparing and binding need of a column: its family, and what it does to stored values."""

    def __init__(self, type_text: str | None, dialect: str = ""):
        text = (type_text or "").strip().lower()
        self.family = types.family(text) if text else "other"
        self.dialect = dialect
        self.type_text = text
        digits = re.search(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)", text)
        self.scale = None
        self.precision_digits = None  # digits a numeric(p,s) holds before the point: p - s
        if self.family == "numeric" and digits:
            self.precision_digits = int(digits.group(1)) - int(digits.group(2) or 0)
        if self.family == "numeric" and digits and digits.group(2):
            self.scale = int(digits.group(2))
        elif self.family == "integer":
            self.scale = 0
        # fractional digits of a time or timestamp (PostgreSQL keeps 6 unless told; MySQL 0)
        self.precision = int(digits.group(1)) if digits and self.family in ("timestamp", "timestamptz", "time") else (
            0 if dialect == "mysql" else 6)
        self.truncates = dialect == "mysql"  # MariaDB/MySQL cut extra fractional seconds, PostgreSQL rounds
        self.padded = bool(re.match(r"^(char|character|nchar|bpchar)\b(?!\s+varying)", text))
        # characters a text column holds at most (PostgreSQL and MySQL refuse more; SQLite keeps them)
        self.length = int(digits.group(1)) if digits and self.family == "text" and dialect in ("postgresql", "mysql") else None
        # MySQL DATETIME holds no zone: a declared offset is stored as its UTC instant. A TIMESTAMP
        # converts from the session's zone, which recon does not set: an offset there is refused.
        self.utc_datetime = dialect == "mysql" and text.startswith("datetime")
        self.single = (dialect == "postgresql" and text.startswith(("real", "float4"))) or (
            dialect == "mysql" and re.match(r"^float\b(?!\s*\(\s*(2[5-9]|[3-5]\d)\s*\))", text) is not None)


def to_bind(value, column: Column):
    """The value bound for ``column``: what the column takes, where ``canonical`` says it is the same."""
    if value is None:
        return None
    family = column.family
    if family == "text":
        return _text(value, column)
    if family == "boolean":
        if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
            return value.strip().lower() in TRUE
        return bool(value) if isinstance(value, (int, float)) and value in (0, 1) else value
    if family in ("integer", "numeric", "float") and isinstance(value, bool):
        return int(value)
    if family == "integer" and isinstance(value, float):  # the integer the column would store (1.5 -> 2)
        return int(_number(value, column))
    if family == "numeric" and column.scale is not None and isinstance(value, float):
        stored = _number(value, column)  # 1.005 in a numeric(10,2) is 1.01: bound as that, a key matches it
        return format(stored, "f") if stored != Decimal(str(value)) else value
    if family == "json" and not isinstance(value, str):
        return json.dumps(value)
    if family in ("timestamp", "timestamptz") and column.utc_datetime and isinstance(value, str):
        # MariaDB refuses an offset in a DATETIME: bind the instant in UTC, as the portable type table says
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    return value


def canonical(value, column: Column):
    """A hashable form of a declared or stored value; equal forms mean equal values for ``column``."""
    if value is None:
        return None
    try:
        return _CANON.get(column.family, _text)(value, column)
    except (ValueError, TypeError, InvalidOperation, OverflowError, struct.error):
        return ("raw", str(value))


def same(declared, stored, column: Column) -> bool:
    """Whether ``stored`` already is the ``declared`` value.

    Times with and without an offset compare as wall-clock times: an aware value read back
    is in the session's time zone, where the database also reads a declared value without one.
    """
    if declared is not None and stored is not None and column.family in ("timestamp", "timestamptz"):
        try:
            left, right = _moment(declared, column), _moment(stored, column)
        except (ValueError, TypeError):
            return False
        if (left.tzinfo is None) != (right.tzinfo is None):
            left, right = left.replace(tzinfo=None), right.replace(tzinfo=None)
        return left == right
    return canonical(declared, column) == canonical(stored, column)


def problem(value, column: Column) -> str | None:
    """Why ``value`` cannot be stored in ``column`` (a number column given ``x1``, six characters
    for a ``varchar(5)``), or None."""
    if value is not None and column.length is not None and len(_text(value, column)) > column.length:
        return f"{value!r} is longer than the {column.length} characters the column holds"
    if value is None or column.family not in ("integer", "numeric", "float", "boolean", "date", "time", "timestamp", "timestamptz", "json", "uuid"):
        return None
    form = canonical(value, column)
    if isinstance(form, tuple) and form[:1] == ("raw",):
        return f"{value!r} is not a valid {column.family} value"
    if column.family in ("integer", "numeric", "float"):
        why = _out_of_range(form, column)
        if why:
            return f"{value!r} {why}"
    json_checked = column.family == "json" and column.dialect in ("postgresql", "mysql")  # MySQL's JSON, MariaDB's json_valid
    if (json_checked or (column.family == "uuid" and column.dialect == "postgresql")) and isinstance(value, str):
        try:
            uuid.UUID(value.strip()) if column.family == "uuid" else json.loads(value)
        except ValueError:
            return f"{value!r} is not a valid {column.family} value"
    if column.dialect == "mysql" and column.family in ("timestamp", "timestamptz") and not column.utc_datetime \
            and isinstance(value, str) and _moment(value, column).tzinfo is not None:
        return f"{value!r} has an offset, which a MySQL TIMESTAMP does not take (it reads the session's zone): declare the time without one"
    return None


def _out_of_range(number: Decimal, column: Column) -> str | None:
    """Why a number (as the column would round it) is more than the column holds: the server refuses
    it (PostgreSQL ``out of range``, ``numeric field overflow``; MariaDB 1264), SQLite's driver
    takes no integer past 64 bits and would store a float past the double range as infinity."""
    if not number.is_finite():
        return None if column.dialect == "postgresql" and column.family == "float" else "is not a finite number"
    if column.family == "integer":
        low, high = (-(2 ** 63), 2 ** 63 - 1) if column.dialect == "sqlite" else (
            literals.integer_bounds(column.type_text, column.dialect) or (-(2 ** 63), 2 ** 63 - 1))
        return None if low <= number <= high else f"is out of range: {column.type_text} holds {low} to {high}"
    if column.family == "float":
        limit = literals.float_limit(column.type_text, column.dialect)
        return None if abs(number) <= Decimal(limit) else f"is out of range: {column.type_text} holds numbers up to about {limit:.4g}"
    if column.precision_digits is not None and column.dialect != "sqlite" and abs(number) >= Decimal(10) ** column.precision_digits:
        return f"is out of range: {column.type_text} holds at most {column.precision_digits} digits before the point"
    return None


def digest_form(value):
    """A stored value as text that does not depend on the session (aware times in UTC)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def _number_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value, column: Column):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return _number_text(value)
    text = str(value)
    return text.rstrip(" ") if column.padded else text


def _boolean(value, _column):
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE or word in FALSE:
            return word in TRUE
        raise ValueError(value)
    if isinstance(value, (bytes, bytearray)):  # MySQL BIT(1)
        return int.from_bytes(value, "big") == 1
    if value in (0, 1):  # bool, int or Decimal
        return bool(value)
    raise ValueError(value)


def _number(value, column: Column):
    number = Decimal(int(value)) if isinstance(value, bool) else Decimal(str(value).strip())
    if column.scale is not None:  # the column rounds what it stores
        number = number.quantize(Decimal(1).scaleb(-column.scale), rounding=ROUND_HALF_UP)
    if column.single:  # a 4-byte float keeps about 7 significant digits
        number = Decimal(repr(struct.unpack("f", struct.pack("f", float(number)))[0]))
    return number.normalize()


def _moment(value, column: Column) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if column.utc_datetime and moment.tzinfo is not None:  # stored as its UTC instant (to_bind)
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    step = Decimal(1).scaleb(-column.precision)
    micro = Decimal(moment.microsecond).scaleb(-6).quantize(step, rounding=ROUND_DOWN if column.truncates else ROUND_HALF_UP)
    return moment.replace(microsecond=0) + timedelta(seconds=float(micro))


def _timestamp(value, column: Column):
    moment = _moment(value, column)
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def _date(value, _column):
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip())


def _time(value, _column):
    """Microseconds from midnight (negative or past 24 h on MySQL, whose TIME is a duration)."""
    if isinstance(value, timedelta):
        return ("us", value // timedelta(microseconds=1))
    if isinstance(value, time):
        return ("us", ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond)
    found = _TIME.match(str(value).strip())
    if not found:
        raise ValueError(value)
    sign, hours, minutes, seconds, fraction = found.groups()
    total = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds or 0)) * 1_000_000 + int(Decimal(fraction or "0") * 1_000_000)
    return ("us", -total if sign else total)


def _uuid(value, _column):
    return str(value).strip().lower()


def _json(value, _column):
    try:
        parsed = json.loads(value) if isinstance(value, (str, bytes)) else value
    except ValueError:  # psycopg returns a stored JSON string as that string, already parsed
        parsed = value
    return json.dumps(_json_numbers(parsed), sort_keys=True, separators=(",", ":"), default=str)


def _json_numbers(value):
    """JSON with each number by its value: ``0.0`` is ``0`` and ``1e5`` is ``100000``, as a PostgreSQL
    jsonb restates them and a SQLite JSON column (numeric affinity) stores ``'0.0'`` as the integer 0."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_numbers(v) for v in value]
    return value


_CANON = {"boolean": _boolean, "integer": _number, "numeric": _number, "float": _number, "timestamp": _timestamp,
          "timestamptz": _timestamp, "date": _date, "time": _time, "uuid": _uuid, "json": _json, "text": _text}
