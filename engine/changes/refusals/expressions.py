"""What a check or an index's ``where`` may not hold: a subquery (no engine takes one), and a
function whose value changes from call to call (``now()``, ``random()``) where the engine
refuses it: in an index's ``where`` on PostgreSQL and SQLite (an index predicate must be
immutable), in a check on MySQL/MariaDB (errno 1901). PostgreSQL takes such a check; SQLite
takes ``CURRENT_TIMESTAMP`` and ``random()`` in a check, but fails every write to a table
whose check calls a date function on ``'now'`` (``date('now')``).

``objects.py`` asks here before it looks for the columns an expression reads, so that a
subquery's own columns are not reported as missing from the table.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError

_CHANGING = tuple(getattr(exp, name) for name in (
    "CurrentTimestamp", "CurrentDate", "CurrentTime", "CurrentDatetime", "CurrentTimestampLTZ", "Localtime", "Localtimestamp",
    "Systimestamp", "UtcTimestamp", "UtcDate", "UtcTime", "UnixSeconds", "Rand", "Randn", "Uuid") if hasattr(exp, name))
_CHANGING_NAMES = {"now", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday", "sysdate", "curtime",
                   "random", "gen_random_uuid", "uuid_short", "unix_timestamp", "connection_id", "nextval", "currval",
                   "random_bytes", "last_insert_id", "last_insert_rowid", "changes", "total_changes", "txid_current"}
_SERVER = {"postgresql": "PostgreSQL", "sqlite": "SQLite", "mysql": "MySQL"}


def refusal(text: str | None, written_in: str, dialect: str, place: str, name: str) -> str | None:
    """Why a check (``place`` "check") or an index's where (``place`` "where") of object ``name``,
    written in sqlglot dialect ``written_in``, cannot be made on ``dialect``; None when it can
    (or cannot be read: other rules, and the server, say why)."""
    try:
        tree = exp.condition(text, dialect=written_in) if text else None
    except SqlglotError:
        return None
    if tree is None:
        return None
    what = f"check {name}" if place == "check" else f"the where of index {name}"
    sub = next(iter(tree.find_all(exp.Subquery, exp.Select, exp.Exists)), None)
    if sub is not None:
        query = sub.this if isinstance(sub, exp.Subquery) else sub
        return f"{what} holds a subquery ({query.sql(dialect=written_in)}): no engine takes one in a {_PLACE[place]}"
    call = _changing_call(tree, dialect, place)
    if call is None:
        return None
    shown = call.sql(dialect=written_in)
    if place == "where":
        return f"{what} calls {shown}, whose value changes: {_SERVER[dialect]} takes only immutable functions in an index's where"
    if dialect == "mysql":
        return f"{what} calls {shown}, whose value changes: MySQL refuses it in a CHECK (errno 1901)"
    return f"{what} calls {shown}, whose value changes: SQLite would fail every write to the table"


_PLACE = {"check": "CHECK", "where": "index's where"}


def _changing_call(tree: exp.Expression, dialect: str, place: str) -> exp.Expression | None:
    """The first call in ``tree`` whose value changes, as far as ``dialect`` refuses one in ``place``."""
    if dialect == "sqlite" and place == "check":
        return _on_now(tree)  # SQLite takes CURRENT_TIMESTAMP and random() in a check
    if dialect == "postgresql" and place == "check" or dialect == "mysql" and place == "where":
        return None  # PostgreSQL takes them in a check; MySQL has no partial index (refused when rendered)
    for node in tree.walk():
        if isinstance(node, _CHANGING) or isinstance(node, exp.Anonymous) and str(node.this).lower() in _CHANGING_NAMES:
            return node
    return _on_now(tree) if dialect == "sqlite" else None


def _on_now(tree: exp.Expression) -> exp.Expression | None:
    """A SQLite date function called on ``'now'`` (``date('now')``, ``strftime('%s', 'now')``)."""
    for node in tree.find_all(exp.Literal):
        if node.is_string and node.this.strip().lower() == "now" and isinstance(node.parent, exp.Func):
            top = node.parent
            while isinstance(top.parent, exp.Func):  # strftime('%s', 'now') parses as nested calls
                top = top.parent
            return top
    return None
