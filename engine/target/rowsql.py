"""Batched row statements: a sqlglot tree with a rows site -> a template apply extends to any chunk.

A seed or rbac batch changes many rows with one statement shape. Its statement is a
sqlglot tree in which one node, the *rows site*, stands for the batch's rows: the
VALUES list of an INSERT, the list of an IN, or a derived table with named columns
to join. ``RowSite.template`` renders the tree once for the target dialect.

On PostgreSQL the site is ``unnest(CAST(%b AS type[]), ...)``: each column of a chunk is
bound as one array (``%b``: psycopg sends it in binary), so the statement is the same for one row or fifty thousand
(``RowTemplate.columnar``). On MySQL and SQLite the template is the statement for one
row (what the plan shows) plus the fragment each further row adds, so apply extends the
reviewed statement to a chunk of any size without building or parsing SQL per row. A
row's fragment holds only placeholders: values are always bound, by position.
Templates are driver-ready: ``%b``/``%s`` with any other ``%`` doubled on PostgreSQL and
MySQL, ``?`` on SQLite.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sqlglot import exp

from ..spec.types import SQLGLOT_DIALECT
from .sqlexec import bind_limit, dialect_of, ident

_UNION_HEAD = re.compile(r"SELECT %s AS `(?:[^`]|``)+`(?:, %s AS `(?:[^`]|``)+`)*")
ROWS = "__recon_rows__"    # stands for the rows of a batch while a tree is rendered
VALUE = "__recon_value__"  # stands for one bound value in a row's fragment


@dataclass(frozen=True)
class RowTemplate:
    """One batched statement: driver-ready SQL, and how a chunk of rows is bound to it.

    ``columnar``: ``sql`` binds ``width`` arrays, one per column, whatever the number of rows.
    Otherwise ``sql`` is the statement for one row, whose fragment ``head`` stands at ``at``;
    a chunk of n rows is ``sql`` with ``tail`` inserted n - 1 times right after it, binding
    the ``width`` values of each row in turn.
    """

    sql: str
    at: int
    head: str
    tail: str
    width: int
    columnar: bool = False

    def statement(self, rows: int) -> str:
        """The SQL of a chunk of ``rows`` rows (at least one)."""
        if self.columnar:
            return self.sql
        end = self.at + len(self.head)
        return self.sql[:end] + self.tail * (rows - 1) + self.sql[end:]

    def bind(self, rows) -> list:
        """The values a chunk binds: its rows' values in turn, or (columnar) one array of text per column."""
        if self.columnar:
            return [[None if v is None else _text(v) for v in column] for column in zip(*rows)] if rows else [[]] * self.width
        return [v for row in rows for v in row]

    @property
    def consistent(self) -> bool:
        """Whether this is a template recon makes: ``head`` stands at ``at`` in ``sql``, and ``tail``
        and ``head`` are placeholders and punctuation only (a plan file read back is checked with
        this, so that a chunk runs nothing but the reviewed ``sql`` with more rows of values)."""
        if self.columnar:
            return self.at == -1 and not self.head and not self.tail
        if self.at < 0 or self.sql[self.at : self.at + len(self.head)] != self.head:
            return False
        for p in ("%s", "?"):
            values = ", ".join([p] * self.width)
            rows = {f", {p}": p} if self.width == 1 else {}
            rows[f", ({values})"] = f"({values})"
            if rows.get(self.tail) == self.head:
                return True
            if self.tail == " UNION ALL SELECT " + values and _UNION_HEAD.fullmatch(self.head) and self.head.count(p) == self.width:
                return True
        return False

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "sql"}


class RowSite:
    """Where a batch's rows go in one statement, for one dialect; subclasses hold what differs.

    Build the statement's tree with exactly one of ``values``, ``in_`` or ``relation``, then
    call ``template``. ``types`` (the target columns' types as the catalog spells them) lets a
    dialect that needs it type the values of a derived table.
    """

    dialect = ""
    placeholder = "%s"
    doubles_percent = True
    columnar = False

    def __init__(self, width: int, types: tuple[str | None, ...] = ()):
        self.width = width
        self.types = types
        self.names: tuple[str, ...] = ()
        self.kind = ""

    # -- sites -------------------------------------------------------------------------

    def values(self) -> exp.Values:
        """``VALUES <rows>``, for ``INSERT INTO t (columns) VALUES ...``."""
        self.kind = "tuple"
        return exp.Values(expressions=[exp.var(ROWS)])

    def in_(self, columns: list[exp.Expression]) -> exp.Expression:
        """``column IN (<rows>)``, or ``(c1, c2) IN (<rows>)`` for several columns."""
        self.kind = "scalar" if len(columns) == 1 else "tuple"
        subject = columns[0] if len(columns) == 1 else exp.Tuple(expressions=list(columns))
        return exp.In(this=subject, expressions=[exp.var(ROWS)])

    def relation(self, alias: str, names: tuple[str, ...]) -> exp.Expression:
        """A derived table ``alias`` whose columns ``names`` hold each row's values, to join."""
        self.names = tuple(names)
        self.kind = "relation"
        return self._relation(alias)

    def _relation(self, alias: str) -> exp.Expression:
        return exp.Values(expressions=[exp.var(ROWS)],
                          alias=exp.TableAlias(this=ident(alias), columns=[ident(n) for n in self.names]))

    # -- rendering ---------------------------------------------------------------------

    def template(self, tree: exp.Expression) -> RowTemplate:
        """``tree`` rendered with one row at its site, and the fragments that add more rows."""
        text = self._driver(tree.sql(dialect=SQLGLOT_DIALECT[self.dialect]))
        if self.columnar:
            if ROWS in text or text.count(VALUE) != self.width:
                raise ValueError(f"an identifier holds {ROWS!r} or {VALUE!r}, which recon keeps for itself")
            return RowTemplate(text.replace(VALUE, self.placeholder), -1, "", "", self.width, columnar=True)
        if text.count(ROWS) != 1 or VALUE in text:
            raise ValueError(f"an identifier holds {ROWS!r} or {VALUE!r}, which recon keeps for itself")
        head, tail = self._fragments()
        at = text.index(ROWS)
        return RowTemplate(text[:at] + head + text[at + len(ROWS):], at, head, tail, self.width)

    def _fragments(self) -> tuple[str, str]:
        if self.kind == "scalar":
            return self.placeholder, ", " + self.placeholder
        row = self._row(exp.Tuple(expressions=[exp.var(VALUE) for _ in range(self.width)]))
        return row, ", " + row

    def _row(self, node: exp.Expression) -> str:
        """A row's fragment as driver text: each VALUE marker becomes a placeholder."""
        text = self._driver(node.sql(dialect=SQLGLOT_DIALECT[self.dialect]))
        if text.count(VALUE) != self.width:
            raise ValueError(f"a column name holds {VALUE!r}, which recon keeps for itself")
        return text.replace(VALUE, self.placeholder)

    def _driver(self, text: str) -> str:
        return text.replace("%", "%%") if self.doubles_percent else text


class PostgresRowSite(RowSite):
    """Every site is ``unnest(CAST(%b AS type[]), ...)``: a chunk binds one array per column, cast to
    the target column's type (text where it has none), so the statement never grows with its rows."""

    dialect = "postgresql"
    columnar = True
    placeholder = "%b"  # psycopg sends the array in binary: no text escaping of 50,000 values

    def _unnest(self, alias: str | None = None) -> exp.Unnest:
        types = self.types or (None,) * self.width
        arrays = [exp.Cast(this=exp.var(VALUE), to=exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=f"{_unbounded(t)}[]"))
                  for t in types]
        named = exp.TableAlias(this=ident(alias), columns=[ident(n) for n in self.names]) if alias else None
        return exp.Unnest(expressions=arrays, alias=named)

    def values(self) -> exp.Expression:
        self.kind = "tuple"
        return exp.select(exp.Star()).from_(self._unnest())

    def in_(self, columns: list[exp.Expression]) -> exp.Expression:
        self.kind = "scalar" if len(columns) == 1 else "tuple"
        subject = columns[0] if len(columns) == 1 else exp.Tuple(expressions=list(columns))
        return exp.In(this=subject, query=exp.Subquery(this=exp.select(exp.Star()).from_(self._unnest())))

    def _relation(self, alias: str) -> exp.Expression:
        return self._unnest(alias)


class SQLiteRowSite(RowSite):
    """A derived table is ``(SELECT column1 AS c1, ... FROM (VALUES ...))``: SQLite names VALUES
    columns itself and takes no column list on an alias."""

    dialect = "sqlite"
    placeholder = "?"
    doubles_percent = False

    def _relation(self, alias: str) -> exp.Expression:
        columns = [exp.alias_(exp.column(f"column{i + 1}", quoted=True), ident(n)) for i, n in enumerate(self.names)]
        inner = exp.select(*columns).from_(exp.Values(expressions=[exp.var(ROWS)]))
        return exp.Subquery(this=inner, alias=exp.TableAlias(this=ident(alias)))


class MySQLRowSite(RowSite):
    """A derived table is ``(SELECT %s AS c1, %s AS c2 UNION ALL SELECT %s, %s ...) AS v``: the form
    MySQL 8 and MariaDB both take (MySQL 8 spells VALUES rows ``ROW(...)``, MariaDB does not)."""

    dialect = "mysql"

    def _relation(self, alias: str) -> exp.Expression:
        return exp.Subquery(this=exp.var(ROWS), alias=exp.TableAlias(this=ident(alias)))

    def _fragments(self) -> tuple[str, str]:
        if self.kind != "relation":
            return super()._fragments()
        head = exp.select(*[exp.alias_(exp.var(VALUE), ident(n)) for n in self.names])
        tail = exp.select(*[exp.var(VALUE) for _ in self.names])
        return self._row(head), " UNION ALL " + self._row(tail)


SITES = {"postgresql": PostgresRowSite, "sqlite": SQLiteRowSite, "mysql": MySQLRowSite}


def site(dialect: str, width: int, types: tuple[str | None, ...] = ()) -> RowSite:
    """A rows site for ``dialect`` whose rows bind ``width`` values each."""
    return SITES[dialect](width, types)


def keyed(tree: exp.Select, columns: list, keys: list[tuple], dialect: str, limits: "Limits", types: tuple = ()):
    """``(sql, locking sql, values)`` per chunk of ``keys``: ``tree`` restricted to the rows whose
    ``columns`` (of the catalog ``types``) hold one of the keys, in chunks within ``limits``.
    The locking form adds ``FOR UPDATE`` (SQLite, which has none, repeats the SELECT)."""
    at = site(dialect, len(columns), types)
    where = tree.where(at.in_(columns))
    plain = at.template(where)
    locking = at.template(where.lock(update=True)) if dialect != "sqlite" else plain
    for chunk in chunks(keys, len(columns), limits, plain.tail):
        yield plain.statement(len(chunk)), locking.statement(len(chunk)), plain.bind(chunk)


PACKET_MARGIN = 4096  # bytes of a MySQL packet left for the statement's own text and the protocol


@dataclass(frozen=True)
class Limits:
    """How large one statement may be: values it binds, and (MySQL) bytes it takes."""

    binds: int
    packet: int | None = None

    @classmethod
    def of(cls, conn, binds: int | None = None, packet: int | None = None) -> "Limits":
        """The driver's limits on ``conn`` (read once per connection); ``binds`` and ``packet``
        (a test's small limits) cap them."""
        found = conn.info.get("recon_limits")
        if found is None:
            server = int(conn.exec_driver_sql("SELECT @@max_allowed_packet").scalar()) if dialect_of(conn) == "mysql" else None
            found = conn.info["recon_limits"] = cls(bind_limit(conn), server)
        return cls(min(found.binds, binds) if binds else found.binds,
                   min(found.packet, packet) if packet and found.packet else found.packet)


def chunks(rows: tuple, width: int, limits: Limits, tail: str = ""):
    """Consecutive slices of ``rows`` that fit one statement each."""
    size = max(1, limits.binds // max(1, width))
    if limits.packet is None:
        for start in range(0, len(rows), size):
            yield rows[start : start + size]
        return
    budget, start, used = limits.packet - PACKET_MARGIN, 0, 0
    for i, row in enumerate(rows):
        cost = len(tail) + sum(_literal_bytes(v) for v in row)
        if i > start and (i - start >= size or used + cost > budget):
            yield rows[start:i]
            start, used = i, 0
        used += cost
    if start < len(rows):
        yield rows[start:]


def _literal_bytes(value) -> int:
    """An upper bound of the bytes PyMySQL writes for ``value`` (every character escaped, quotes)."""
    return 2 * len(value.encode()) + 2 if isinstance(value, str) else 32



_BOUNDED = re.compile(r"^(character varying|varchar|character|char|bpchar|bit varying|varbit|bit)\s*\(\s*\d+\s*\)(.*)$", re.IGNORECASE)
_UNBOUNDED = {"character varying": "varchar", "varchar": "varchar", "character": "bpchar", "char": "bpchar", "bpchar": "bpchar",
              "bit varying": "varbit", "varbit": "varbit", "bit": "varbit"}


def _unbounded(type_text: str | None) -> str:
    """A column's type without the length of a character or bit type: an explicit cast to
    ``varchar(5)`` would cut a longer value silently, where the write itself refuses it."""
    if not type_text:
        return "text"
    found = _BOUNDED.match(type_text.strip())
    return _UNBOUNDED[found.group(1).lower()] + found.group(2) if found else type_text


def _text(value) -> str:
    """A value as the text a PostgreSQL array element is read from (then cast to its column's type)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 2.0 declared for an integer column
    return value if isinstance(value, str) else str(value)
