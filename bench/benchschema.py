"""The synthetic schema the audit benchmark runs on, described once for every tool.

``audit_bench.py`` turns it into PostgreSQL DDL and a recon fingerprint;
``alembic_peer.py`` turns it into SQLAlchemy ``Table`` objects for Alembic's
``compare_metadata``. Keeping one description guarantees that recon, Alembic
and pg_dump all look at exactly the same tables, columns, index and foreign key.

Each table ``tNNNN`` has 21 columns of mixed types, a primary key on ``id``,
one secondary index ``tNNNN_code_idx`` on ``code`` and one foreign key
``tNNNN_parent_id_fkey`` from ``parent_id`` to the previous table's ``id``
(table 0 references itself). This module imports only the standard library at
module level, so importing it does not skew a peer's start-up time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ColumnDef:
    """One column: its name, PostgreSQL DDL type, recon portable type and nullability."""

    name: str
    pg_type: str
    portable: str
    nullable: bool


# 21 columns; ``id`` is the primary key, ``parent_id`` carries the foreign key,
# ``code`` carries the secondary index.
COLUMNS: tuple[ColumnDef, ...] = (
    ColumnDef("id", "integer", "integer", False),
    ColumnDef("parent_id", "integer", "integer", True),
    ColumnDef("name", "text", "text", False),
    ColumnDef("code", "varchar(40)", "varchar(40)", False),
    ColumnDef("description", "text", "text", True),
    ColumnDef("qty", "integer", "integer", True),
    ColumnDef("amount", "bigint", "bigint", False),
    ColumnDef("active", "boolean", "boolean", False),
    ColumnDef("price", "numeric(10,2)", "numeric(10,2)", True),
    ColumnDef("created_at", "timestamp", "timestamp", False),
    ColumnDef("updated_at", "timestamptz", "timestamptz", True),
    ColumnDef("due_on", "date", "date", True),
    ColumnDef("ref", "uuid", "uuid", False),
    ColumnDef("payload", "jsonb", "json", True),
    ColumnDef("status", "varchar(20)", "varchar(20)", True),
    ColumnDef("rank", "integer", "integer", False),
    ColumnDef("total", "numeric(10,2)", "numeric(10,2)", False),
    ColumnDef("big_counter", "bigint", "bigint", True),
    ColumnDef("flag", "boolean", "boolean", True),
    ColumnDef("note", "text", "text", True),
    ColumnDef("seen_at", "timestamptz", "timestamptz", False),
)

INDEXED_COLUMN = "code"
FK_COLUMN = "parent_id"


@dataclass(frozen=True)
class TableDef:
    """One table of the synthetic schema and the names PostgreSQL gives its objects."""

    name: str
    parent: str  # the table the foreign key references (itself for table 0)

    @property
    def pkey(self) -> str:
        """The primary key constraint name PostgreSQL generates: ``<table>_pkey``."""
        return f"{self.name}_pkey"

    @property
    def fkey(self) -> str:
        """The foreign key constraint name PostgreSQL generates: ``<table>_<col>_fkey``."""
        return f"{self.name}_{FK_COLUMN}_fkey"

    @property
    def index(self) -> str:
        """The name of the one secondary index."""
        return f"{self.name}_{INDEXED_COLUMN}_idx"


def tables(count: int) -> list[TableDef]:
    """The ``count`` tables ``t0000 .. t{count-1}``, each referencing the one before it."""
    width = max(4, len(str(count - 1)))
    names = [f"t{i:0{width}d}" for i in range(count)]
    return [TableDef(name, names[i - 1] if i else name) for i, name in enumerate(names)]


def table_ddl(table: TableDef) -> str:
    """CREATE TABLE, CREATE INDEX and the foreign key for one table, as PostgreSQL DDL.

    No constraint or index is given an explicit name except the secondary
    index, so the primary and foreign key names are the ones PostgreSQL
    generates (and the ones the fingerprint expects).
    """
    cols = ",\n".join(
        f"  {c.name} {c.pg_type}" + (" PRIMARY KEY" if c.name == "id" else "") + ("" if c.nullable or c.name == "id" else " NOT NULL")
        for c in COLUMNS
    )
    return (
        f"CREATE TABLE {table.name} (\n{cols}\n);\n"
        f"CREATE INDEX {table.index} ON {table.name} ({INDEXED_COLUMN});\n"
        f"ALTER TABLE {table.name} ADD FOREIGN KEY ({FK_COLUMN}) REFERENCES {table.parent} (id);\n"
    )


def sqlalchemy_metadata(count: int):
    """A SQLAlchemy ``MetaData`` describing the same ``count`` tables (what an app's models declare)."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql as pg

    type_map = {
        "integer": sa.Integer, "bigint": sa.BigInteger, "text": sa.Text, "boolean": sa.Boolean,
        "timestamp": lambda: sa.TIMESTAMP(timezone=False), "timestamptz": lambda: sa.TIMESTAMP(timezone=True),
        "date": sa.Date, "uuid": pg.UUID, "jsonb": pg.JSONB, "numeric(10,2)": lambda: sa.Numeric(10, 2),
        "varchar(40)": lambda: sa.String(40), "varchar(20)": lambda: sa.String(20),
    }
    metadata = sa.MetaData()
    for table in tables(count):
        columns = []
        for c in COLUMNS:
            args = [c.name, type_map[c.pg_type]()]
            if c.name == FK_COLUMN:
                args.append(sa.ForeignKey(f"{table.parent}.id", name=table.fkey))
            columns.append(sa.Column(*args, nullable=c.nullable, autoincrement=False))
        sa.Table(table.name, metadata, *columns, sa.PrimaryKeyConstraint("id", name=table.pkey), sa.Index(table.index, INDEXED_COLUMN))
    return metadata
