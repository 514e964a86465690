"""Rendering: changes -> sqlglot trees -> SQL text for one target dialect.

``renderer_for`` picks the dialect's renderer (MariaDB and MySQL 8 differ in
which guards the server itself can carry); ``Renderer.render`` returns the
statements for one change against the state that precedes it.
"""

from __future__ import annotations

from ..inspect.state import SchemaState
from .base import Renderer
from .mysql import MariaDBRenderer, MySQLRenderer
from .postgresql import PostgresRenderer
from .sqlite import SQLiteRenderer

__all__ = ["Renderer", "renderer_for"]


def renderer_for(state: SchemaState) -> Renderer:
    """The renderer for the database ``state`` was inspected from."""
    if state.dialect == "postgresql":
        return PostgresRenderer()
    if state.dialect == "mysql":
        return MariaDBRenderer() if state.is_mariadb else MySQLRenderer()
    return SQLiteRenderer()
