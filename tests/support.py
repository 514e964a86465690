"""Helpers the CLI tests share: writing spec files, planning as JSON, setup SQL per dialect."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

# Variables recon reads: cleared for every test (conftest), and for subprocesses that run recon.
RECON_VARIABLES = ("RECON_DATABASE_URL", "RECON_MODE", "RECON_SPECS", "RECON_SKIP_SEEDING", "RECON_LEDGER_TABLE",
                   "RECON_ALLOWED_SIGNERS")


def write(folder: Path, name: str, text: str) -> None:
    """Write ``folder/name.yaml`` from an indented literal."""
    (folder / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def plan_json(recon, specs, db, *extra) -> dict:
    """``recon plan --format json`` on ``db``; the plan must succeed."""
    code, out, err = recon("plan", "--specs", specs, "--db", db.url, "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


def dialect_sql(db, script: str) -> str:
    """A setup script written with double-quoted identifiers, in ``db``'s quoting."""
    script = textwrap.dedent(script).strip()
    return script.replace('"', "`") if db.dialect == "mysql" else script


def row_changes(plan: dict, unit: str | None = None) -> list[tuple]:
    """Every row a plan's row actions change, in plan order: ``(op, table, row values)``."""
    return [(a["op"], a["object"], tuple(r)) for a in plan["actions"]
            if a.get("batch") and (unit is None or a["unit"] == unit) for r in a["rows"]]


def stored_rows(db, sql: str) -> list[tuple]:
    """The rows ``sql`` reads from ``db`` (setup SQL of the test: plain text, nothing bound)."""
    eng = db.engine()
    try:
        with eng.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        eng.dispose()


def ledger_rows(db, table: str = "recon_ledger") -> list[tuple]:
    """``(unit, status, statements)`` of every row of ``db``'s ledger, in the order they were written."""
    return stored_rows(db, f"SELECT unit, status, statements FROM {table} ORDER BY seq")


def apply_ok(recon, specs, db, *extra) -> str:
    """``recon apply --auto-approve`` of ``specs`` on ``db``; it must succeed."""
    code, out, err = recon("apply", "--specs", specs, "--db", db.url, "--auto-approve", *extra)
    assert code == 0, err
    return out


def inspected(db):
    """The live schema of ``db`` as recon inspects it."""
    from engine.inspect import inspect_schema
    from engine.target.connection import make_target, read_only_connection

    with read_only_connection(make_target(db.url)) as conn:
        return inspect_schema(conn)


def recon_bin() -> str:
    """The installed ``recon`` console script (the one beside this interpreter when not on PATH)."""
    import shutil
    import sys

    return shutil.which("recon") or str(Path(sys.executable).parent / "recon")
