"""The plain values of the diff stage that a plan file holds: the status of a planned action, a
drift finding, a seed read and the digest of its rows. Nothing here imports the change
vocabulary or sqlglot, so loading and applying a plan file does without them."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from . import values

PENDING, PRESENT, GUARD_FALSE, SKIPPED_DIALECT = "pending", "present", "guard_false", "skipped_dialect"
KINDS = ("effect_missing", "effect_reverted", "unit_unknown", "checksum_changed")


@dataclass(frozen=True)
class Drift:
    """One way an applied unit has drifted; ``detail`` is for people, ``key`` is what a repair accepts."""

    unit: str
    kind: str  # one of KINDS
    object_type: str | None = None  # table | column | index | constraint (None: the unit itself)
    object: str | None = None  # as a spec writes it: ``items``, ``items.note``, ``items_note_idx``
    detail: str = ""
    source: str | None = None  # file:line of the operation whose effect drifted (None: no spec declares the unit)

    @property
    def key(self) -> str:
        """The finding without its wording: ``effect_missing index items_note_idx``."""
        return " ".join(part for part in (self.kind, self.object_type, self.object) if part)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SeedRead:
    """A SELECT a plan was made from: apply runs ``lock_sql`` (the same SELECT, locking the rows it
    reads where the dialect can) inside the spec's transaction and compares the digest of its rows."""

    sql: str
    params: tuple
    digest: str
    lock_sql: str = ""
    unit: str = ""  # the seed or rbac unit whose transaction runs it again


def rows_digest(rows) -> str:
    """Digest of rows as read, in a fixed order and independent of the session (time zone)."""
    form = values.digest_form
    body = sorted(repr(tuple(map(form, row))) for row in rows)
    return "sha256:" + hashlib.sha256("\n".join(body).encode()).hexdigest()
