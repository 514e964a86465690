"""The ``recon`` command line: thin click commands over the Python API.

The group and ``main`` live here; the commands in ``read`` (never write), ``change`` (plan
or change the database), ``approve`` (sign a saved plan) and ``inspect`` (write specs from a live database); the options they share, each command declaring its own, in ``options``.

Each command parses options, calls the API, prints a view from ``report`` and
returns an exit code. ``main`` is the one boundary where a ``ReconError``
becomes a message and its exit code (0 ok, 1 error, 2 differences, 3 refused);
nothing else prints a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import gc
import sys
import traceback

import click

from ..errors import ReconError
from ..target.connection import redact_text
from . import approve, change, init, inspect, read
from . import report as report_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recon", prog_name="recon")
def cli():
    """recon: declarative reconciliation for relational databases."""


for _command in (read.validate, read.audit, read.compare, change.plan, approve.approve, change.apply, change.rollback, read.history, change.repair, read.demo,
                 init.init, inspect.inspect, report_commands.report):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the command, map errors to exit codes, keep passwords out."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    # One short process building large values that live to its end (thousands of checks, columns or rows) and
    # little cyclic garbage: a collection every 100,000 allocations, not 700, spares walking them again and again.
    gc.set_threshold(100_000, 50, 100)
    try:
        code = cli.main(args=args, prog_name="recon", standalone_mode=False)
    except ReconError as exc:
        _fail(redact_text(str(exc)), exc, debug)
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        code = 1
    except click.ClickException as exc:
        exc.show()
        code = 1
    except Exception as exc:  # noqa: BLE001 - the boundary: anything unexpected is exit 1 without a traceback
        _fail(f"internal error: {type(exc).__name__}: {redact_text(str(exc))}", exc, debug)
        code = 1
    gc.freeze()  # the interpreter's last collection would walk every value once more, only to free it at exit
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, exc: BaseException, debug: bool) -> None:
    click.echo(f"error: {message}", err=True)
    if debug:
        click.echo(redact_text("".join(traceback.format_exception(exc))), err=True)
