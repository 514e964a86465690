"""Sizes in a portable type against what each dialect holds: ``varchar(n)``, ``char(n)``, ``numeric(p[,s])``.

What the servers take (each limit tried on PostgreSQL 15 and MariaDB 10.11; MySQL 8's from its
manual, as no MySQL 8 server can be installed here):

| type | PostgreSQL | MySQL 8 / MariaDB | SQLite |
|---|---|---|---|
| `varchar(n)` | 1 <= n <= 10485760 | n characters of the column's character set <= 65535 bytes (16383 in utf8mb4, error 1074); `varchar(0)` is taken | any |
| `char(n)` | 1 <= n <= 10485760 | n <= 255 (1074); `char(0)` is taken | any |
| `numeric(p,s)` | 1 <= p <= 1000; s <= p before PostgreSQL 15 | p <= 65 (1426), s <= p (1427), s <= 30 on MySQL 8 and 38 on MariaDB (1425); `DECIMAL(0)` becomes `DECIMAL(10,0)` | any |

A MySQL row holds at most 65535 bytes over all its columns (error 1118), counted from their
types as ``mysql_row_bytes`` does (each rule tried on MariaDB at the limit): a varchar its
characters' bytes and 1 or 2 length bytes, a TEXT or JSON column 9 to 12 (its pointer), a
DECIMAL 4 bytes per 9 digits on each side of the point, one byte per 8 nullable columns.

``problem`` is what no supported dialect holds as declared (a validate error): a length or
precision of 0, a scale above the precision, more than PostgreSQL's maximum (the larger of
the two servers'). ``dialect_problem`` is what one dialect refuses that another takes (a
varchar(20000) fits PostgreSQL, not MariaDB in utf8mb4): validate warns, plan refuses it there.
"""

from __future__ import annotations

import re

_SIZED = re.compile(r"^\s*(varchar|char|numeric)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)\s*$")
PG_MAX_LENGTH = 10485760
PG_MAX_PRECISION = 1000
MYSQL_ROW_BYTES = 65535
MYSQL_MAX_CHAR = 255
MYSQL_MAX_PRECISION = 65
MYSQL_MAX_SCALE = {True: 38, False: 30}  # MariaDB, MySQL 8


def _sizes(portable: str | None) -> tuple[str, int, int | None] | None:
    found = _SIZED.match((portable or "").lower())
    if not found:
        return None
    base, first, second = found.groups()
    return base, int(first), int(second) if second is not None else None


def problem(portable: str | None) -> str | None:
    """Why no supported dialect holds ``portable`` as declared, or None."""
    sized = _sizes(portable)
    if sized is None:
        return None
    base, size, scale = sized
    if base in ("varchar", "char"):
        if size == 0:
            return f"{portable} holds no character: PostgreSQL refuses a length of 0 (and MySQL's column holds only '')"
        if size > PG_MAX_LENGTH:
            return f"{portable} is longer than any supported dialect holds (PostgreSQL at most {PG_MAX_LENGTH}; declare text)"
        return None
    if size == 0:
        return f"{portable} has no digits: PostgreSQL refuses a precision of 0 and MySQL makes it DECIMAL(10,0)"
    if size > PG_MAX_PRECISION:
        return f"{portable} has more digits than any supported dialect holds (PostgreSQL at most {PG_MAX_PRECISION}, MySQL {MYSQL_MAX_PRECISION})"
    if scale is not None and scale > size:
        return f"{portable} has a scale above its precision: MySQL and PostgreSQL before 15 refuse it (declare numeric({scale},{scale}) or more digits)"
    return None


def dialect_problem(portable: str | None, dialect: str, mariadb: bool = False, char_bytes: int = 4) -> str | None:
    """Why ``dialect`` refuses ``portable`` though another dialect takes it, or None. On MySQL a
    varchar's bytes count with ``char_bytes`` per character (the character set's most: 4 in utf8mb4)."""
    sized = _sizes(portable)
    if sized is None or dialect != "mysql" or problem(portable):
        return None
    base, size, scale = sized
    if base == "char" and size > MYSQL_MAX_CHAR:
        return f"{portable} is longer than MySQL's CHAR holds ({MYSQL_MAX_CHAR} characters, error 1074): declare varchar(n) or text"
    if base == "varchar" and size * char_bytes > MYSQL_ROW_BYTES:
        most = MYSQL_ROW_BYTES // char_bytes
        each = f"{char_bytes} byte{'s' if char_bytes != 1 else ''}"
        return (f"{portable} is longer than MySQL's VARCHAR holds ({MYSQL_ROW_BYTES} bytes: {most} characters at {each} each in "
                f"the database's character set, error 1074): declare text, or at most varchar({most})")
    if base == "numeric" and size > MYSQL_MAX_PRECISION:
        return f"{portable} has more digits than MySQL's DECIMAL holds ({MYSQL_MAX_PRECISION}, error 1426)"
    limit = MYSQL_MAX_SCALE[mariadb]
    if base == "numeric" and scale is not None and scale > limit:
        return (f"{portable} has a larger scale than {'MariaDB' if mariadb else 'MySQL 8'}'s DECIMAL holds ({limit} decimal "
                f"places, error 1425{'' if mariadb else '; MariaDB takes 38'})")
    return None


# -- the bytes of a MySQL row ---------------------------------------------------------------------

_FIXED = {"tinyint": 1, "bool": 1, "boolean": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4, "bigint": 8,
          "double": 8, "real": 8, "date": 3, "year": 1, "tinytext": 9, "tinyblob": 9, "text": 10, "blob": 10,
          "mediumtext": 11, "mediumblob": 11, "longtext": 12, "longblob": 12, "json": 12}
_TEMPORAL = {"time": 3, "datetime": 5, "timestamp": 4}  # plus the fractional seconds' bytes
_DIGIT_BYTES = (0, 1, 1, 2, 2, 3, 3, 4, 4, 4)  # DECIMAL: bytes of the digits left over from groups of 9


def _decimal_bytes(precision: int, scale: int) -> int:
    return sum(d // 9 * 4 + _DIGIT_BYTES[d % 9] for d in (precision - scale, scale))


def mysql_column_bytes(type_text: str, char_bytes: int) -> int:
    """The bytes a column of ``type_text`` (MySQL's spelling) takes of a row's 65535; 0 for a type not known here."""
    text = type_text.strip().lower()
    found = re.match(r"^([a-z]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?", text)
    if not found:
        return 0
    base, first, second = found.group(1), found.group(2), found.group(3)
    size = int(first) if first is not None else None
    if base in ("varchar", "varbinary"):
        data = (size or 0) * (char_bytes if base == "varchar" else 1)
        return data + (1 if data <= 255 else 2)
    if base in ("char", "binary"):
        return (1 if size is None else size) * (char_bytes if base == "char" else 1)
    if base in ("decimal", "numeric", "dec", "fixed"):
        return _decimal_bytes(size if size is not None else 10, int(second or 0))
    if base == "float":
        return 8 if size is not None and size > 24 else 4
    if base in _TEMPORAL:
        return _TEMPORAL[base] + ((size or 0) + 1) // 2
    if base == "bit":
        return ((size or 1) + 7) // 8
    if base in ("enum", "set"):
        values = len(re.findall(r"'(?:[^']|'')*'", text))
        return (1 if values <= 255 else 2) if base == "enum" else min(8, (values + 7) // 8) if values <= 32 else 8
    return _FIXED.get(base, 0)


def mysql_row_bytes(columns, char_bytes: int = 4) -> int:
    """The bytes of a MySQL row of ``columns`` ((type text, nullable) pairs), at least: a type not known here counts 0."""
    columns = list(columns)
    return sum(mysql_column_bytes(t, char_bytes) for t, _ in columns) + (sum(1 for _, n in columns if n) + 7) // 8


def row_problem(table: str, total: int) -> str | None:
    """Why MySQL refuses a row of ``table`` of ``total`` bytes, or None."""
    if total <= MYSQL_ROW_BYTES:
        return None
    return (f"a row of {table} would take {total} bytes, more than the {MYSQL_ROW_BYTES} MySQL holds (error 1118; a TEXT or "
            "JSON column counts 9 to 12 bytes there): declare the longest varchar columns as text")
