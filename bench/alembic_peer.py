"""Peer for the audit benchmark: Alembic's reflection-based ``compare_metadata``.

Run as its own process by ``audit_bench.py`` (so its time and memory are the
whole process, like ``recon audit``)::

    python bench/alembic_peer.py --url postgresql://postgres@127.0.0.1/db --tables 1000

It builds a SQLAlchemy ``MetaData`` describing the expected schema (every
table with its columns, primary key, index and foreign key, from
``benchschema``), then asks Alembic to compare it with the live database. That
is what an Alembic user runs to answer "does the database match what the app
expects?". It prints one JSON line: the number of SQL statements sent (counted
by a ``before_cursor_execute`` listener) and the number of differences found
(0 when the schema matches).
"""

from __future__ import annotations

import argparse
import json

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from benchschema import sqlalchemy_metadata
from sqlalchemy.pool import NullPool


def run(url: str, count: int) -> dict:
    """Compare the expected ``count``-table metadata with the database at ``url``."""
    target_metadata = sqlalchemy_metadata(count)
    engine = sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool)
    statements = 0

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        nonlocal statements
        statements += 1

    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, target_metadata)
    finally:
        engine.dispose()
    return {"statements": statements, "diffs": len(diffs), "tables": len(target_metadata.tables), "sample_diffs": [repr(d) for d in diffs[:5]]}


def main() -> None:
    """Parse arguments, run the comparison, print its JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy/libpq URL of the database to compare")
    parser.add_argument("--tables", type=int, required=True, help="number of tables the expected schema declares")
    args = parser.parse_args()
    print(json.dumps(run(args.url, args.tables)))


if __name__ == "__main__":
    main()
