"""Declared raw SQL (migration ``sql`` operations, guard and invariant queries) parsed with sqlglot.

Parsing happens at validation, so a statement that does not parse, or a
query that must be one SELECT and is not, is reported with its file and line
before anything connects.
"""

from __future__ import annotations

_WRITES = ("Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "TruncateTable", "Command", "Into", "Lock")
# Server functions that act outside the query even in a read-only transaction (end sessions, take locks,
# read or write server files, sleep, reach other servers, change settings). A defence in depth: the
# database role recon reads with is the boundary (docs/security.md), this list only refuses the known ones.
_ACTING = frozenset({
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_sleep", "pg_sleep_for",
    "pg_sleep_until", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "set_config",
    "pg_advisory_lock", "pg_advisory_xact_lock", "pg_try_advisory_lock", "pg_advisory_lock_shared", "pg_notify",
    "lo_import", "lo_export", "dblink", "dblink_exec", "dblink_connect", "pg_switch_wal", "pg_create_restore_point",
    "sleep", "benchmark", "load_file", "get_lock", "release_lock", "release_all_locks", "sys_exec", "sys_eval",
})


def parse(text: str, dialect: str | None) -> list:
    """The sqlglot trees of ``text`` (one per statement); ValueError names what failed."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        trees = [t for t in sqlglot.parse(text, read=dialect or None) if t is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"SQL does not parse{f' as {dialect}' if dialect else ''}: {first}") from None
    if not trees:
        raise ValueError("SQL is empty")
    return trees


def single_select_problem(text: str, dialect: str | None) -> str | None:
    """Why ``text`` is not exactly one read-only SELECT, or None when it is."""
    from sqlglot import exp

    try:
        trees = parse(text, dialect)
    except ValueError as exc:
        return str(exc)
    if len(trees) != 1:
        return "must be exactly one SELECT statement, found %d statements" % len(trees)
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        return "must be exactly one SELECT statement, found " + type(tree).__name__.upper()
    writes = sorted({type(node).__name__.upper() for node in tree.walk() if type(node).__name__ in _WRITES})
    if writes:
        return "must be a read-only SELECT, found %s inside" % ", ".join(writes)
    acting = sorted({name for node in tree.find_all(exp.Func) if (name := _function_name(node)) in _ACTING})
    if acting:
        return "must be a read-only SELECT, calls %s, which acts outside the query" % ", ".join(acting)
    return None


def _function_name(node) -> str:
    """The lower-case name a function call is written with (``Anonymous`` for ones sqlglot does not know)."""
    from sqlglot import exp

    name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
    return (name or "").lower()


def _trees(text: str, dialect: str):
    try:
        return parse(text, dialect)
    except ValueError:
        return []


def destructive(text: str, dialect: str) -> bool:
    """DROP, TRUNCATE, ALTER ... DROP, and DELETE/UPDATE without WHERE lose data."""
    from sqlglot import exp

    for tree in _trees(text, dialect):
        if isinstance(tree, (exp.Drop, exp.TruncateTable)):
            return True
        if isinstance(tree, (exp.Delete, exp.Update)) and not tree.args.get("where"):
            return True
        if isinstance(tree, exp.Alter) and any(isinstance(a, exp.Drop) or type(a).__name__.startswith("Drop") for a in tree.args.get("actions") or []):
            return True
    return False


def self_guarded(text: str, dialect: str) -> bool:
    """Whether every statement carries its own guard: ``IF [NOT] EXISTS`` or a plain SELECT."""
    from sqlglot import exp

    trees = _trees(text, dialect)
    if not trees:
        return False
    for tree in trees:
        if isinstance(tree, exp.Query):
            continue
        if isinstance(tree, (exp.Create, exp.Drop)) and tree.args.get("exists"):
            continue
        if isinstance(tree, exp.Alter) and all(a.args.get("exists") for a in tree.args.get("actions") or []):
            continue
        return False
    return True
