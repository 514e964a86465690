"""``recon report``: commands on report files. ``recon report merge A.json B.json ...`` joins
the ``recon.fleet/v1`` reports of a sharded fleet run into one (read-only, no database)."""

from __future__ import annotations

import click

from .. import report as views
from ..report.files import read_json, write_text
from .options import Options, command, common_options, emit


@click.group(name="report", context_settings={"help_option_names": ["-h", "--help"]})
def report():
    """Work with report files (no database)."""


@command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@common_options("format", "no_color", "debug")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Also write the merged JSON report to FILE.")
@click.option("--partial", is_flag=True, help="Merge even when a shard of the split is missing (the report lists the shards it holds).")
def merge(opts: Options, files: tuple[str, ...], out_file: str | None, partial: bool):
    """Join fleet reports (recon.fleet/v1) of one sharded run; exit code: the worst of all targets."""
    from ..fleet.merge import fleet_report
    from ..fleet.merge import merge as join

    merged = join([(f, fleet_report(read_json(f), f)) for f in files], partial=partial)
    if out_file:
        write_text(out_file, views.to_json(merged.to_dict()))
    if opts.format == "json":
        emit(views.to_json(merged.to_dict()))
    elif opts.format == "markdown":
        emit(views.fleet_markdown(merged))
    elif opts.format == "html":
        emit(views.fleet_html(merged))
    else:
        emit(views.fleet_text(merged, views.Style(opts.color)))
    return merged.exit_code


report.add_command(merge)
