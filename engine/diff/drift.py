"""Drift of applied units: what the ledger holds as applied and the live schema or the specs no longer show.

Four kinds of finding, each a ``Drift``:

- ``effect_missing``: an object the applied units' forward operations leave in place (a table,
  column, index or constraint) is not in the live schema (dropped by hand, restored from an old
  dump);
- ``effect_reverted``: an object they drop, or a column they rename away, is back;
- ``unit_unknown``: the ledger holds a unit as applied that no spec declares any more;
- ``checksum_changed``: a declared unit's spec changed since it was applied.

The expected effect is a replay. Starting from the live state, the forward changes of the
applied units still declared are replayed in the order the ledger applied them, each forcing
its effect into the simulated state (a create makes its object exist, a drop removes it, a
rename moves the column), so a later unit that undoes an earlier one's effect wins. Only the
objects some change names are compared with the live state; when a table itself drifts, its
columns, indexes and constraints are not reported again. Raw ``sql`` operations have no
effect the engine can see and are not checked, nor is an operation limited by ``dialects:``
to other targets (it never ran here), nor are ``alter_column``'s type, nullability
and default (fingerprint canaries check those). One pass over the units' changes, on the state
and ledger rows the caller already read: no catalog query of its own.

``recon repair UNIT`` (``repairs``) records a ``repaired`` ledger row carrying the unit's
current checksum and the keys of the findings it accepts; ``find`` leaves those out until
the unit drifts in another way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..changes.base import Change
from ..changes.columns import AddColumn, DropColumn, RenameColumn
from ..changes.constraints import AddConstraint, DropConstraint
from ..changes.indexes import CreateIndex, DropIndex
from ..changes.operations import from_operation
from ..changes.simstate import (
    _add_constraint,
    _column,
    _constraint,
    _index,
    _key,
    _table,
    table_constraints,
)
from ..changes.tables import CreateTable, DropTable
from ..inspect.state import Column, SchemaState, Table
from ..ledger import table as ledger
from ..ledger.table import accepted
from ..spec.model import ObjectRef, Specs, Unit, table_ref

from .kinds import KINDS, Drift  # noqa: F401 - the finding and its kinds live where a plan file reads them

# What a change's effect is about: (object type, schema, table, name); a table's name is None,
# and so is the table of an index dropped without one that the replay could not find.
Key = tuple[str, str, "str | None", "str | None"]


def find(specs: Specs, rows: list[ledger.LedgerRow], live: SchemaState) -> tuple[Drift, ...]:
    """Every drift of the applied units that no repair has accepted, units in ledger order."""
    return tuple(outstanding(detect(specs, rows, live), rows))


def detect(specs: Specs, rows: list[ledger.LedgerRow], live: SchemaState) -> list[Drift]:
    """Every drift of the applied units, accepted by a repair or not."""
    done = {u: r for u, r in ledger.applied(rows).items() if not u.startswith(ledger.SPEC_RUN_PREFIXES)}
    declared = {u.id: u for u in specs.units}
    out = [_unknown(row) for unit, row in done.items() if unit not in declared]
    out += [_checksum(declared[u], row) for u, row in done.items() if u in declared and row.checksum != declared[u].checksum]
    order = {r.unit: r.seq for r in rows if r.status == "applied"}  # the last time each unit was applied
    units = sorted((declared[u] for u in done if u in declared), key=lambda unit: order.get(unit.id, 0))
    return out + replay(units, live)


def outstanding(findings: list[Drift], rows: list[ledger.LedgerRow]) -> list[Drift]:
    """The findings a unit's latest ledger row does not accept (a changed checksum is accepted by the
    checksum a repair records, so it never is here)."""
    latest = ledger.current(rows)
    return [d for d in findings if d.kind == "checksum_changed" or d.key not in accepted(latest[d.unit])]


def schemas(specs: Specs) -> set[str]:
    """The non-default schemas the units' operations name: inspection must read them to see their effects."""
    out = set()
    for unit in specs.units:
        for op in unit.operations:
            text = op.args.get("table") if isinstance(op.args, dict) else None
            if isinstance(text, str):
                try:
                    out.add(table_ref(text).schema)
                except ValueError:
                    continue
    return out - {None}


def _unknown(row: ledger.LedgerRow) -> Drift:
    detail = f"unit {row.unit} is applied (ledger #{row.seq}) but no spec declares it any more"
    return Drift(row.unit, "unit_unknown", detail=detail)


def _checksum(unit: Unit, row: ledger.LedgerRow) -> Drift:
    detail = (f"unit {unit.id} changed since it was applied (checksum {row.checksum[:19]} -> {unit.checksum[:19]}); "
              "write a new unit instead of editing an applied one")
    return Drift(unit.id, "checksum_changed", detail=detail, source=str(unit.source))


# -- the replay ------------------------------------------------------------------------------

def replay(units: list[Unit], live: SchemaState) -> list[Drift]:
    """Replay the forward changes of ``units`` (in order) over a copy of ``live``; report each object
    they name whose existence there differs from the live state."""
    sim, owners = live.copy(), {}
    for unit in units:
        for op in unit.operations:
            for change in from_operation(unit.id, op):
                force = _FORCE.get(type(change)) if change.runs_on(live.dialect) else None
                for key in force(change, sim) if force is not None else ():
                    owners.pop(key, None)  # re-inserted: the last change that names an object owns it
                    owners[key] = change
    found = (_compare(key, change, sim, live, owners) for key, change in owners.items())
    return [d for d in found if d is not None]


def _compare(key: Key, change: Change, sim: SchemaState, live: SchemaState, owners: dict) -> Drift | None:
    want = _exists(sim, key)
    if want == _exists(live, key):
        return None
    kind, schema, table, _ = key
    parent: Key = ("table", schema, table, None)
    if kind != "table" and parent in owners and _exists(sim, parent) != _exists(live, parent):
        return None  # reported once, as its table
    what = f"{kind} {_object(key, live)}" + (f" on {_table_text(schema, table, live)}" if kind in ("index", "constraint") and table else "")
    if want:
        gone = table and kind != "table" and (schema, table) not in live.tables
        state = "is missing from the live schema" + (f", and so is table {_table_text(schema, table, live)}" if gone else "")
    else:
        state = "exists again in the live schema"
    where = f"{change.op} at {change.source}"
    return Drift(change.unit, "effect_missing" if want else "effect_reverted", kind, _object(key, live),
                 f"{what} {state} ({where})", str(change.source))


def _exists(state: SchemaState, key: Key) -> bool:
    kind, schema, table, name = key
    if kind == "table":
        return (schema, table) in state.tables
    if kind == "column":
        found = state.tables.get((schema, table))
        return found is not None and found.column(name) is not None
    named = state.indexes_named if kind == "index" else state.constraints_named
    return bool(named(name, schema, table))


def _table_text(schema: str, table: str, state: SchemaState) -> str:
    return table if schema == state.default_schema else str(ObjectRef(schema, table))


def _object(key: Key, state: SchemaState) -> str:
    kind, schema, table, name = key
    if kind == "table":
        return _table_text(schema, table, state)
    return f"{_table_text(schema, table, state)}.{name}" if kind == "column" else name


def _ensure_table(sim: SchemaState, ref: ObjectRef) -> None:
    """A stand-in for a table the live schema lacks and no replayed unit creates, so the replay goes on."""
    if _table(sim, ref) is None:
        schema, name = _key(sim, ref)
        sim.tables[(schema, name)] = Table(schema, name, ())


def _force_create_table(change: CreateTable, sim: SchemaState) -> list[Key]:
    schema, name = _key(sim, change.table)
    ref = ObjectRef(schema, name)
    declared = table_constraints(ref, change.columns, change.primary_key, sim.dialect)
    if _table(sim, ref) is None:
        change.simulate(sim)
    else:  # the table is there: what it declared and lacks is added back
        for col in change.columns:
            if _column(sim, ref, col.name) is None:
                AddColumn(ref, col, unit=change.unit, source=change.source).simulate(sim)
        for con in declared:
            if _constraint(sim, ref, con.name) is None:
                _add_constraint(sim, con)
    return ([("table", schema, name, None)] + [("column", schema, name, c.name) for c in change.columns]
            + [("constraint", schema, name, con.name) for con in declared])


def _force_create(kind: str, name_of: Callable[[Change], str]):
    """add_column, create_index, add_constraint: the object is made to exist."""

    def force(change, sim: SchemaState) -> list[Key]:
        _ensure_table(sim, change.table)
        if not change.present(sim):
            change.simulate(sim)
        return [(kind, *_key(sim, change.table), name_of(change))]

    return force


def _force_rename(change: RenameColumn, sim: SchemaState) -> list[Key]:
    _ensure_table(sim, change.table)
    schema, name = _key(sim, change.table)
    old, new = _column(sim, change.table, change.name), _column(sim, change.table, change.new_name)
    if old is not None and new is None:
        change.simulate(sim)
    elif old is not None:  # both: the old name is expected gone
        table = sim.tables[(schema, name)]
        sim.tables[(schema, name)] = replace(table, columns=tuple(c for c in table.columns if c.name != change.name))
    elif new is None:  # neither: the new name is expected (its type is not compared)
        table = sim.tables[(schema, name)]
        sim.tables[(schema, name)] = replace(table, columns=table.columns + (Column(change.new_name, "", True),))
    return [("column", schema, name, change.name), ("column", schema, name, change.new_name)]


def _force_drop_table(change: DropTable, sim: SchemaState) -> list[Key]:
    if _table(sim, change.table) is not None:
        change.simulate(sim)
    return [("table", *_key(sim, change.table), None)]


def _force_drop_column(change: DropColumn, sim: SchemaState) -> list[Key]:
    """The column, and the indexes and constraints that go with it (owned by this drop)."""
    schema, name = _key(sim, change.table)
    keys: list[Key] = [("column", schema, name, change.name)]
    if change.present(sim):
        return keys
    before = _named_on(sim, schema, name)
    change.simulate(sim)
    return keys + sorted(before - _named_on(sim, schema, name))


def _named_on(sim: SchemaState, schema: str, table: str) -> set[Key]:
    return ({("index", s, t, n) for (s, t, n) in sim.indexes if (s, t) == (schema, table)}
            | {("constraint", s, t, n) for (s, t, n) in sim.constraints if (s, t) == (schema, table)})


def _force_drop_index(change: DropIndex, sim: SchemaState) -> list[Key]:
    index = _index(sim, change.table, change.name)
    if index is not None:
        change.simulate(sim)
        return [("index", index.schema, index.table, change.name)]
    schema = (change.table.schema if change.table else None) or sim.default_schema
    return [("index", schema, change.table.table if change.table else None, change.name)]


def _force_drop_constraint(change: DropConstraint, sim: SchemaState) -> list[Key]:
    name = change.catalog_name(sim)  # MySQL: {table}_pkey is PRIMARY
    if not change.present(sim):
        change.simulate(sim)
    return [("constraint", *_key(sim, change.table), name)]


_FORCE: dict[type, Callable[[Change, SchemaState], list[Key]]] = {
    CreateTable: _force_create_table,
    AddColumn: _force_create("column", lambda c: c.column.name),
    CreateIndex: _force_create("index", lambda c: c.name),
    AddConstraint: _force_create("constraint", lambda c: c.name),
    RenameColumn: _force_rename,
    DropTable: _force_drop_table,
    DropColumn: _force_drop_column,
    DropIndex: _force_drop_index,
    DropConstraint: _force_drop_constraint,
}
