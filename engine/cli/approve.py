"""``recon approve PLANFILE --key KEY``: sign a saved plan; the signature goes to ``PLANFILE.approvals``.

Thin over ``engine.approve`` (``planning.approvals``); reads and writes files only, never a
database. Whose signature counts is decided where apply runs, by its allowed signers.
"""

from __future__ import annotations

import click

from .. import report as views
from .options import Options, command, common_options, emit


@command(name="approve")
@click.argument("planfile", type=click.Path(dir_okay=False))
@click.option("--key", "key", required=True, type=click.Path(dir_okay=False),
              help="SSH private key to sign with (or its public key, with the private one in ssh-agent).")
@common_options("format", "debug", formats=("text", "json"))
def approve(opts: Options, planfile: str, key: str):
    """Sign PLANFILE's content digest (ssh-keygen -Y sign, namespace recon-plan) into PLANFILE.approvals."""
    from ..planning.approvals import approve as sign_plan

    result = sign_plan(planfile, key)
    emit(views.to_json(result.to_dict()) if opts.format == "json" else views.approve_text(result))
    return 0
