"""Which pending work a plan covers: ``--scope``, ``--unit ID`` and ``--exclude ID``.

An id is a migration unit's id or the ledger key of a seed or rbac spec (``seed:NAME``,
``rbac:NAME``). With ``--unit``, the plan holds the named work and what it needs, transitively:
a unit's pending ``depends_on``, and for a seed or rbac spec the pending units that create its
tables or add columns to them; nothing else (seed and rbac specs not named stay out). Without
``--unit``, every pending unit and every seed and rbac spec in the scope. ``--exclude`` then
takes work out, and excluding what remaining work needs is an error naming both. The
``Selection`` a plan records says what was asked, what came along and why, and what was left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diff import rbac as rbac_rows
from ..diff import seeds as seed_rows
from ..diff.migrations import order_units
from ..errors import UsageError
from ..ledger import table as ledger
from ..spec.model import ObjectRef, Specs, Unit, table_ref
from .planfile import Selection  # noqa: F401 - the plan file holds it, so it lives there

SCOPES = ("schema", "seed", "all")
_WRITES_TABLE = ("create_table", "add_column")  # what a seed or rbac spec's table needs from a pending unit


@dataclass(frozen=True)
class Chosen:
    """The work a plan covers: pending units in dependency order, the seed and rbac specs to plan."""

    units: list[Unit]
    seeds: tuple
    rbac: tuple
    warnings: list[str]
    selection: Selection


def choose(specs: Specs, rows: list[ledger.LedgerRow], scope: str = "all", units=(), exclude=()) -> Chosen:
    """The pending work of ``specs`` that ``scope``, ``units`` (``--unit``) and ``exclude`` select;
    an unknown id, an id both selected and excluded, selected work outside the scope, or leaving
    out what selected work needs is a ``UsageError``."""
    if scope not in SCOPES:
        raise UsageError(f"unknown scope {scope!r} (one of {', '.join(SCOPES)})")
    work = _Work(specs, rows, scope)
    units, exclude = tuple(dict.fromkeys(units)), tuple(dict.fromkeys(exclude))
    work.check_ids(units, exclude)
    chosen, added = work.closure(units) if units else (set(work.in_scope), [])
    chosen -= set(exclude)
    work.check_needs(chosen, set(exclude))
    left_out = [(i, "excluded" if i in exclude else "not selected") for i in work.in_scope if i not in chosen] if units or exclude else []
    selection = Selection(units, exclude, tuple(added), tuple(left_out), tuple(i for i in units if work.applied(i)))
    return Chosen([u for u in work.pending if u.id in chosen], tuple(s for s in specs.seeds if seed_rows.unit_id(s) in chosen),
                  tuple(r for r in specs.rbac if rbac_rows.unit_id(r) in chosen), work.changed(), selection)


class _Work:
    """The specs' work by id, what each piece needs, and what the scope covers."""

    def __init__(self, specs: Specs, rows, scope: str):
        self.specs, self.scope, self.done = specs, scope, ledger.applied(rows)
        self.pending = [u for u in order_units(list(specs.units)) if u.id not in self.done]
        self.units = {u.id: u for u in specs.units}
        self.rows = {seed_rows.unit_id(s): [s.table] for s in specs.seeds}
        self.rows |= {rbac_rows.unit_id(r): [r.tables.roles, r.tables.permissions, r.tables.grants] for r in specs.rbac}
        rows_in_scope = list(self.rows) if scope in ("seed", "all") else []
        self.in_scope = [u.id for u in self.pending if scope in ("all", u.scope)] + rows_in_scope

    def applied(self, work_id: str) -> bool:
        """A migration unit the ledger has as applied (seed and rbac specs are planned again every time)."""
        return work_id in self.units and work_id in self.done

    def scope_of(self, work_id: str) -> str:
        return self.units[work_id].scope if work_id in self.units else "seed"

    def check_ids(self, units, exclude) -> None:
        known = set(self.units) | set(self.rows)
        unknown = [f"{flag} {i}" for flag, ids in (("--unit", units), ("--exclude", exclude)) for i in ids if i not in known]
        if unknown:
            raise UsageError(f"unknown unit: {', '.join(unknown)} (known: {', '.join(sorted(known)) or 'none'}; "
                             "seed and rbac specs are named seed:NAME and rbac:NAME, as the ledger names them)")
        both = [i for i in units if i in exclude]
        if both:
            raise UsageError(f"{', '.join(both)} given to both --unit and --exclude: select it or exclude it")
        outside = [i for i in units if not self.applied(i) and self.scope not in ("all", self.scope_of(i))]
        if outside:
            flag = f"--scope {self.scope}" + (" (or --skip-seeding)" if self.scope == "schema" else "")
            raise UsageError(f"--unit {', '.join(outside)}: {self.scope_of(outside[0])} work, and {flag} leaves it out")

    def needs(self, work_id: str) -> list[tuple[str, str]]:
        """(id, why) of the pending work ``work_id`` needs first."""
        if work_id in self.units:
            return [(d, f"{work_id} depends on it") for d in self.units[work_id].depends_on if d not in self.done]
        found = {}
        for u in self.pending:
            for op in u.operations:
                if op.op in _WRITES_TABLE and isinstance(op.args, dict) and _same_table(op.args.get("table"), self.rows[work_id]):
                    how = "which it creates" if op.op == "create_table" else "to which it adds a column"
                    found.setdefault(u.id, f"{work_id} writes {op.args['table']}, {how}")
        return list(found.items())

    def closure(self, asked) -> tuple[set[str], list[tuple[str, str]]]:
        """``asked`` and what it needs, transitively, within the scope (``check_needs`` refuses a
        unit's dependency outside it)."""
        chosen, added, todo = set(asked), [], list(asked)
        while todo:
            for dep, why in self.needs(todo.pop(0)):
                if dep in chosen or self.scope not in ("all", self.scope_of(dep)):
                    continue
                chosen.add(dep)
                added.append((dep, why))
                todo.append(dep)
        return chosen, added

    def check_needs(self, chosen: set[str], excluded: set[str]) -> None:
        """Work in the plan whose needs are excluded, or outside the scope (a unit's depends_on), is refused."""
        broken = [(i, dep, why) for i in sorted(chosen) for dep, why in self.needs(i) if dep not in chosen]
        cut = {dep: [why for _, d, why in broken if d == dep] for _, dep, _ in broken if dep in excluded}
        if cut:
            raise UsageError(" ".join(f"--exclude {dep} leaves out what remaining work needs: {'; '.join(whys)}; exclude that too, or keep {dep}."
                                      for dep, whys in cut.items()))
        scoped = [f"{i} depends on {dep}" for i, dep, _ in broken if i in self.units]
        if scoped:
            raise UsageError(f"--scope {self.scope} leaves out units that selected ones depend on: {'; '.join(scoped)}")

    def changed(self) -> list[str]:
        """Warnings for applied units whose spec changed since."""
        return [f"unit {u.id} changed since it was applied (checksum {self.done[u.id].checksum[:19]} -> {u.checksum[:19]}); "
                "write a new unit instead of editing an applied one"
                for u in self.specs.units if u.id in self.done and self.done[u.id].checksum != u.checksum]


def _same_table(text, wanted: list[ObjectRef]) -> bool:
    """Whether ``text`` (an operation's table) names one of ``wanted`` (a schema left out matches any)."""
    if not isinstance(text, str):
        return False
    try:
        ref = table_ref(text)
    except ValueError:
        return False
    return any(ref.table == w.table and (ref.schema is None or w.schema is None or ref.schema == w.schema) for w in wanted)
