"""Cross-reference checks between schema-valid documents.

JSON Schema sees one document at a time; these checks see them all: duplicate
names, ``fixes`` naming no canary, ``depends_on`` naming no unit or forming a
cycle, grants naming no declared permission, units mixing schema and seed
work, SQL that does not parse or is not a single SELECT where one is required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from ..errors import Diagnostic
from ..errors import did_you_mean as _near
from . import columnrules
from .loader import Document, LocDict
from .model import GrantPatterns, column_ref, split_identifier, table_ref

Check = Callable[[dict[str, list[Document]], "Declared"], Iterator[Diagnostic]]
_CHECKS: list[Check] = []


def _register(fn: Check) -> Check:
    _CHECKS.append(fn)
    return fn


@dataclass(frozen=True)
class Declared:
    """Names declared anywhere, including in documents that failed their schema.

    References are resolved against these, so one invalid unit does not make
    every ``depends_on`` naming it look dangling as well.
    """

    unit_ids: frozenset[str]
    canaries: frozenset[str]


def declared_names(documents) -> Declared:
    """Unit ids and canary names written in ``documents``, whatever else is wrong with them."""
    units, canaries = set(), set()
    for doc in documents:
        data = doc.data
        if not isinstance(data, dict):
            continue
        if data.get("kind") == "migration" and isinstance(data.get("id"), str):
            units.add(data["id"])
        if data.get("kind") == "fingerprint" and isinstance(data.get("checks"), list):
            canaries.update(canary_name(c) for c in data["checks"] if isinstance(c, dict))
    return Declared(frozenset(units), frozenset(canaries))


def check(docs: dict[str, list[Document]], declared: Declared) -> list[Diagnostic]:
    """Every cross-reference problem among the schema-valid ``docs`` (grouped by kind)."""
    return [d for fn in _CHECKS for d in fn(docs, declared)]


def _dupes(file: str, items, key: str, what: str, path: str) -> Iterator[Diagnostic]:
    """Diagnostics for items of a LocList whose ``key`` repeats (within one list)."""
    seen: dict = {}
    for i, item in enumerate(items):
        value = item.get(key) if isinstance(item, dict) else item
        if value is None:
            continue
        if value in seen:
            yield Diagnostic(file, items.line_of(i), f"{path}[{i}].{key}" if isinstance(item, dict) else f"{path}[{i}]", f"duplicate {what} {value!r} (first at line {seen[value]})")
        else:
            seen[value] = items.line_of(i)


def _dupes_across(entries: list[tuple[str, int, str, object]], what: str) -> Iterator[Diagnostic]:
    """Duplicates among (file, line, path, value) entries gathered from several documents."""
    seen: dict = {}
    for file, line, path, value in entries:
        if value in seen:
            first = seen[value]
            yield Diagnostic(file, line, path, f"duplicate {what} {value!r} (first at {first[0]}:{first[1]})")
        else:
            seen[value] = (file, line)


def canary_name(check: dict) -> str:
    """A check's name: explicit ``name``, else the object it checks."""
    if isinstance(check.get("name"), str) and check["name"]:
        return check["name"]
    for kind in ("table", "column", "index", "constraint"):
        if isinstance(check.get(kind), str):
            return check[kind]
    return ""


@_register
def _fingerprints(docs, declared) -> Iterator[Diagnostic]:
    fps = docs.get("fingerprint", [])
    yield from _dupes_across([(d.file, d.data.line_of("name"), "name", d.data["name"]) for d in fps], "fingerprint name")
    # Names are unique across fingerprints: reports, `fixes` and `compare` match checks by name.
    entries = [(d.file, d.data["checks"].line_of(i), f"checks[{i}]", canary_name(c)) for d in fps for i, c in enumerate(d.data["checks"])]
    yield from _dupes_across(entries, "check name")
    for doc in fps:
        checks = doc.data["checks"]
        for i, c in enumerate(checks):
            yield from _canary_fields(doc.file, checks.line_of(i), f"checks[{i}]", c)


_FIELDS_BY_KIND = {
    "table": set(),
    "column": {"type", "nullable"},
    "index": {"on", "columns", "unique"},
    "constraint": {"on", "columns", "constraint_type", "references"},
}


def _canary_fields(file: str, line: int, path: str, check: LocDict) -> Iterator[Diagnostic]:
    kind = next(k for k in _FIELDS_BY_KIND if k in check)
    for key in set().union(*_FIELDS_BY_KIND.values()) - _FIELDS_BY_KIND[kind]:
        if key in check:
            yield Diagnostic(file, check.line_of(key), f"{path}.{key}", f"{key!r} does not apply to a {kind} check")
    parse = column_ref if kind == "column" else table_ref
    for key, parser in ((kind, parse if kind in ("table", "column") else split_identifier), ("on", table_ref), ("references", table_ref)):
        if key in check:
            try:
                parser(check[key])
            except ValueError as exc:
                yield Diagnostic(file, check.line_of(key), f"{path}.{key}", str(exc))


@_register
def _units(docs, declared) -> Iterator[Diagnostic]:
    units = docs.get("migration", [])
    yield from _dupes_across([(d.file, d.data.line_of("id"), "id", d.data["id"]) for d in units], "unit id")
    ids = declared.unit_ids
    canaries = declared.canaries
    for doc in units:
        data = doc.data
        for i, name in enumerate(data.get("fixes", [])):
            if name not in canaries:
                yield Diagnostic(doc.file, data["fixes"].line_of(i), f"fixes[{i}]", f"names no canary: {name!r}{_near(name, canaries)}")
        for i, dep in enumerate(data.get("depends_on", [])):
            if dep not in ids:
                yield Diagnostic(doc.file, data["depends_on"].line_of(i), f"depends_on[{i}]", f"names no unit: {dep!r}{_near(dep, ids)}")
            elif dep == data["id"]:
                yield Diagnostic(doc.file, data["depends_on"].line_of(i), f"depends_on[{i}]", "a unit cannot depend on itself")
    yield from _cycles(units)


def _cycles(units: list[Document]) -> Iterator[Diagnostic]:
    graph = {d.data["id"]: [x for x in d.data.get("depends_on", []) if x != d.data["id"]] for d in units}
    where = {d.data["id"]: d for d in units}
    state: dict[str, int] = {}
    reported: set[frozenset] = set()

    def visit(node: str, stack: list[str]) -> Iterator[Diagnostic]:
        state[node] = 1
        for dep in graph.get(node, []):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep):] + [dep]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    doc = where[node]
                    yield Diagnostic(doc.file, doc.data.line_of("depends_on"), "depends_on", "dependency cycle: " + " -> ".join(cycle))
            elif dep not in state:
                yield from visit(dep, stack + [dep])
        state[node] = 2

    for unit_id in graph:
        if unit_id not in state:
            yield from visit(unit_id, [unit_id])


_SEED_SQL = ("Insert", "Delete", "Merge")
_TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|END|ABORT|START\s+TRANSACTION|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
_SCHEMA_SQL = ("Create", "Drop", "Alter", "AlterColumn", "RenameColumn", "TruncateTable")


@_register
def _unit_sql(docs, declared) -> Iterator[Diagnostic]:
    for doc in docs.get("migration", []):
        data = doc.data
        scope = data["scope"]
        for section in ("operations", "rollback"):
            ops = data["operations"] if section == "operations" else data.get("rollback", {}).get("operations", [])
            prefix = section if section == "operations" else "rollback.operations"
            for i, op in enumerate(ops):
                (name, body), = op.items()
                path = f"{prefix}[{i}]"
                yield from _operation(doc.file, data, f"{path}.{name}", name, body)
                if name != "sql":
                    if scope == "seed":
                        yield Diagnostic(doc.file, ops.line_of(i), f"{path}.{name}", f"unit mixes schema and seed work: {name} in a seed-scope unit (move it to a schema-scope unit)")
                    continue
                yield from _raw_sql(doc.file, scope, f"{path}.sql", body)


_NEEDS_BY_TYPE = {"unique": ("columns",), "foreign_key": ("columns", "references"), "check": ("check",)}


def _operation(file: str, unit: LocDict, path: str, name: str, body: LocDict) -> Iterator[Diagnostic]:
    """Rules a JSON Schema cannot say: references that parse, keys by constraint type, CONCURRENTLY outside a transaction."""
    for key in ("table",):
        if isinstance(body.get(key), str):
            try:
                table_ref(body[key])
            except ValueError as exc:
                yield Diagnostic(file, body.line_of(key), f"{path}.{key}", str(exc))
    if name == "add_constraint":
        for key in _NEEDS_BY_TYPE[body["type"]]:
            if key not in body:
                yield Diagnostic(file, body.line, path, f"a {body['type']} constraint needs {key!r}")
    for key in ("check", "where"):
        if isinstance(body.get(key), str):
            try:
                from sqlglot import exp

                exp.condition(body[key], dialect=body.get("dialect", "postgres"))
            except Exception as exc:  # noqa: BLE001 - sqlglot's ParseError/TokenError: a bad expression
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                first = re.sub(r"<class '[^']+'>", "an expression", first)
                yield Diagnostic(file, body.line_of(key), f"{path}.{key}", f"does not parse as {body.get('dialect', 'postgres')}: {first}")
    if name == "alter_column" and not any(k in body for k in ("type", "nullable", "default")) and not body.get("drop_default"):
        yield Diagnostic(file, body.line, path, "changes nothing: give type, nullable, default or drop_default: true")
    yield from columnrules.check(file, path, name, body)
    if body.get("concurrently") and unit.get("transactional", True):
        yield Diagnostic(file, body.line_of("concurrently"), f"{path}.concurrently", "CONCURRENTLY cannot run inside a transaction: set transactional: false on the unit")
    if name == "sql" and "guard" not in body:
        from . import sqltext

        statements = body["statements"]
        for j, text in enumerate(statements):
            try:
                sqltext.parse(text, body["dialect"])
            except ValueError:
                continue  # reported as a parse error
            if not sqltext.self_guarded(text, body["dialect"]):
                yield Diagnostic(file, statements.line_of(j), f"{path}.statements[{j}]", "not idempotent and no guard: add `guard:` (e.g. column_missing: t.c) or use IF [NOT] EXISTS")


def _raw_sql(file: str, scope: str, path: str, body: LocDict) -> Iterator[Diagnostic]:
    from . import sqltext

    statements = body["statements"]
    for j, text in enumerate(statements):
        if _TRANSACTION_CONTROL.match(text):
            yield Diagnostic(file, statements.line_of(j), f"{path}.statements[{j}]",
                             "transaction control in a unit: apply runs each unit in its own transaction (use transactional: false where the statement needs none)")
            continue
        try:
            trees = sqltext.parse(text, body["dialect"])
        except ValueError as exc:
            yield Diagnostic(file, statements.line_of(j), f"{path}.statements[{j}]", str(exc))
            continue
        for tree in trees:
            kind = type(tree).__name__
            if scope == "schema" and kind in _SEED_SQL:
                yield Diagnostic(file, statements.line_of(j), f"{path}.statements[{j}]", f"unit mixes schema and seed work: {kind.upper()} in a schema-scope unit (move row changes to a seed-scope unit or a seed spec)")
            if scope == "seed" and kind in _SCHEMA_SQL:
                yield Diagnostic(file, statements.line_of(j), f"{path}.statements[{j}]", f"unit mixes schema and seed work: {kind.upper()} in a seed-scope unit (move it to a schema-scope unit)")
    guard = body.get("guard")
    if isinstance(guard, dict) and "sql" in guard:
        yield from _select_only(file, guard.line_of("sql"), f"{path}.guard.sql", guard["sql"], body["dialect"])


def _select_only(file: str, line: int, path: str, text: str, dialect: str | None) -> Iterator[Diagnostic]:
    from . import sqltext

    problem = sqltext.single_select_problem(text, dialect)
    if problem:
        yield Diagnostic(file, line, path, problem)


@_register
def _rbac(docs, declared) -> Iterator[Diagnostic]:
    rbacs = docs.get("rbac", [])
    yield from _dupes_across([(d.file, d.data.line_of("name"), "name", d.data["name"]) for d in rbacs], "rbac name")
    for doc in rbacs:
        data = doc.data
        perms = data.get("permissions", [])
        roles = data.get("roles", [])
        yield from _dupes(doc.file, perms, "key", "permission", "permissions")
        yield from _dupes(doc.file, roles, "name", "role", "roles")
        keys = [p["key"] for p in perms]
        patterns = GrantPatterns(keys)
        for i, role in enumerate(roles):
            grants = role.get("grants", [])
            for j, pattern in enumerate(grants):
                if not patterns.expand(pattern):
                    yield Diagnostic(doc.file, grants.line_of(j), f"roles[{i}].grants[{j}]", f"grant {pattern!r} names no declared permission{_near(pattern, keys)}")
        for key in ("roles", "permissions", "grants"):
            spec = data["tables"][key]
            try:
                table_ref(spec["table"])
            except ValueError as exc:
                yield Diagnostic(doc.file, spec.line_of("table"), f"tables.{key}.table", str(exc))


@_register
def _seeds(docs, declared) -> Iterator[Diagnostic]:
    seeds = docs.get("seed", [])
    yield from _dupes_across([(d.file, d.data.line_of("name"), "name", d.data["name"]) for d in seeds], "seed name")
    for doc in seeds:
        data = doc.data
        key = [data["key"]] if isinstance(data["key"], str) else list(data["key"])
        rows = data["rows"]
        seen: dict = {}
        for i, row in enumerate(rows):
            missing = [k for k in key if k not in row]
            if missing:
                yield Diagnostic(doc.file, rows.line_of(i), f"rows[{i}]", f"row lacks key column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
                continue
            nulls = [k for k in key if row[k] is None]
            if nulls:
                yield Diagnostic(doc.file, rows.line_of(i), f"rows[{i}].{nulls[0]}", f"key column {nulls[0]} is null: a row's key needs a value")
                continue
            value = tuple(_key_text(row[k]) for k in key)
            if value in seen:
                yield Diagnostic(doc.file, rows.line_of(i), f"rows[{i}]", f"duplicate row key {value if len(value) > 1 else value[0]!r} (first at line {seen[value]})")
            seen[value] = rows.line_of(i)


def _key_text(value) -> str:
    """A key value as the text a database column would see: 1, 1.0 and "1" are one key."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@_register
def _pruned_tables(docs, declared) -> Iterator[Diagnostic]:
    """A table a pruning spec owns is written by no other spec: each would undo the other on every apply."""
    writers = []  # (table as written, spec label, prunes, file, line of prune)
    for doc in docs.get("seed", []):
        data = doc.data
        writers.append((data["table"], f"seed {data['name']}", data.get("prune", False), doc.file, data.line_of("prune")))
    for doc in docs.get("rbac", []):
        data = doc.data
        for key in ("roles", "permissions", "grants"):
            writers.append((data["tables"][key]["table"], f"rbac {data['name']}", data.get("prune", False), doc.file, data.line_of("prune")))
    for table, label, prunes, file, line in writers:
        if not prunes:
            continue
        others = sorted({other for t, other, _, _, _ in writers if t == table and other != label})
        if others:
            yield Diagnostic(file, line, "prune", f"{label} prunes {table}, which {', '.join(others)} also write{'s' if len(others) == 1 else ''}: "
                             "each apply would delete the other's rows (declare them in one spec, or drop prune)")


@_register
def _row_allow(docs, declared) -> Iterator[Diagnostic]:
    """A seed or rbac spec's ``allow`` names only codes its row work can raise (RC106)."""
    from .codes import row_allow_problem

    for kind in ("seed", "rbac"):
        for doc in docs.get(kind, []):
            allow = doc.data.get("allow", [])
            for i, code in enumerate(allow):
                problem = row_allow_problem(kind, code)
                if problem:
                    yield Diagnostic(doc.file, allow.line_of(i), f"allow[{i}]", problem)


@_register
def _invariants(docs, declared) -> Iterator[Diagnostic]:
    entries = []
    for doc in docs.get("invariants", []):
        checks = doc.data["checks"]
        for i, c in enumerate(checks):
            entries.append((doc.file, checks.line_of(i), f"checks[{i}].name", c["name"]))
            if "row_count" in c and not any(k in c for k in ("min", "max", "equals")):
                yield Diagnostic(doc.file, checks.line_of(i), f"checks[{i}]", "row_count needs min, max or equals")
            if "sql" in c:
                yield from _select_only(doc.file, c.line_of("sql"), f"checks[{i}].sql", c["sql"], c.get("dialect"))
            for key in ("min", "max", "equals"):
                if key in c and "row_count" not in c:
                    yield Diagnostic(doc.file, c.line_of(key), f"checks[{i}].{key}", f"{key!r} applies only to row_count")
    yield from _dupes_across(entries, "invariant name")


@_register
def _environments(docs, declared) -> Iterator[Diagnostic]:
    envs = [(doc, i, e) for doc in docs.get("environments", []) for i, e in enumerate(doc.data["environments"])]
    yield from _dupes_across([(d.file, d.data["environments"].line_of(i), f"environments[{i}].name", e["name"]) for d, i, e in envs], "environment")
    names = {e["name"] for _, _, e in envs}
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for doc, i, env in envs:
        for j, window in enumerate(env.get("windows", [])):
            if "timezone" in window:
                try:
                    ZoneInfo(window["timezone"])
                except (ZoneInfoNotFoundError, ValueError):
                    yield Diagnostic(doc.file, window.line_of("timezone"), f"environments[{i}].windows[{j}].timezone", f"unknown time zone {window['timezone']!r} (an IANA name such as UTC or Europe/Berlin)")
        source = env.get("promote_from")
        if source is not None and (source not in names or source == env["name"]):
            yield Diagnostic(doc.file, env.line_of("promote_from"), f"environments[{i}].promote_from", f"names no other environment: {source!r}")
