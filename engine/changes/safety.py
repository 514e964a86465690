"""Safety findings of the changes of a plan: each change type says which codes it carries."""

from __future__ import annotations

from ..inspect.state import SchemaState
from ..spec.codes import DESTRUCTIVE, Finding, finding
from .base import Change


def analyze(change: Change, live: SchemaState, before: SchemaState) -> list[Finding]:
    """Findings for ``change`` (each change type knows its codes); ``live`` is the inspected state,
    ``before`` the state just before it."""
    return [finding(code, code in DESTRUCTIVE) for code in change.risks(live, before)]
