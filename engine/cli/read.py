"""The read-only commands: ``validate``, ``audit``, ``compare``, ``history``, ``demo``.

Thin click commands over the API (``engine.cli`` adds them to its group); none writes to a
target database (``demo`` writes only its own throwaway SQLite files).
"""

from __future__ import annotations

import functools
import os

import click

from .. import report as views
from ..errors import UsageError
from ..report.files import write_text
from .fleet import fleet_options
from .options import NO_HTML, Options, command, common_options, emit, specs_and_url


def offline_options(fn):
    """``--offline``, ``--base FILE`` (repeatable) and ``--dialect``: the schema from DDL files, no database."""

    @click.option("--offline", is_flag=True, help="No database: the schema is the --base DDL files with every migration unit applied.")
    @click.option("--base", "bases", multiple=True, type=click.Path(dir_okay=False), metavar="FILE.sql",
                  help="With --offline: a DDL file the schema starts from (a pg_dump --schema-only, in order; repeatable).")
    @click.option("--dialect", type=click.Choice(["postgresql", "mysql", "mariadb", "sqlite"]), default=None,
                  help="With --offline: the dialect the DDL is in and the catalog spelling the state takes.")
    @functools.wraps(fn)
    def wrapper(*args, offline, bases, dialect, **kwargs):
        if not offline and (bases or dialect):
            raise UsageError(f"{'--base' if bases else '--dialect'} goes with --offline")
        if offline:
            if dialect is None:
                raise UsageError("--offline needs --dialect postgresql|mysql|mariadb|sqlite: the dialect the --base files are written in")
            if kwargs.get("targets_file"):
                raise UsageError("--offline reads no database: drop --targets")
            kwargs["offline"] = (bases, dialect)
        return fn(*args, **kwargs)

    return wrapper


@command()
@common_options("specs", "format", "no_color", "debug", formats=NO_HTML)
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@offline_options
def validate(opts: Options, strict: bool, offline=None):
    """Validate the specs: schema and cross-references, every problem at once; then warnings.
    With --offline, also that every unit applies to the --base schema, in dependency order."""
    from .. import load_specs
    from ..errors import SpecError

    try:
        specs = load_specs(opts.specs)
        applied = _validate_offline(specs, offline) if offline else None
    except SpecError as exc:
        if opts.format == "text":
            raise
        emit(views.validate_markdown(opts.specs, {}, exc.diagnostics, ok=False) if opts.format == "markdown" else
             views.to_json({"ok": False, "specs": opts.specs, "diagnostics": [d.to_dict() for d in exc.diagnostics]}))
        return exc.exit_code
    failed = strict and bool(specs.warnings)
    if opts.format == "json":
        emit(views.to_json({"ok": not failed, "specs": opts.specs, "specs_digest": specs.digest, "counts": _counts(specs),
                             "diagnostics": [d.to_dict() for d in specs.warnings],
                             **({"offline": applied.to_dict()} if applied else {})}))
    elif opts.format == "markdown":
        emit(views.validate_markdown(opts.specs, _counts(specs), specs.warnings))
    else:
        emit(views.validate_text(opts.specs, _counts(specs), specs.warnings, views.Style(opts.color)))
    if applied is not None and opts.format != "json":
        emit(views.offline_validation_text(applied))
    if failed:
        count = len(specs.warnings)
        click.echo(f"error: --strict: {count} warning{'s' if count != 1 else ''} in the specs", err=True)
    return 1 if failed else 0


def _validate_offline(specs, offline):
    from .. import validate_offline

    bases, dialect = offline
    return validate_offline(specs, bases, dialect)


def _counts(specs) -> dict[str, int]:
    return {
        "fingerprints": len(specs.fingerprints), "canaries": len(specs.canaries), "units": len(specs.units),
        "rbac": len(specs.rbac), "seeds": len(specs.seeds), "invariants": len(specs.invariants), "environments": len(specs.environments),
    }


@command()
@common_options("specs", "db", "env", "format", "no_color", "debug")
@click.option("--strict", is_flag=True, help="Exit 2 when any check fails or an applied unit has drifted.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, writable=True), help="Also write the JSON report to FILE.")
@click.option("--fingerprint", "fingerprint", default=None, help="Run only the canaries of this fingerprint.")
@click.option("--ledger-table", default=lambda: os.environ.get("RECON_LEDGER_TABLE"), help="Ledger table read for drift (default recon_ledger, or the environment's ledger_table).")
@click.option("-v", "--verbose", is_flag=True, help="List passing checks too.")
@offline_options
@fleet_options("audit")
def audit(opts: Options, strict: bool, report_file: str | None, fingerprint: str | None, ledger_table: str | None, verbose: bool,
          offline=None):
    """Run fingerprint canaries and invariants read-only, check by check, and report drift of applied units.
    With --offline, the canaries run against the --base DDL files plus every unit, with no database."""
    from .. import audit as run_audit
    from .. import load_specs
    from ..target.connection import resolve_url

    specs = load_specs(opts.specs)
    if offline:
        result = _audit_offline(opts, specs, offline, fingerprint, ledger_table)
    else:
        url = resolve_url(opts.db, opts.env, specs.environments)
        env = next((e for e in specs.environments if e.name == opts.env), None)
        result = run_audit(specs, url, fingerprint=fingerprint, ledger_table=ledger_table or (env.ledger_table if env else None))
    document = views.to_json(result.to_dict()) if report_file or opts.format == "json" else ""  # built once for both
    if report_file:
        write_text(report_file, document)
    if opts.format == "json":
        emit(document)
    elif opts.format == "markdown":
        emit(views.audit_markdown(result))
    elif opts.format == "html":
        emit(views.audit_html(result))
    else:
        emit(views.audit_text(result, views.Style(opts.color), verbose))
    return 2 if strict and (not result.ok or result.drift) else 0


def _audit_offline(opts: Options, specs, offline, fingerprint, ledger_table):
    """``recon audit --offline``: no --db, --env or ledger (there is no database to read)."""
    from .. import audit_offline

    from_line = click.get_current_context().get_parameter_source("ledger_table") == click.core.ParameterSource.COMMANDLINE
    given = [name for name, value in (("--db", opts.db), ("--env", opts.env), ("--ledger-table", ledger_table and from_line)) if value]
    if given:
        raise UsageError(f"--offline reads no database: drop {', '.join(given)}")
    bases, dialect = offline
    return audit_offline(specs, bases, dialect, fingerprint=fingerprint)


@command()
@click.argument("before", type=click.Path(dir_okay=False))
@click.argument("after", type=click.Path(dir_okay=False))
@common_options("format", "no_color", "debug")
def compare(opts: Options, before: str, after: str):
    """Show checks whose status changed between two audit reports; exit 2 on a regression."""
    cmp = views.compare_reports(views.load_audit_report(before), views.load_audit_report(after))
    if opts.format == "json":
        emit(views.to_json(cmp.to_dict()))
    elif opts.format == "markdown":
        emit(views.compare_markdown(cmp))
    elif opts.format == "html":
        emit(views.compare_html(cmp))
    else:
        emit(views.compare_text(cmp, views.Style(opts.color)))
    return 2 if cmp.regressions else 0


@command()
@common_options("no_color", "debug")
@click.option("--dir", "workdir", type=click.Path(file_okay=False), default=None, help="Folder for the demo database and reports (default: a new temporary folder).")
def demo(opts: Options, workdir: str | None):
    """The whole workflow on throwaway SQLite files: the 6/7 incident, a migration, drifted rows."""
    from ..demo import run_demo

    return run_demo(workdir, style=views.Style(opts.color), echo=lambda s: emit(s))



@command()
@common_options("specs", "db", "env", "format", "debug", formats=NO_HTML,
                specs_help="Spec folder, read only with --env (for the environment's URL and ledger table).")
@click.option("--ledger-table", "ledger_option", default=lambda: os.environ.get("RECON_LEDGER_TABLE"), help="Ledger table name (default recon_ledger, or the environment's ledger_table).")
def history(opts: Options, ledger_option):
    """List the ledger: applied, failed and rolled-back units (read-only; needs no specs unless --env)."""
    from ..ledger.history import history as read_history
    from ..ledger.table import DEFAULT_TABLE
    from ..target.connection import resolve_url

    table = ledger_option
    if not opts.env and click.get_current_context().get_parameter_source("specs") == click.core.ParameterSource.COMMANDLINE:
        raise UsageError("history reads --specs only with --env (for the environment's URL and ledger table): drop --specs, or add --env NAME")
    if opts.env:
        specs, url = specs_and_url(opts)
        env = next((e for e in specs.environments if e.name == opts.env), None)
        table = table or (env.ledger_table if env is not None else None)
    else:
        url = resolve_url(opts.db)
    rows = read_history(url, table or DEFAULT_TABLE)
    emit(views.to_json(views.history_json(rows)) if opts.format == "json" else
         views.history_markdown(rows) if opts.format == "markdown" else views.history_text(rows))
    return 0
