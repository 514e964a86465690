"""Portable types and type families.

A canary's ``type`` is compared by family, not spelling: ``varchar(40)`` on
MariaDB, ``character varying(40)`` on PostgreSQL and ``VARCHAR(40)`` on SQLite
are all ``text``. Where a dialect has no native type for a portable one
(``uuid`` or ``json`` on MySQL, ``boolean`` on SQLite) the family it is stored
as also counts as a match.
"""

from __future__ import annotations

import re

# Ordered: the first pattern matching the lowercased type text wins.
_FAMILIES: tuple[tuple[str, str], ...] = (
    (r"^tinyint\(1\)", "boolean"),
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


def family(type_text: str) -> str:
    """The family of a type as written by a catalog or a spec (``other`` when unknown)."""
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
