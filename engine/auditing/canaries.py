"""The one predicate vocabulary over inspected state: canaries now, migration guards later.

``evaluate`` turns a ``Canary`` and a ``SchemaState`` into a ``CheckResult``;
it never touches the database. A missing table or column comes with the
nearest existing names (``products.product_name`` -> ``products.nameCanonical``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..inspect.state import Column, Constraint, Index, SchemaState, Table
from ..ledger import DEFAULT_TABLE
from ..spec import types
from ..spec.model import Canary, ObjectRef, column_ref, split_identifier, table_ref


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one canary: ``status`` is ``pass`` or ``fail``; ``detail`` says why."""

    name: str
    kind: str
    object: str
    status: str
    detail: str
    suggestion: str | None = None
    candidates: tuple[str, ...] = ()
    missing: bool = False
    source: str | None = None
    from_plan: bool = False  # the outcome the plan read (apply's audit before, of a table it did not read again)

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict:
        out = {
            "name": self.name, "kind": self.kind, "object": self.object, "status": self.status,
            "detail": self.detail, "suggestion": self.suggestion, "candidates": list(self.candidates),
            "source": self.source,
        }
        return {**out, "from_plan": True} if self.from_plan else out

    def outcome(self) -> dict:
        """What a plan file keeps of it (``audit_outcomes``): the rest is the canary's own."""
        out = {"status": self.status, "detail": self.detail}
        return {**out, "candidates": list(self.candidates), "missing": self.missing} if self.candidates or self.missing else out

    @classmethod
    def planned(cls, canary: Canary, outcome: dict) -> "CheckResult":
        """The outcome a plan recorded for ``canary`` (``outcome()``), marked as read at plan time."""
        candidates = tuple(outcome.get("candidates", ()))
        return cls(canary.name, canary.kind, canary.object, outcome["status"], outcome["detail"], candidates[0] if candidates else None,
                   candidates, outcome.get("missing", False), str(canary.source), from_plan=True)


# -- lookups shared by canaries and guards -------------------------------------------------

def find_table(state: SchemaState, ref: ObjectRef) -> Table | None:
    """The table (or view) ``ref`` names, spelled exactly."""
    return state.table(ref.schema, ref.table)


def find_column(state: SchemaState, ref: ObjectRef) -> Column | None:
    """The column ``ref`` names, spelled exactly."""
    table = find_table(state, ref)
    return table.column(ref.column) if table is not None and ref.column is not None else None


def _split_named(name: str, on: ObjectRef | None) -> tuple[str | None, str | None, str]:
    parts = split_identifier(name)
    schema = parts[0] if len(parts) == 2 else (on.schema if on else None)
    return schema, (on.table if on else None), parts[-1]


def find_index(state: SchemaState, name: str, on: ObjectRef | None = None) -> Index | None:
    """The index called ``name`` (``[schema.]name``), on table ``on`` when given."""
    schema, table, bare = _split_named(name, on)
    found = state.indexes_named(bare, schema, table)
    return found[0] if found else None


def find_constraint(state: SchemaState, name: str, on: ObjectRef | None = None) -> Constraint | None:
    """The constraint called ``name``, on table ``on`` when given."""
    schema, table, bare = _split_named(name, on)
    found = state.constraints_named(bare, schema, table)
    return found[0] if found else None


@dataclass(frozen=True)
class Guard:
    """When a raw ``sql`` operation runs: a check in the canaries' vocabulary, or one boolean SELECT.

    ``kind`` is ``table_exists``/``table_missing``, ``column_...``, ``index_...``,
    ``constraint_...`` or ``sql``; ``target`` names the object as a canary does
    (``[schema.]table``, ``[schema.]table.column``, ``[table.]index``, ``[table.]constraint``).
    """

    kind: str
    target: str

    def _owner(self) -> tuple[ObjectRef | None, str]:
        parts = split_identifier(self.target)
        return (ObjectRef(*(([None] + parts[:-1])[-2:])) if len(parts) > 1 else None), parts[-1]

    def tables(self) -> tuple[ObjectRef, ...]:
        """The tables whose inspected state this guard reads (for the plan's state digest)."""
        if self.kind == "sql":
            return ()
        if self.kind.startswith("column"):
            ref = column_ref(self.target)
            return (ObjectRef(ref.schema, ref.table),)
        if self.kind.startswith("table"):
            return (table_ref(self.target),)
        on, _ = self._owner()
        return (on,) if on else ()

    def holds(self, state: SchemaState) -> bool:
        """Evaluate a schema guard on ``state`` (``sql`` guards run on the connection)."""
        what, _, polarity = self.kind.rpartition("_")
        if what == "table":
            exists = find_table(state, table_ref(self.target)) is not None
        elif what == "column":
            exists = find_column(state, column_ref(self.target)) is not None
        else:
            on, name = self._owner()
            exists = (find_index if what == "index" else find_constraint)(state, name, on) is not None
        return exists if polarity == "exists" else not exists

    def __str__(self) -> str:
        return f"{self.kind}: {self.target}"


# -- nearest names -----------------------------------------------------------------------

def _word_list(identifier: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", identifier)
    return [_stem(w) for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def words(identifier: str) -> set[str]:
    """Lowercase words of an identifier: ``nameCanonical`` and ``name_canonical`` -> {name, canonical}."""
    return set(_word_list(identifier))


def _core(identifier: str, context: set[str]) -> str:
    """The identifier's words without the context's, run together (``product_name`` in products -> ``name``)."""
    kept = [w for w in _word_list(identifier) if w not in context]
    return "".join(kept or _word_list(identifier))


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def similarity(wanted: str, candidate: str, context: set[str] = frozenset()) -> float:
    """0..1: how likely ``candidate`` is what ``wanted`` meant; ``context`` words (the table) are ignored."""
    if wanted.lower() == candidate.lower():
        return 1.0
    ratio = difflib.SequenceMatcher(None, _core(wanted, context), _core(candidate, context)).ratio()
    a, b = words(wanted) - context, words(candidate) - context
    overlap = len(a & b) / len(a | b) if a and b else 0.0
    return max(ratio, overlap)


def nearest(wanted: str, candidates, context: set[str] = frozenset(), limit: int = 3, cutoff: float = 0.45) -> list[str]:
    """Up to ``limit`` candidates most similar to ``wanted``, best first."""
    scored = sorted(((similarity(wanted, c, context), c) for c in candidates), key=lambda x: (-x[0], x[1]))
    return [c for score, c in scored if score >= cutoff][:limit]


# -- canary evaluation -------------------------------------------------------------------

def evaluate(canary: Canary, state: SchemaState) -> CheckResult:
    """Run one canary against the inspected state."""
    return _EVALUATORS[canary.kind](canary, state)


def reads_only(canary: Canary, tables: set[tuple[str, str]], default_schema: str) -> bool:
    """Whether ``canary``'s outcome depends on none of ``tables``: it names one other table.

    An index or constraint canary without ``on`` looks its name up in the whole schema,
    so it may depend on any table.
    """
    return canary.ref is not None and (canary.ref.schema or default_schema, canary.ref.table) not in tables


def _result(canary: Canary, ok: bool, detail: str, candidates: list[str] = (), missing: bool = False) -> CheckResult:
    return CheckResult(
        name=canary.name, kind=canary.kind, object=canary.object, status="pass" if ok else "fail",
        detail=detail, suggestion=candidates[0] if candidates else None, candidates=tuple(candidates),
        missing=missing, source=str(canary.source),
    )


def _qualify(ref: ObjectRef, name: str) -> str:
    return str(ObjectRef(ref.schema, name)) if ref.column is None else str(ObjectRef(ref.schema, ref.table, name))


def _missing_table(canary: Canary, state: SchemaState, ref: ObjectRef) -> CheckResult:
    schema = ref.schema or state.default_schema
    names = [t for (s, t) in state.tables if s == schema and t != DEFAULT_TABLE]  # recon's own ledger is no suggestion
    found = [_qualify(ObjectRef(ref.schema, ref.table), n) for n in nearest(ref.table, names)]
    hint = f"; did you mean {' or '.join(found)}?" if found else ""
    return _result(canary, False, f"table {ref.table_text} does not exist{hint}", found, missing=True)


def _check_table(canary: Canary, state: SchemaState) -> CheckResult:
    table = find_table(state, canary.ref)
    if table is None:
        return _missing_table(canary, state, canary.ref)
    return _result(canary, True, f"{table.kind} {canary.ref.table_text} exists")


def _check_column(canary: Canary, state: SchemaState) -> CheckResult:
    ref = canary.ref
    table = find_table(state, ref)
    if table is None:
        return _missing_table(canary, state, ref)
    column = table.column(ref.column)
    if column is None:
        names = nearest(ref.column, [c.name for c in table.columns], context=words(ref.table))
        found = [_qualify(ref, n) for n in names]
        hint = f"; did you mean {' or '.join(found)}?" if found else ""
        return _result(canary, False, f"column {ref} does not exist{hint}", found, missing=True)
    problems = []
    if canary.type is not None and not types.accepts(canary.type, column.type, state.dialect):
        problems.append(f"type is {column.type} ({types.family(column.type)}), expected {canary.type} ({types.family(canary.type)})")
    if canary.nullable is not None and canary.nullable != column.nullable:
        problems.append(f"is {'nullable' if column.nullable else 'NOT NULL'}, expected {'nullable' if canary.nullable else 'NOT NULL'}")
    if problems:
        return _result(canary, False, f"column {ref} " + "; ".join(problems))
    return _result(canary, True, f"column {ref} exists ({column.type}, {'nullable' if column.nullable else 'NOT NULL'})")


def _check_index(canary: Canary, state: SchemaState) -> CheckResult:
    on = canary.ref
    if on is not None and find_table(state, on) is None:
        return _missing_table(canary, state, on)
    index = find_index(state, canary.object, on)
    if index is None:
        return _missing_named(canary, state, "index", [(i.schema, i.table, i.name, i.columns) for i in state.indexes.values()])
    problems = []
    if canary.columns is not None and tuple(canary.columns) != index.columns:
        problems.append(f"is on ({', '.join(index.columns)}), expected ({', '.join(canary.columns)})")
    if canary.unique is not None and canary.unique != index.unique:
        problems.append("is unique, expected non-unique" if index.unique else "is not unique, expected unique")
    where = f"index {index.name} on {index.table}"
    if problems:
        return _result(canary, False, where + " " + "; ".join(problems))
    return _result(canary, True, f"{where} ({', '.join(index.columns)}) exists")


def _check_constraint(canary: Canary, state: SchemaState) -> CheckResult:
    on = canary.ref
    if on is not None and find_table(state, on) is None:
        return _missing_table(canary, state, on)
    con = find_constraint(state, canary.object, on) or _unnameable_primary_key(canary, state)
    if con is None:
        return _missing_named(canary, state, "constraint", [(c.schema, c.table, c.name, c.columns) for c in state.constraints.values()])
    problems = []
    if canary.constraint_type is not None and canary.constraint_type != con.kind:
        problems.append(f"is a {con.kind.replace('_', ' ')}, expected a {canary.constraint_type.replace('_', ' ')}")
    if canary.columns is not None and tuple(canary.columns) != con.columns:
        problems.append(f"is on ({', '.join(con.columns)}), expected ({', '.join(canary.columns)})")
    if canary.references is not None and not _same_table(state, canary.references, con.ref_schema, con.ref_table):
        problems.append(f"references {con.ref_table}, expected {canary.references}")
    where = f"constraint {con.name} on {con.table}"
    if problems:
        return _result(canary, False, where + " " + "; ".join(problems))
    return _result(canary, True, f"{where} ({con.kind.replace('_', ' ')}) exists")


def _unnameable_primary_key(canary: Canary, state: SchemaState) -> Constraint | None:
    """MySQL names every primary key PRIMARY: a primary_key canary on a table matches that table's key."""
    if state.dialect != "mysql" or canary.constraint_type != "primary_key" or canary.ref is None:
        return None
    return find_constraint(state, "PRIMARY", canary.ref)


def _same_table(state: SchemaState, ref: ObjectRef, schema: str | None, table: str | None) -> bool:
    return table == ref.table and (schema or state.default_schema) == (ref.schema or state.default_schema)


def _missing_named(canary: Canary, state: SchemaState, what: str, existing) -> CheckResult:
    schema, table, bare = _split_named(canary.object, canary.ref)
    schema = schema or state.default_schema
    pool = [(n, cols) for s, t, n, cols in existing if s == schema and (table is None or t == table)]
    same_columns = [n for n, cols in pool if canary.columns and cols == tuple(canary.columns)]
    context = words(table) if table else set()
    found = (same_columns + [n for n in nearest(bare, [n for n, _ in pool], context) if n not in same_columns])[:3]
    place = f" on {canary.ref}" if canary.ref is not None else ""
    hint = f"; did you mean {' or '.join(found)}?" if found else ""
    return _result(canary, False, f"{what} {canary.object}{place} does not exist{hint}", found, missing=True)


_EVALUATORS = {"table": _check_table, "column": _check_column, "index": _check_index, "constraint": _check_constraint}


def referenced_schemas(canaries, tables=()) -> set[str]:
    """Non-default schemas the canaries (and extra table refs) name, so inspection reads them too."""
    refs = [c.ref for c in canaries if c.ref is not None] + [c.references for c in canaries if c.references is not None] + list(tables)
    schemas = {r.schema for r in refs if r is not None and r.schema}
    for c in canaries:
        if c.kind in ("index", "constraint"):
            parts = split_identifier(c.object)
            if len(parts) == 2:
                schemas.add(parts[0])
    return schemas
