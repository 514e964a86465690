"""What the server would refuse, told from the catalog before anything runs.

A plan is a promise that the server accepts every statement it shows. The
simulated state (the live catalog plus the effect of every earlier change)
says most of what a server checks when it runs DDL: that the columns an index,
a constraint or a foreign key names exist, that a foreign key points at a key
of a compatible type, that a view or a partitioned table can take the change,
that nothing still depends on what a drop removes. Each rule here reads that
state and returns why the server would refuse, or None; the planner turns an
answer into a spec error at the operation's line, so nothing runs.

Rules are registered per change type (one registry, as the renderers have:
``registry.py``); each is a small function of ``(change, state)``, in ``objects.py``
(table kinds, named columns), ``keys.py`` (keys, foreign keys), ``namespace.py`` (names the
server compares ignoring case, or shares between kinds of object), ``drops.py``, ``alters.py``,
``opclasses.py``, ``rebuilds.py`` (SQLite table rebuilds), ``defaults.py`` (literal defaults),
``sizes.py`` (type sizes), ``keylength.py`` (InnoDB key length) and ``names.py`` (identifier
lengths).
"""

from __future__ import annotations

from ...inspect.state import SchemaState
from ..base import Change
from . import (  # noqa: F401  (they register on import)
    alters,
    defaults,
    drops,
    keylength,
    names,
    namespace,
    objects,
    opclasses,
    rebuilds,
    sizes,
)
from .registry import RULES


def refusal(change: Change, state: SchemaState) -> str | None:
    """Why ``change`` cannot run on ``state`` (what is missing, or what the server refuses), or None."""
    found = refusals(change, state)
    return found[0] if found else None


def refusals(change: Change, state: SchemaState) -> list[str]:
    """Every reason ``change`` cannot run on ``state``: what is missing alone (the rules read what
    exists), else what each rule finds, in the rules' order."""
    missing = change.missing(state)
    if missing:
        return [missing]
    return [why for check in RULES.get(type(change), ()) if (why := check(change, state))]
