"""Adopt an existing database: its live schema as a fingerprint spec, chosen tables' rows as seed specs.

``inspect_database`` reads the default schema in one read-only session (the catalog queries of
inspection, plus one SELECT per seeded table) and returns an ``Inspection``: the model values
(``spec.model.Fingerprint`` and ``Seed``) and the files they are written to, through the one spec
writer (``spec.writer``). What it writes validates, an audit of it on the same database passes
every check, and a plan of its seeds is empty (``docs/inspect.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..spec.model import Fingerprint, Seed
from ..spec.writer import dump
from . import adopt_rows, adopt_schema
from .adopt_rows import SeedRequest

INSPECT_FORMAT = "recon.inspect/v1"
FINGERPRINT_FILE = "fingerprint.yaml"


@dataclass(frozen=True)
class Inspection:
    """What ``recon inspect`` read: the fingerprint (None when no table was selected), the seeds in
    the order asked, the target (``url`` without a password) and notes on what was left out."""

    dialect: str
    url: str
    server_version: str
    fingerprint: Fingerprint | None
    seeds: tuple[Seed, ...] = ()
    notes: tuple[str, ...] = ()

    def files(self) -> list[tuple[str, str]]:
        """``(file name, YAML text)`` of every spec, in a fixed order with fixed names: ``fingerprint.yaml``,
        then ``seed-<table>.yaml`` per seed (characters a file name should not hold become ``_``)."""
        header = f"Written by recon inspect from {self.dialect} {self.server_version}".rstrip()
        out = [(FINGERPRINT_FILE, dump(self.fingerprint, header=header))] if self.fingerprint else []
        return out + [(seed_file(s.table.table), dump(s, header=header)) for s in self.seeds]

    def write(self, folder, force: bool = False) -> list[Path]:
        """Write ``files()`` into ``folder`` (created if missing); a folder holding anything is refused
        unless ``force`` (then the files of the same names are replaced, others are left as they are)."""
        out = Path(folder)
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {folder}: is a file, not a folder")
        if out.is_dir() and any(out.iterdir()) and not force:
            raise UsageError(f"--out {folder}: the folder is not empty; give an empty or new folder, or --force to "
                             "replace the files inspect writes there")
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.files():
            path = out / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written

    def to_dict(self) -> dict:
        """The ``recon.inspect/v1`` summary (``recon inspect --format json``)."""
        return {
            "format": INSPECT_FORMAT,
            "target": {"dialect": self.dialect, "url": self.url, "server_version": self.server_version},
            "files": [name for name, _ in self.files()],
            "fingerprint": None if self.fingerprint is None else {
                "name": self.fingerprint.name, "checks": len(self.fingerprint.checks),
                "by_kind": {k: sum(c.kind == k for c in self.fingerprint.checks) for k in ("table", "column", "index", "constraint")}},
            "seeds": [{"name": s.name, "table": s.table.table_text, "key": list(s.key), "rows": len(s.rows)} for s in self.seeds],
            "notes": list(self.notes),
        }


def seed_file(table: str) -> str:
    """The file a table's seed is written to: ``seed-<table>.yaml``, the name made safe for any file system."""
    return f"seed-{re.sub(r'[^A-Za-z0-9_.-]', '_', table)}.yaml"


def inspect_database(url, *, tables=(), seeds=(), name: str = "inspected") -> Inspection:
    """Read ``url`` (a URL or ``Target``) read-only: the fingerprint ``name`` of its tables (those
    matching any glob of ``tables``, all when none) and a seed of each of ``seeds`` (``SeedRequest``
    or ``TABLE[:KEY,...]`` text). A seed whose key the database does not enforce, an unknown table
    or a view is refused (``UsageError``, exit 1)."""
    from ..target.connection import Target, make_target, read_only_connection
    from . import inspect_schema

    requests = [r if isinstance(r, SeedRequest) else SeedRequest.parse(r) for r in seeds]
    _refuse_twice(requests)
    target = url if isinstance(url, Target) else make_target(url)
    with read_only_connection(target) as conn:
        state = inspect_schema(conn)
        chosen = adopt_schema.selected_tables(state, tuple(tables))
        made = [adopt_rows.seed_of(conn, state, r, seed_file(r.table)) for r in requests]
    notes = _notes(state, chosen, tables, [n for _, left in made for n in left])
    if not chosen and not made:
        raise UsageError("nothing to write: " + ("no table matches --tables " + " ".join(tables) if tables
                                                  else "the database has no tables"))
    fp = adopt_schema.fingerprint(state, chosen, name, FINGERPRINT_FILE,
                                  "The live schema as recon inspect read it: every table, column, index and constraint.") if chosen else None
    return Inspection(target.dialect, target.display_url, state.server_version, fp, tuple(s for s, _ in made), tuple(notes))


def _refuse_twice(requests: list[SeedRequest]) -> None:
    seen = set()
    for r in requests:
        if seed_file(r.table) in seen:
            raise UsageError(f"--seed {r}: {r.table} is seeded twice (or two tables share the file name {seed_file(r.table)})")
        seen.add(seed_file(r.table))


def _notes(state, chosen, globs, left_out: list[str]) -> list[str]:
    notes = []
    parts = adopt_schema.partitions(state)
    if parts:
        notes.append(f"partitions left out (their partitioned table is checked): {', '.join(parts)}")
    if not chosen and globs:
        notes.append(f"no table matches --tables {' '.join(globs)}: no fingerprint written")
    if state.table(None, adopt_schema.LEDGER_TABLE) is not None:
        notes.append(f"the ledger table {adopt_schema.LEDGER_TABLE} is recon's own: left out")
    return notes + [f"seed {n}" for n in left_out]
