"""Spec warnings: what is valid but likely wrong, reported by ``recon validate``.

The rules run once the specs have no error (so every operation builds its changes), over the
schema-valid documents, and yield ``Diagnostic``s of severity ``warning``: a rollback that
leaves part of its unit in place (``rollbacks``), a name longer than a supported dialect
allows (``identifiers``), and a size or literal default one dialect refuses (``typefit``). Warnings never stop ``load_specs``; ``recon validate --strict`` fails on them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from ..errors import Diagnostic
from ..spec.loader import Document, LocDict, LocList
from ..spec.model import Operation, Source
from . import identifiers, rollbacks, typefit
from .base import Change
from .constraints import AddConstraint
from .operations import from_operation

Rule = Callable[[dict[str, list[Document]]], Iterator[Diagnostic]]
_RULES: list[Rule] = []
SECTIONS = ("operations", "rollback.operations")


def _register(fn: Rule) -> Rule:
    _RULES.append(fn)
    return fn


def warnings(docs: dict[str, list[Document]]) -> list[Diagnostic]:
    """Every warning about the valid ``docs`` (grouped by kind), in file and line order."""
    found = {d for rule in _RULES for d in rule(docs)}
    return sorted(found, key=lambda d: (d.file, d.line, d.path, d.message))


def warn(file: str, line: int, path: str, message: str) -> Diagnostic:
    """A diagnostic of severity ``warning``."""
    return Diagnostic(file, line, path, message, "warning")


def operations(doc: Document, section: str) -> Iterator[tuple[int, str, LocDict, list[Change]]]:
    """Each operation of a unit's ``operations`` or ``rollback.operations``: index, key, body, changes."""
    data = doc.data
    ops = data["operations"] if section == "operations" else data.get("rollback", {}).get("operations", [])
    for i, op in enumerate(ops):
        (name, body), = op.items()
        yield i, name, body, from_operation(data["id"], Operation(name, body, Source(doc.file, ops.line_of(i))))


@_register
def _rollback_completeness(docs) -> Iterator[Diagnostic]:
    for doc in docs.get("migration", []):
        data = doc.data
        rollback = data.get("rollback", {})
        if not rollback.get("operations"):
            if not ("operations" in rollback and rollback.get("notes")):
                yield warn(doc.file, data.line_of("rollback"), "rollback.operations", rollbacks.NO_ROLLBACK)
            continue
        forward = [(i, c) for i, _, _, made in operations(doc, "operations") for c in made]
        undo = [c for _, _, _, made in operations(doc, "rollback.operations") for c in made]
        ops = data["operations"]
        for effect, dropped in rollbacks.incomplete(forward, undo):
            (name,) = ops[effect.at]
            yield warn(doc.file, ops.line_of(effect.at), f"operations[{effect.at}].{name}", rollbacks.message(effect, dropped))


@_register
def _identifier_lengths(docs) -> Iterator[Diagnostic]:
    """One warning per over-long name per unit, where it is first written (or derived)."""
    for doc in docs.get("migration", []):
        seen: set[str] = set()
        for section in SECTIONS:
            for i, op, body, made in operations(doc, section):
                for name, key, problems in _too_long(op, made):
                    if name.text in seen:
                        continue
                    seen.add(name.text)
                    yield warn(doc.file, _line(body, key), f"{section}[{i}].{op}.{key}", _length_message(name, problems))


@_register
def _dialect_fit(docs) -> Iterator[Diagnostic]:
    """A declared size or literal default that a dialect the operation runs on refuses (plan refuses it there)."""
    for doc in docs.get("migration", []):
        for section in SECTIONS:
            for i, op, body, made in operations(doc, section):
                for key, message in dict.fromkeys(typefit.warnings(made)):
                    yield warn(doc.file, _line(body, key), f"{section}[{i}].{op}.{key}", message)


def _too_long(op: str, made: list[Change]) -> Iterator[tuple[identifiers.Name, str, list[str]]]:
    """The names of one operation's changes too long for some dialect: name, spec key, reasons."""
    for change in made:
        problems: dict[tuple[str, str], list[str]] = {}
        names: dict[tuple[str, str], identifiers.Name] = {}
        for dialect in (d for d in identifiers.LIMITS if change.runs_on(d)):  # dialects: limits where it runs
            for name in identifiers.change_names(change, dialect):
                problem = identifiers.too_long(name.text, dialect)
                if problem:
                    name, key = _spec_key(op, change, name)
                    names.setdefault((name.text, key), name)
                    problems.setdefault((name.text, key), []).append(problem)
        for where, reasons in problems.items():
            yield names[where], where[1], reasons


def _spec_key(op: str, change: Change, name: identifiers.Name) -> tuple[identifiers.Name, str]:
    """The key of operation ``op``'s body where a change's name is written (or derived from)."""
    if op == "add_column":  # the column's own change, and the constraints its unique/references make
        if isinstance(change, AddConstraint):
            if name.field == "name":
                return identifiers.Name(name.text, name.kind, name.field, True), "unique" if change.kind == "unique" else "references"
            return name, {"columns[0]": "name", "references.columns[0]": "references.column"}.get(name.field, name.field)
        return name, {"column.name": "name"}.get(name.field, name.field)
    return name, re.sub(r"references\.columns\[0\]$", "references.column", name.field) if op == "create_table" else name.field


def _length_message(name: identifiers.Name, problems: list[str]) -> str:
    text = f"{name.kind} name {name.text!r} is too long: {'; '.join(problems)}"
    if not name.derived:
        return text
    hint = "shorten the table name" if name.field.endswith("primary_key") else \
        "shorten the table or column name, or declare the constraint with add_constraint and a shorter name"
    return f"{text}; recon derives it from the table and column names: {hint}"


def _line(body: LocDict, key: str) -> int:
    """The line of ``key`` (``columns[1].references.table``) in an operation's body, else the nearest above it."""
    node, line = body, body.line
    for part in re.findall(r"[^.\[\]]+", key):
        if isinstance(node, LocList) and part.isdigit() and int(part) < len(node):
            line, node = node.line_of(int(part)), node[int(part)]
        elif isinstance(node, LocDict) and part in node:
            line, node = node.line_of(part), node[part]
        else:
            break
    return line
