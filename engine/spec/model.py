"""Desired state, as frozen values built from validated specs.

Nothing here talks to a database. Each value keeps ``source`` (file and line)
so that every result, plan action and error can point back at the spec that
asked for it.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import Diagnostic


@dataclass(frozen=True)
class Source:
    """Where a spec element is written."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ObjectRef:
    """A ``[schema.]table[.column]`` reference, split into exact identifiers."""

    schema: str | None
    table: str
    column: str | None = None

    @property
    def table_text(self) -> str:
        """``schema.table`` or ``table``, as a user would write it."""
        return ".".join(_quote_part(p) for p in (self.schema, self.table) if p is not None)

    def __str__(self) -> str:
        return self.table_text + (f".{_quote_part(self.column)}" if self.column is not None else "")


def _quote_part(part: str) -> str:
    """A name as written in a spec: quoted (inner quotes doubled) when it holds a dot or a quote."""
    return '"' + part.replace('"', '""') + '"' if "." in part or '"' in part else part


def split_identifier(text: str) -> list[str]:
    """Split ``a."b.c".d`` on dots outside double quotes; ``""`` inside quotes is one quote."""
    if '"' not in text:
        parts = text.split(".")
        if "" in parts:
            raise ValueError(f"malformed identifier {text!r}")
        return parts
    parts, buf, quoted, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            if quoted and text[i + 1 : i + 2] == '"':
                buf.append('"')
                i += 1
            else:
                quoted = not quoted
        elif ch == "." and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    if quoted or any(p == "" for p in parts):
        raise ValueError(f"malformed identifier {text!r}")
    return parts


def table_ref(text: str) -> ObjectRef:
    """Parse ``[schema.]table``."""
    parts = split_identifier(text)
    if len(parts) > 2:
        raise ValueError(f"{text!r} is not [schema.]table")
    return ObjectRef(parts[0] if len(parts) == 2 else None, parts[-1])


def column_ref(text: str) -> ObjectRef:
    """Parse ``[schema.]table.column``."""
    parts = split_identifier(text)
    if len(parts) not in (2, 3):
        raise ValueError(f"{text!r} is not [schema.]table.column")
    return ObjectRef(parts[0] if len(parts) == 3 else None, parts[-2], parts[-1])


@dataclass(frozen=True)
class Canary:
    """One named fingerprint check of the live schema (table, column, index or constraint)."""

    name: str
    kind: str
    object: str
    fingerprint: str
    source: Source
    ref: ObjectRef | None = None
    type: str | None = None
    nullable: bool | None = None
    columns: tuple[str, ...] | None = None
    unique: bool | None = None
    constraint_type: str | None = None
    references: ObjectRef | None = None
    description: str | None = None


@dataclass(frozen=True)
class Fingerprint:
    """A named set of canaries, e.g. the checks an application runs at startup."""

    name: str
    checks: tuple[Canary, ...]
    source: Source
    description: str | None = None


@dataclass(frozen=True)
class Operation:
    """One declared migration operation: ``op`` is its key (``add_column``, ``sql`` ...), ``args`` its body."""

    op: str
    args: Any
    source: Source


@dataclass(frozen=True)
class Unit:
    """A migration unit: one scoped, reversible change, keyed by ``id`` in the ledger."""

    id: str
    scope: str
    operations: tuple[Operation, ...]
    source: Source
    checksum: str
    ticket: str | None = None
    description: str | None = None
    fixes: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    transactional: bool = True
    lock_timeout: str | None = None
    lock_retries: int | None = None  # None: the environment's, else 0
    statement_timeout: str | None = None
    allow: tuple[str, ...] = ()
    rollback_notes: str | None = None
    rollback: tuple[Operation, ...] = ()
    # rollback.operations is written in the spec, if only as []: with notes, the declaration that the
    # unit is not undone (it is in the checksum, and silences validate's warning)
    rollback_declared: bool = False


@dataclass(frozen=True)
class Permission:
    """A declared permission key; ``critical`` ones must exist and be granted."""

    key: str
    description: str | None = None
    critical: bool = False


@dataclass(frozen=True)
class Role:
    """A declared role and the permission keys or globs it is granted."""

    name: str
    description: str | None = None
    grants: tuple[str, ...] = ()


_GLOB = re.compile(r"[*?\[]")


class GrantPatterns:
    """Resolves grant patterns against declared permission keys without pairing every grant
    with every key.

    A literal key is a dictionary lookup. Each distinct glob (``*``, ``?``, ``[...]``, as
    ``fnmatch.fnmatchcase`` reads them) is compiled once and matched only against the keys
    that share its literal prefix (``reports.*``: the keys from ``reports.`` on, found by
    bisection in the sorted keys), then cached; only a glob that starts with a wildcard
    (``*.view``) reads every key.
    """

    def __init__(self, keys):
        self.keys = list(keys)
        self.known = set(self.keys)
        self._sorted = sorted((k, i) for i, k in enumerate(self.keys))
        self._names = [k for k, _ in self._sorted]
        self._globs: dict[str, tuple[str, ...]] = {}

    def expand(self, pattern: str) -> tuple[str, ...]:
        """The declared keys ``pattern`` names: itself when declared, or every key its glob
        matches, in declaration order."""
        wildcard = _GLOB.search(pattern)
        if not wildcard:
            return (pattern,) if pattern in self.known else ()
        found = self._globs.get(pattern)
        if found is None:
            prefix = pattern[: wildcard.start()]
            low = bisect.bisect_left(self._names, prefix)
            high = bisect.bisect_left(self._names, prefix + "\U0010ffff") if prefix else len(self._names)
            match = re.compile(fnmatch.translate(pattern)).match
            found = self._globs[pattern] = tuple(k for _, k in sorted((i, k) for k, i in self._sorted[low:high] if match(k)))
        return found


@dataclass(frozen=True)
class RbacTables:
    """Where roles, permissions and grants live, and their key columns."""

    roles: ObjectRef
    role_key: str
    permissions: ObjectRef
    permission_key: str
    grants: ObjectRef
    grant_role: str
    grant_permission: str
    role_description: str | None = None
    permission_description: str | None = None


@dataclass(frozen=True)
class Rbac:
    """Declared roles, permissions and grants, reconciled row by row."""

    name: str
    tables: RbacTables
    permissions: tuple[Permission, ...]
    roles: tuple[Role, ...]
    source: Source
    prune: bool = False
    description: str | None = None
    allow: tuple[str, ...] = ()  # safety codes allowed on its row work (RC106: prune), as on a unit

    def wanted_grants(self) -> list[tuple[str, str]]:
        """Every declared (role, permission key) pair, globs expanded, each once, in declaration order."""
        patterns = GrantPatterns(p.key for p in self.permissions)
        out: list[tuple[str, str]] = []
        for role in self.roles:
            keys = dict.fromkeys(k for g in role.grants for k in patterns.expand(g))
            out += [(role.name, k) for k in keys]
        return out


@dataclass(frozen=True)
class Seed:
    """Keyed default rows for one table, reconciled row by row."""

    name: str
    table: ObjectRef
    key: tuple[str, ...]
    rows: tuple[dict, ...]
    source: Source
    on_conflict: str = "keep"
    prune: bool = False
    description: str | None = None
    row_lines: tuple[int, ...] = ()  # the line of each row, for plan actions
    allow: tuple[str, ...] = ()  # safety codes allowed on its row work (RC106: prune), as on a unit


@dataclass(frozen=True)
class Invariant:
    """A data assertion: ``row_count``, ``rows_exist`` or ``sql`` with ``expect``."""

    name: str
    kind: str
    source: Source
    table: ObjectRef | None = None
    where: tuple[tuple[str, Any], ...] = ()
    min: int | None = None
    max: int | None = None
    equals: int | None = None
    column: str | None = None
    values: tuple[Any, ...] = ()
    sql: str | None = None
    expect: Any = None
    dialect: str | None = None
    description: str | None = None
    rbac: str | None = None  # the rbac spec an implied invariant comes from


@dataclass(frozen=True)
class Window:
    """A weekly apply window."""

    days: tuple[str, ...]
    start: str
    end: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class Environment:
    """A named deployment target and the gates that apply to it."""

    name: str
    database_url_env: str
    source: Source
    mode: str = "apply"
    promote_from: str | None = None
    require_rollback_notes: bool = False
    windows: tuple[Window, ...] = ()
    ledger_table: str | None = None
    lock_timeout: str | None = None
    lock_retries: int | None = None
    description: str | None = None
    plan_max_age: str | None = None  # a plan made for it older than this is refused (None: 24h)
    approvals_required: int | None = None  # ``approvals: {required: N}``: signatures apply needs where allowed signers are set


@dataclass(frozen=True)
class Specs:
    """Every validated spec under one path, plus the digest of the files they came from."""

    root: str
    digest: str
    fingerprints: tuple[Fingerprint, ...] = ()
    units: tuple[Unit, ...] = ()
    rbac: tuple[Rbac, ...] = ()
    seeds: tuple[Seed, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    environments: tuple[Environment, ...] = field(default=())
    warnings: tuple[Diagnostic, ...] = ()  # severity "warning" (engine.lint): valid, but likely wrong

    @property
    def canaries(self) -> tuple[Canary, ...]:
        """All fingerprint checks, in file order."""
        return tuple(c for f in self.fingerprints for c in f.checks)

    def fingerprint(self, name: str) -> Fingerprint | None:
        """The fingerprint called ``name``, or None."""
        return next((f for f in self.fingerprints if f.name == name), None)
