"""Rendering without a database: expressions keep their meaning across dialects."""

from __future__ import annotations

from engine.changes.constraints import AddConstraint
from engine.changes.indexes import CreateIndex
from engine.inspect.state import Column, SchemaState, Table
from engine.render import renderer_for
from engine.spec.model import ObjectRef, Source

T = ObjectRef(None, "t")


def state(dialect: str) -> SchemaState:
    s = SchemaState(dialect, {"postgresql": "public", "mysql": "db", "sqlite": "main"}[dialect], "10.11.19-MariaDB" if dialect == "mysql" else "")
    s.tables[(s.default_schema, "t")] = Table(s.default_schema, "t", (Column("group", "text", True),))
    return s


def test_check_and_where_are_parsed_in_their_declared_dialect():
    check = AddConstraint("t_group_check", T, "check", check="\"group\" <> ''", unit="u", source=Source("f", 1))
    mysql = renderer_for(state("mysql")).render(check, state("mysql"))
    assert mysql == ["ALTER TABLE `t` ADD CONSTRAINT `t_group_check` CHECK (`group` <> '')"]
    written_in_mysql = AddConstraint("t_group_check", T, "check", check="`group` <> ''", dialect="mysql", unit="u", source=Source("f", 1))
    pg = renderer_for(state("postgresql")).render(written_in_mysql, state("postgresql"))
    assert "\"group\" <> ''" in pg[0]
    index = CreateIndex("t_idx", T, ("group",), where="\"group\" IS NOT NULL", unit="u", source=Source("f", 1))
    assert 'WHERE "group" IS NOT NULL' in renderer_for(state("sqlite")).render(index, state("sqlite"))[0]
