"""What an audit runs: the canaries and invariants of a spec set, as data a plan file can carry.

``recon audit`` builds an ``AuditSet`` from the specs; ``recon plan`` writes the same set
into the plan file, so that ``recon apply PLANFILE`` runs the audits before and after from
the plan alone (it reads no spec folder). ``to_dict``/``from_dict`` are that JSON form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from ..errors import UsageError
from ..spec.model import Canary, Invariant, ObjectRef, RbacTables, Source, Specs
from . import canaries as checks
from . import invariants as inv


@dataclass(frozen=True)
class AuditSet:
    """Canaries, invariants (declared, then implied by rbac specs) and the rbac tables those refer to."""

    canaries: tuple[Canary, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    rbac_tables: dict[str, RbacTables] = field(default_factory=dict)  # rbac spec name -> its tables
    fingerprint_names: tuple[str, ...] = ()
    specs_digest: str = ""

    @classmethod
    def of(cls, specs: Specs, fingerprint: str | None = None, run_invariants: bool = True) -> "AuditSet":
        """The audit of ``specs``: every canary (or those of one fingerprint) and every invariant."""
        if fingerprint is None:
            canaries, names = specs.canaries, tuple(f.name for f in specs.fingerprints)
        else:
            fp = specs.fingerprint(fingerprint)
            if fp is None:
                known = ", ".join(f.name for f in specs.fingerprints) or "none declared"
                raise UsageError(f"unknown fingerprint {fingerprint!r} (declared: {known})")
            canaries, names = fp.checks, (fp.name,)
        invariants = tuple(specs.invariants) + tuple(i for r in specs.rbac for i in inv.from_rbac(r)) if run_invariants else ()
        return cls(tuple(canaries), invariants, {r.name: r.tables for r in specs.rbac}, names, specs.digest)

    def live_tables(self, kept=()) -> set[tuple[str | None, str]] | None:
        """What an audit on a restricted read must read: the tables the invariants look up, and those
        of each canary without an outcome in ``kept`` (a plan's ``audit_outcomes``, one per canary, or
        none); None: the whole schema (such a canary looks its name up in all of it)."""
        live = [c for i, c in enumerate(self.canaries) if len(kept) != len(self.canaries) or kept[i] is None]
        if any(c.ref is None for c in live):
            return None
        return {(c.ref.schema, c.ref.table) for c in live} | self.invariant_tables()

    def invariant_tables(self) -> set[tuple[str | None, str]]:
        """The ``(schema, table)`` pairs the invariants look up in the schema (their SQL reads the rows
        live): their tables, and those of the rbac specs whose grants they check."""
        named = {(i.table.schema, i.table.table) for i in self.invariants if i.table is not None}
        rbac = {i.rbac for i in self.invariants if i.kind == "rbac_granted"}
        return named | {(r.schema, r.table) for n in rbac if n in self.rbac_tables
                        for r in (self.rbac_tables[n].permissions, self.rbac_tables[n].grants)}

    def schemas(self) -> set[str]:
        """The non-default schemas this audit must inspect."""
        return checks.referenced_schemas(self.canaries, [i.table for i in self.invariants if i.table is not None])

    def to_dict(self) -> dict:
        return {"canaries": [canary_dict(c) for c in self.canaries], "invariants": [asdict(i) for i in self.invariants],
                "rbac_tables": {name: asdict(t) for name, t in self.rbac_tables.items()},
                "fingerprint_names": list(self.fingerprint_names), "specs_digest": self.specs_digest}

    @classmethod
    def from_dict(cls, data: dict) -> "AuditSet":
        return cls(tuple(_canary(c) for c in data["canaries"]), tuple(_invariant(i) for i in data["invariants"]),
                   {name: _tables(t) for name, t in data["rbac_tables"].items()}, tuple(data["fingerprint_names"]),
                   data["specs_digest"])


_CANARY_FIELDS = tuple(f.name for f in fields(Canary))


def _ref_dict(ref: ObjectRef | None) -> dict | None:
    return None if ref is None else {"schema": ref.schema, "table": ref.table, "column": ref.column}


def canary_dict(c: Canary) -> dict:
    """``dataclasses.asdict(c)``, without its deep copy of every value: a plan file carries thousands
    of canaries, and ``asdict`` of 3,000 took a tenth of a second. The same dict (``tests/test_plan_file.py``)."""
    out = {name: getattr(c, name) for name in _CANARY_FIELDS}
    out["source"] = {"file": c.source.file, "line": c.source.line}
    out["ref"], out["references"] = _ref_dict(c.ref), _ref_dict(c.references)
    return out


def _ref(data: dict | None) -> ObjectRef | None:
    return ObjectRef(**data) if data is not None else None


def _canary(d: dict) -> Canary:
    return Canary(**{**d, "source": Source(**d["source"]), "ref": _ref(d["ref"]), "references": _ref(d["references"]),
                     "columns": tuple(d["columns"]) if d["columns"] is not None else None})


def _invariant(d: dict) -> Invariant:
    return Invariant(**{**d, "source": Source(**d["source"]), "table": _ref(d["table"]),
                        "where": tuple(tuple(w) for w in d["where"]), "values": tuple(d["values"])})


def _tables(d: dict) -> RbacTables:
    return RbacTables(**{**d, **{k: ObjectRef(**d[k]) for k in ("roles", "permissions", "grants")}})
