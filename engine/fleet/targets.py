"""The targets file of a fleet, and the deterministic shard of it one machine runs.

A targets file is a YAML list of ``{name, url}`` or ``{name, url_env}`` (the URL read from
that environment variable when the target runs). Every problem is collected and reported at
once as ``file:line: key: message`` (exit 1), as spec problems are: not a list, an entry that
is not a mapping, an unknown key, a missing or malformed name, a repeated name, neither or
both of ``url`` and ``url_env``. A variable that is not set is not a problem of the file: that
target fails on its own (exit 1 in its row) and the others run.

``shard(targets, "K/N")`` keeps the K-th of N parts (K from 1): the targets sorted by name,
the i-th of them (from 0) in part ``i mod N + 1``. Parts differ in size by at most one, every
target is in exactly one part, and the same file always gives the same parts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import Diagnostic, UsageError
from ..spec.loader import LocDict, LocList, display_path, load_file

KEYS = ("name", "url", "url_env")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class TargetsFileError(UsageError):
    """The targets file is unreadable or invalid; carries every problem found (exit 1)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        count = len(self.diagnostics)
        head = f"{count} problem{'s' if count != 1 else ''} in the targets file"
        super().__init__(head + ":\n" + "\n".join(str(d) for d in self.diagnostics))


@dataclass(frozen=True)
class FleetTarget:
    """One named target of a fleet: its URL, or the variable that holds it, and where it is declared."""

    name: str
    url: str | None = None
    url_env: str | None = None
    source: str = ""  # file:line, for messages

    def resolve(self) -> str:
        """The URL to connect to; a ``UsageError`` when ``url_env`` is not set (this target fails alone)."""
        if self.url is not None:
            return self.url
        value = os.environ.get(self.url_env or "")
        if not value:
            raise UsageError(f"target {self.name} reads its URL from ${self.url_env}, which is not set")
        return value


def load_targets(path: str) -> tuple[FleetTarget, ...]:
    """The targets of ``path``, in file order; a ``TargetsFileError`` with every problem."""
    file = Path(path)
    name = display_path(file)
    if not file.is_file():
        raise TargetsFileError([Diagnostic(name, 0, "", "no such file (give --targets FILE, a YAML list of {name, url} or {name, url_env})")])
    docs, _, problems = load_file(file)
    if problems:
        raise TargetsFileError(problems)
    if len(docs) != 1 or not isinstance(docs[0].data, LocList):
        line = docs[0].line if docs else 0
        raise TargetsFileError([Diagnostic(name, line, "", "expected one YAML list of {name, url} or {name, url_env}")])
    items = docs[0].data
    found: list[FleetTarget] = []
    problems = [] if items else [Diagnostic(name, items.line, "", "the list of targets is empty")]
    for index, item in enumerate(items):
        target, wrong = _entry(name, items.line_of(index), index, item)
        problems += wrong
        if target is not None:
            found.append(target)
    problems += _repeated(name, [(i.get("name"), i.line) for i in items if isinstance(i, LocDict) and isinstance(i.get("name"), str)])
    if problems:
        raise TargetsFileError(problems)
    return tuple(found)


def _entry(file: str, line: int, index: int, item) -> tuple[FleetTarget | None, list[Diagnostic]]:
    """One list item: the target, or None, and what is wrong with it."""
    where = f"[{index}]"
    if not isinstance(item, LocDict):
        return None, [Diagnostic(file, line, where, "expected a mapping {name, url} or {name, url_env}")]
    wrong = [Diagnostic(file, item.line_of(k), f"{where}.{k}", f"unknown key (allowed: {', '.join(KEYS)})")
             for k in item if k not in KEYS]
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        what = "missing" if name is None else f"{name!r} is not a name"
        wrong.append(Diagnostic(file, item.line_of("name"), f"{where}.name",
                                f"{what}: a target needs a name of letters, digits and _ . : @ - (it names the row of the report)"))
    url, var = item.get("url"), item.get("url_env")
    if (url is None) == (var is None):
        wrong.append(Diagnostic(file, item.line, where, "give exactly one of url (the URL) and url_env (the variable holding it)"))
    elif url is not None and (not isinstance(url, str) or not url.strip()):
        wrong.append(Diagnostic(file, item.line_of("url"), f"{where}.url", "expected a database URL (text)"))
    elif var is not None and (not isinstance(var, str) or not _VARIABLE.match(var)):
        wrong.append(Diagnostic(file, item.line_of("url_env"), f"{where}.url_env", "expected the name of an environment variable"))
    if wrong:
        return None, wrong
    return FleetTarget(name, url, var, f"{file}:{item.line}"), []


def _repeated(file: str, named: list[tuple[str, int]]) -> list[Diagnostic]:
    """A name given twice, at its second line (every entry with a name counts, valid or not)."""
    first: dict[str, int] = {}
    out = []
    for name, line in named:
        if name in first:
            out.append(Diagnostic(file, line, "name", f"target {name!r} is declared twice (first at {file}:{first[name]})"))
        first.setdefault(name, line)
    return out


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N), 1 <= K <= N; anything else is a ``UsageError``."""
    match = _SHARD.match(text or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise UsageError(f"--shard {text!r}: expected K/N with 1 <= K <= N (e.g. 2/4: the second of four parts)")
    return int(match[1]), int(match[2])


def shard(targets, spec: str | None) -> tuple[FleetTarget, ...]:
    """The part ``spec`` (``K/N``) of ``targets``, in name order; all of them, in name order, for None."""
    ordered = sorted(targets, key=lambda t: t.name)
    if spec is None:
        return tuple(ordered)
    k, n = parse_shard(spec)
    return tuple(t for i, t in enumerate(ordered) if i % n == k - 1)
