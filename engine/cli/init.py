"""``recon init``: scaffold a spec folder with a commented example of every kind.

Thin over ``engine.spec.scaffold.init_specs``; writes files only, never to a database.
"""

from __future__ import annotations

import click

from .options import Options, command, common_options


@command(name="init")
@click.argument("directory", required=False, default="specs", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Write into a folder that is not empty, replacing files of the same names.")
@click.option("--schemas-only", is_flag=True, help="Write only the JSON Schemas (DIR/.schemas/), e.g. to refresh them after an upgrade.")
@common_options("debug")
def init(opts: Options, directory: str, force: bool, schemas_only: bool):
    """Write a commented example of every spec kind into DIR (default: specs), and the schemas editors read."""
    from ..spec.scaffold import init_specs

    result = init_specs(directory, force=force, schemas_only=schemas_only)
    specs, schemas = result.specs, result.schemas
    what = f"{len(specs)} spec files and {len(schemas)} schemas" if specs else f"{len(schemas)} schemas"
    click.echo(f"recon init: wrote {what} to {result.root}")
    for item in result.files:
        click.echo(f"  {item.path}  ({item.holds}{', replaced' if item.replaced else ''})")
    if specs:
        click.echo(f"next: recon validate --specs {result.root}; each file's first lines name its schema "
                   "for the YAML extension of VS Code and JetBrains IDEs")
    return 0
