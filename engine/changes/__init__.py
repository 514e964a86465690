"""Stage: the change vocabulary. Takes declared operations (``spec``), gives changes.

One frozen type per operation, by family (``tables``, ``columns``, ``indexes``,
``constraints``, ``rawsql``), on the base in ``base``; ``operations`` builds them
from a unit's operations, ``simstate`` is what they do to a simulated ``SchemaState``.
Every later stage dispatches on these types: the diff asks a change whether its
effect is ``present`` and what it ``simulate``s, the renderer turns it into sqlglot
trees, ``safety`` reads its ``risks``, ``refusals`` says what the server would refuse,
``identifiers`` lists the names it writes, and ``lint`` / ``rollbacks`` are the
warnings ``recon validate`` gives about units.

The vocabulary is importable from here (``from engine.changes import CreateTable``).
"""

from .base import UNSET, Change, ColumnDef, ForeignKey, default_sql, same_default
from .columns import AddColumn, AlterColumn, DropColumn, RenameColumn
from .constraints import AddConstraint, DropConstraint
from .indexes import CreateIndex, DropIndex
from .operations import from_operation
from .rawsql import RawSQL
from .simstate import pk_name, referencing, table_constraints
from .tables import CreateTable, DropTable

__all__ = ["UNSET", "AddColumn", "AddConstraint", "AlterColumn", "Change", "ColumnDef", "CreateIndex", "CreateTable",
           "DropColumn", "DropConstraint", "DropIndex", "DropTable", "ForeignKey", "RawSQL", "RenameColumn", "default_sql",
           "from_operation", "pk_name", "referencing", "same_default", "table_constraints"]
