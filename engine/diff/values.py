"""Declared YAML scalars against stored values, by the type family of their column.

A seed declares ``value: true`` or ``at: "2026-01-01 10:00:00"``; the drivers
return ``'true'``, ``1``, ``Decimal('1.50')``, aware datetimes, dicts for JSON,
``timedelta`` for a MySQL TIME. ``canonical`` turns both sides into one
comparable, hashable form for the column's family (``types.family``), so that
keys match and an applied row compares equal on the next plan. ``to_bind``
is what a declared value is bound as: text columns get text (PostgreSQL has no
``varchar = integer``), everything else goes as declared and the database casts it.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .. import types

TRUE, FALSE = ("true", "t", "1", "yes", "on", "y"), ("false", "f", "0", "no", "off", "n")


class Column:
    """What comparing and binding need of a column: its family and, for numerics, its scale."""

    def __init__(self, type_text: str | None):
        self.family = types.family(type_text) if type_text else "other"
        found = re.search(r"\(\s*\d+\s*,\s*(\d+)\s*\)", type_text or "")
        self.scale = int(found.group(1)) if found and self.family == "numeric" else None


def to_bind(value, column: Column):
    """The value bound for ``column``: text for text columns, else as declared."""
    if value is None or column.family != "text":
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_text(value)
    return value


def canonical(value, column: Column):
    """A hashable form of a declared or stored value; equal forms mean equal values for ``column``."""
    if value is None:
        return None
    try:
        return _CANON.get(column.family, _text)(value, column)
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        return ("raw", str(value))


def same(declared, stored, column: Column) -> bool:
    """Whether ``stored`` already is the ``declared`` value."""
    return canonical(declared, column) == canonical(stored, column)


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


def _text(value, _column):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return _number_text(value)
    return str(value)


def _boolean(value, _column):
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE or word in FALSE:
            return word in TRUE
        return ("raw", value)
    if value in (0, 1):  # bool, int or Decimal
        return bool(value)
    return ("raw", str(value))


def _number(value, column: Column):
    number = Decimal(int(value)) if isinstance(value, bool) else Decimal(str(value).strip())
    if column.scale is not None:  # the column rounds what it stores
        number = number.quantize(Decimal(1).scaleb(-column.scale), rounding=ROUND_HALF_UP)
    return number.normalize()


def _timestamp(value, _column):
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    # An aware value read back is in the session's time zone, where the database also reads a
    # declared value without an offset: compare wall-clock times.
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def _date(value, _column):
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip())


def _time(value, _column):
    if isinstance(value, timedelta):  # MySQL TIME
        seconds = int(value.total_seconds())
        return time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60, value.microseconds)
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    return time.fromisoformat(str(value).strip())


def _uuid(value, _column):
    return str(value).strip().lower()


def _json(value, _column):
    parsed = json.loads(value) if isinstance(value, (str, bytes)) else value
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), default=str)


_CANON = {"boolean": _boolean, "integer": _number, "numeric": _number, "float": _number, "timestamp": _timestamp,
          "timestamptz": _timestamp, "date": _date, "time": _time, "uuid": _uuid, "json": _json, "text": _text}
