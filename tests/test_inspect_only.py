"""Inspection restricted to some tables reads exactly what a whole inspection reads of them.

Apply reads again only the tables its plan touches (and those its canaries name): the
restricted state must hold, for each of those tables, the very columns, indexes, constraints
and view reads of the whole one, nothing of any other table, in the same number of queries.
"""

from __future__ import annotations

import pytest

from support import dialect_sql

from engine.inspect import inspect_schema
from engine.target.connection import make_target, read_only_connection

SCHEMA = """
CREATE TABLE "Parent" (id INTEGER NOT NULL, code VARCHAR(20) NOT NULL, CONSTRAINT "Parent_pkey" PRIMARY KEY (id), CONSTRAINT parent_code_key UNIQUE (code));
CREATE TABLE child (id INTEGER NOT NULL, parent_id INTEGER, qty INTEGER, CONSTRAINT child_pkey PRIMARY KEY (id),
  CONSTRAINT child_parent_fkey FOREIGN KEY (parent_id) REFERENCES "Parent" (id), CONSTRAINT child_qty_check CHECK (qty > 0));
CREATE INDEX child_qty_idx ON child (qty);
CREATE TABLE other (id INTEGER NOT NULL, note VARCHAR(50), CONSTRAINT other_pkey PRIMARY KEY (id));
CREATE INDEX other_note_idx ON other (id, note);
CREATE VIEW child_view AS SELECT id, qty FROM child
"""


def _states(db, tables):
    target = make_target(db.url)
    with read_only_connection(target) as conn:
        return inspect_schema(conn), inspect_schema(conn, tables=tables)


def _of(state, keys):
    return ({k: v for k, v in state.tables.items() if k in keys},
            {k: v for k, v in state.indexes.items() if k[:2] in keys},
            {k: v for k, v in state.constraints.items() if k[:2] in keys},
            {k: v for k, v in state.view_reads.items() if k in keys})


@pytest.mark.parametrize("wanted", [[(None, "child")], [(None, "Parent"), (None, "child")], [(None, "missing")], []])
def test_a_restricted_inspection_reads_exactly_those_tables(db, wanted):
    db.run(dialect_sql(db, SCHEMA))
    whole, part = _states(db, wanted)
    keys = {(whole.default_schema, t) for _, t in wanted}
    assert part.only == keys
    assert _of(part, keys) == _of(whole, keys)
    assert set(part.tables) == keys & set(whole.tables)
    assert {k[:2] for k in [*part.indexes, *part.constraints]} <= keys
    assert part.queries == whole.queries  # the same queries, each one reading less
    if wanted:
        assert any(_of(whole, keys)[:3]) or ("missing",) == tuple(t for _, t in wanted)


def test_merging_a_fresh_read_replaces_those_tables_only(db):
    db.run(dialect_sql(db, SCHEMA))
    before, _ = _states(db, [(None, "child")])
    db.run(dialect_sql(db, 'CREATE INDEX child_parent_idx ON child (parent_id);\nDROP INDEX other_note_idx' +
                       (' ON other' if db.dialect == "mysql" else '')))
    after_whole, fresh = _states(db, [(None, "child")])
    merged = before.merged(fresh)
    schema = before.default_schema
    assert (schema, "child", "child_parent_idx") in merged.indexes  # read again
    assert (schema, "other", "other_note_idx") in merged.indexes  # not read again: as it was
    assert _of(merged, {(schema, "child")}) == _of(after_whole, {(schema, "child")})
    assert merged.only is None and set(merged.tables) == set(before.tables)


def test_sqlite_a_foreign_key_to_its_parents_key_reads_the_parent_outside_the_tables(sqlite_db):
    """``REFERENCES users`` names no column: the parent's primary key says which, though only the child is read."""
    sqlite_db.run('CREATE TABLE "Users" (uid INTEGER PRIMARY KEY, name TEXT);\n'
                  "CREATE TABLE notes (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES users ON DELETE CASCADE)")
    whole, part = _states(sqlite_db, [(None, "notes")])
    keys = {("main", "notes")}
    assert _of(part, keys) == _of(whole, keys)
    fk = next(c for c in part.constraints.values() if c.kind == "foreign_key")
    assert (fk.ref_table, fk.ref_columns, fk.on_delete) == ("Users", ("uid",), "cascade")
    assert set(part.tables) == keys


def test_past_the_limit_of_tables_a_restricted_inspection_reads_them_all(db, monkeypatch):
    """More tables than ``MAX_RESTRICTED`` are not listed in the queries (SQLite binds at most 32,766
    values): every table is read, and the tables asked for are as a whole inspection reads them."""
    from engine.inspect import catalog

    db.run(dialect_sql(db, SCHEMA))
    monkeypatch.setattr(catalog, "MAX_RESTRICTED", 1)
    whole, part = _states(db, [(None, "child"), (None, "other")])
    keys = {(whole.default_schema, "child"), (whole.default_schema, "other")}
    assert part.only == keys and _of(part, keys) == _of(whole, keys)
    if db.dialect != "sqlite":  # SQLite keeps only the tables asked for, whatever it read
        assert set(part.tables) == set(whole.tables)
