"""The stable safety codes (RC101...), their messages, which are destructive, and which a seed or rbac
spec may allow: data the spec validator and the planner both read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One safety finding on one change: ``code`` is stable, ``message`` is for people."""

    code: str
    destructive: bool
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "destructive": self.destructive, "message": self.message}


CODES = {
    "RC101": "table dropped: its rows are lost",
    "RC102": "column dropped: its values are lost",
    "RC103": "index dropped: queries using it slow down",
    "RC104": "constraint dropped: data it protected may go bad",
    "RC105": "destructive raw SQL (DROP, TRUNCATE, or DELETE/UPDATE without WHERE)",
    "RC106": "row deleted by prune (seed or rbac): it is not declared, and its values are lost",
    "RC201": "NOT NULL column without a default added to an existing table: fails if it has rows",
    "RC202": "column made NOT NULL: fails if it holds NULLs, and scans the table",
    "RC301": "index built without CONCURRENTLY on an existing PostgreSQL table: blocks writes while it builds",
    "RC302": "column type change that rewrites the table and holds an exclusive lock",
    "RC303": "column renamed: readers still using the old name break",
}


DESTRUCTIVE = frozenset({"RC101", "RC102", "RC104", "RC105", "RC106"})  # apply refuses these unless allowed


ROW_CODES = frozenset({"RC106"})  # what the row work of a seed or rbac spec can raise, so all its ``allow`` may name


def row_allow_problem(kind: str, code: str) -> str | None:
    """Why ``code`` cannot stand in the ``allow`` of a ``kind`` (seed or rbac) spec, or None when it can."""
    if code in ROW_CODES:
        return None
    spec = {"seed": "a seed spec", "rbac": "an rbac spec"}[kind]
    what = f"{code} ({CODES[code]}) is not raised by {spec}" if code in CODES else f"unknown safety code {code!r}"
    return f"{what}: {spec} can allow only {', '.join(sorted(ROW_CODES))} (rows its prune deletes)"


def finding(code: str, destructive: bool = False) -> Finding:
    """The finding for ``code`` with its standard message."""
    return Finding(code, destructive, CODES[code])
