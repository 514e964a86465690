"""The ``recon`` command line: thin click commands over the Python API.

Each command parses options, calls the API, prints a view from ``report`` and
returns an exit code. ``main`` is the one boundary where a ``ReconError``
becomes a message and its exit code (0 ok, 1 error, 2 differences, 3 refused);
nothing else prints a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from . import commands
from . import report as views
from .commands import Options, _emit, common_options
from .errors import ReconError
from .report.files import write_text
from .target.connection import redact_text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recon", prog_name="recon")
def cli():
    """recon: declarative reconciliation for relational databases."""


@cli.command()
@common_options
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
def validate(opts: Options, strict: bool):
    """Validate the specs: schema and cross-references, every problem at once; then warnings."""
    from . import load_specs
    from .errors import SpecError

    try:
        specs = load_specs(opts.specs)
    except SpecError as exc:
        if opts.format != "json":
            raise
        _emit(views.to_json({"ok": False, "specs": opts.specs, "diagnostics": [d.to_dict() for d in exc.diagnostics]}))
        return exc.exit_code
    failed = strict and bool(specs.warnings)
    if opts.format == "json":
        _emit(views.to_json({"ok": not failed, "specs": opts.specs, "specs_digest": specs.digest, "counts": _counts(specs),
                             "diagnostics": [d.to_dict() for d in specs.warnings]}))
    else:
        _emit(views.validate_text(opts.specs, _counts(specs), specs.warnings, views.Style(opts.color)))
    if failed:
        count = len(specs.warnings)
        click.echo(f"error: --strict: {count} warning{'s' if count != 1 else ''} in the specs", err=True)
    return 1 if failed else 0


def _counts(specs) -> dict[str, int]:
    return {
        "fingerprints": len(specs.fingerprints), "canaries": len(specs.canaries), "units": len(specs.units),
        "rbac": len(specs.rbac), "seeds": len(specs.seeds), "invariants": len(specs.invariants), "environments": len(specs.environments),
    }


@cli.command()
@common_options
@click.option("--strict", is_flag=True, help="Exit 2 when any check fails or an applied unit has drifted.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, writable=True), help="Also write the JSON report to FILE.")
@click.option("--fingerprint", "fingerprint", default=None, help="Run only the canaries of this fingerprint.")
@click.option("--ledger-table", default=lambda: os.environ.get("RECON_LEDGER_TABLE"), help="Ledger table read for drift (default recon_ledger, or the environment's ledger_table).")
@click.option("-v", "--verbose", is_flag=True, help="List passing checks too.")
def audit(opts: Options, strict: bool, report_file: str | None, fingerprint: str | None, ledger_table: str | None, verbose: bool):
    """Run fingerprint canaries and invariants read-only, check by check, and report drift of applied units."""
    from . import audit as run_audit
    from . import load_specs
    from .target.connection import resolve_url

    specs = load_specs(opts.specs)
    url = resolve_url(opts.db, opts.env, specs.environments)
    env = next((e for e in specs.environments if e.name == opts.env), None)
    result = run_audit(specs, url, fingerprint=fingerprint, ledger_table=ledger_table or (env.ledger_table if env else None))
    if report_file:
        write_text(report_file, views.to_json(result.to_dict()))
    if opts.format == "json":
        _emit(views.to_json(result.to_dict()))
    elif opts.format == "markdown":
        _emit(views.audit_markdown(result))
    else:
        _emit(views.audit_text(result, views.Style(opts.color), verbose))
    return 2 if strict and (not result.ok or result.drift) else 0


@cli.command()
@click.argument("before", type=click.Path(dir_okay=False))
@click.argument("after", type=click.Path(dir_okay=False))
@common_options
def compare(opts: Options, before: str, after: str):
    """Show checks whose status changed between two audit reports; exit 2 on a regression."""
    cmp = views.compare(views.load_audit_report(before), views.load_audit_report(after))
    if opts.format == "json":
        _emit(views.to_json(cmp.to_dict()))
    elif opts.format == "markdown":
        _emit(views.compare_markdown(cmp))
    else:
        _emit(views.compare_text(cmp, views.Style(opts.color)))
    return 2 if cmp.regressions else 0


@cli.command()
@common_options
@click.option("--dir", "workdir", type=click.Path(file_okay=False), default=None, help="Folder for the demo database and reports (default: a new temporary folder).")
def demo(opts: Options, workdir: str | None):
    """The whole workflow on throwaway SQLite files: the 6/7 incident, a migration, drifted rows."""
    from .demo import run_demo

    return run_demo(workdir, style=views.Style(opts.color), echo=lambda s: _emit(s))


for _command in (commands.plan, commands.apply, commands.rollback, commands.history, commands.repair):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the command, map errors to exit codes, keep passwords out."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
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
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, exc: BaseException, debug: bool) -> None:
    click.echo(f"error: {message}", err=True)
    if debug:
        click.echo(redact_text("".join(traceback.format_exception(exc))), err=True)
