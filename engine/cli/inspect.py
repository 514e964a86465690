"""``recon inspect``: write specs that describe a live database (adopt an existing database).

A thin command over ``engine.inspect_database``; it never writes to the database (one read-only
session, as ``audit`` uses) and writes only into ``--out``.
"""

from __future__ import annotations

import click

from .. import report as views
from .options import NO_HTML, Options, command, common_options, emit


@command()
@common_options("db", "format", "no_color", "debug", formats=NO_HTML)
@click.option("--out", "out", required=True, type=click.Path(), help="Folder the specs are written to (created if missing; "
              "a folder that holds anything is refused unless --force).")
@click.option("--tables", "tables", multiple=True, metavar="GLOB", help="Describe only tables whose name matches GLOB "
              "(fnmatch, case-sensitive; repeatable; default: every table).")
@click.option("--seed", "seeds", multiple=True, metavar="TABLE[:KEY,...]", help="Also write a seed spec of TABLE's current "
              "rows, matched by KEY (default: the primary key; it must be a key the database enforces). Repeatable.")
@click.option("--name", "name", default="inspected", show_default=True, help="Name of the fingerprint written.")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty, replacing the files of the same names "
              "(fingerprint.yaml, seed-TABLE.yaml); other files are left as they are.")
def inspect(opts: Options, out: str, tables: tuple[str, ...], seeds: tuple[str, ...], name: str, force: bool):
    """Write a fingerprint spec of the live schema (and seed specs of chosen tables) into --out; never writes to the database."""
    from .. import inspect_database
    from ..report.inspection import inspect_markdown, inspect_text
    from ..target.connection import resolve_url

    result = inspect_database(resolve_url(opts.db), tables=tables, seeds=seeds, name=name)
    result.write(out, force=force)
    folder = out.rstrip("/") or out
    if opts.format == "json":
        emit(views.to_json({**result.to_dict(), "out": folder}))
    elif opts.format == "markdown":
        emit(inspect_markdown(result, folder))
    else:
        emit(inspect_text(result, folder, views.Style(opts.color)))
    return 0
