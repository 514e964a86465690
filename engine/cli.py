"""The ``recon`` command line: thin click commands over the Python API.

Each command parses options, calls the API, prints a view from ``report`` and
returns an exit code. ``main`` is the one boundary where a ``ReconError``
becomes a message and its exit code (0 ok, 1 error, 2 differences, 3 refused);
nothing else prints a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from dataclasses import dataclass

import click

from . import report as views
from .errors import ReconError
from .files import write_text
from .target import redact_text


@dataclass
class Options:
    """The common options every command accepts after its name."""

    specs: str
    db: str | None
    env: str | None
    format: str
    color: bool
    debug: bool


def common_options(fn):
    """Add --specs, --db, --env, --format, --no-color, --debug and pass them as ``opts``."""

    @click.option("--specs", "specs", default=lambda: os.environ.get("RECON_SPECS", "specs"), show_default="specs or $RECON_SPECS", help="Spec folder or file.")
    @click.option("--db", "db", default=None, help="Target SQLAlchemy URL (else $RECON_DATABASE_URL, else --env).")
    @click.option("--env", "env", default=None, help="Environment from the environments spec that names the target.")
    @click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
    @click.option("--no-color", is_flag=True, help="Never colour text output (NO_COLOR is honoured too).")
    @click.option("--debug", is_flag=True, help="Show a traceback on errors.")
    @functools.wraps(fn)
    def wrapper(specs, db, env, fmt, no_color, debug, **kwargs):
        color = not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()
        return fn(Options(specs, db, env, fmt, color, debug), **kwargs)

    return wrapper


def _emit(text: str) -> None:
    click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recon", prog_name="recon")
def cli():
    """recon: declarative reconciliation for relational databases."""


@cli.command()
@common_options
def validate(opts: Options):
    """Validate the specs: schema and cross-references, every problem at once."""
    from . import load_specs
    from .errors import SpecError

    try:
        specs = load_specs(opts.specs)
    except SpecError as exc:
        if opts.format != "json":
            raise
        diagnostics = [{"file": d.file, "line": d.line, "path": d.path, "message": d.message} for d in exc.diagnostics]
        _emit(views.to_json({"ok": False, "specs": opts.specs, "diagnostics": diagnostics}))
        return exc.exit_code
    counts = {
        "fingerprints": len(specs.fingerprints), "canaries": len(specs.canaries), "units": len(specs.units),
        "rbac": len(specs.rbac), "seeds": len(specs.seeds), "invariants": len(specs.invariants), "environments": len(specs.environments),
    }
    if opts.format == "json":
        _emit(views.to_json({"ok": True, "specs": opts.specs, "specs_digest": specs.digest, "counts": counts, "diagnostics": []}))
    else:
        _emit(f"specs valid: {opts.specs} (" + ", ".join(f"{v} {k}" for k, v in counts.items() if v) + ")\n")
    return 0


@cli.command()
@common_options
@click.option("--strict", is_flag=True, help="Exit 2 when any check fails.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, writable=True), help="Also write the JSON report to FILE.")
@click.option("--fingerprint", "fingerprint", default=None, help="Run only the canaries of this fingerprint.")
@click.option("-v", "--verbose", is_flag=True, help="List passing checks too.")
def audit(opts: Options, strict: bool, report_file: str | None, fingerprint: str | None, verbose: bool):
    """Run fingerprint canaries and invariants read-only, check by check."""
    from . import audit as run_audit, load_specs
    from .target import resolve_url

    specs = load_specs(opts.specs)
    url = resolve_url(opts.db, opts.env, specs.environments)
    result = run_audit(specs, url, fingerprint=fingerprint)
    if report_file:
        write_text(report_file, views.to_json(result.to_dict()))
    if opts.format == "json":
        _emit(views.to_json(result.to_dict()))
    elif opts.format == "markdown":
        _emit(views.audit_markdown(result))
    else:
        _emit(views.audit_text(result, views.Style(opts.color), verbose))
    return 2 if strict and not result.ok else 0


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


def change_options(fn):
    """Options shared by the commands that plan or change the database."""

    @click.option("--mode", type=click.Choice(["apply", "detect-only"]), default=None, help="detect-only refuses apply and rollback (else $RECON_MODE, else the environment's mode).")
    @click.option("--ledger-table", default=lambda: os.environ.get("RECON_LEDGER_TABLE"), help="Ledger table name (default recon_ledger, or the environment's ledger_table).")
    @functools.wraps(fn)
    def wrapper(*args, mode, ledger_table, **kwargs):
        return fn(*args, mode_option=mode, ledger_option=ledger_table, **kwargs)

    return wrapper


@dataclass
class Context:
    """Specs, target URL, mode and ledger table resolved once for a changing command."""

    specs: object
    url: str
    mode: str
    ledger_table: str
    environment: object = None

    @property
    def lock_timeout(self) -> str | None:
        """The selected environment's default lock timeout, if any."""
        return getattr(self.environment, "lock_timeout", None)


def _context(opts: Options, mode_option: str | None, ledger_option: str | None) -> Context:
    from . import load_specs
    from .ledger import DEFAULT_TABLE
    from .target import resolve_url

    specs = load_specs(opts.specs)
    env = next((e for e in specs.environments if e.name == opts.env), None) if opts.env else None
    url = resolve_url(opts.db, opts.env, specs.environments)
    # The strictest wins: an environment in detect-only stays so whatever the option or variable say.
    asked = [m for m in (mode_option, os.environ.get("RECON_MODE"), env.mode if env else None) if m]
    mode = "detect-only" if "detect-only" in asked else (asked[0] if asked else "apply")
    if mode not in ("apply", "detect-only"):
        from .errors import UsageError

        raise UsageError(f"unknown mode {mode!r} (apply or detect-only)")
    table = ledger_option or (env.ledger_table if env and env.ledger_table else DEFAULT_TABLE)
    return Context(specs, url, mode, table, env)


def _skip_seeding() -> bool:
    return os.environ.get("RECON_SKIP_SEEDING", "").lower() in ("1", "true", "yes")


@cli.command()
@common_options
@change_options
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write the plan file (recon.plan/v1) for `recon apply FILE`.")
@click.option("--scope", type=click.Choice(["schema", "seed", "all"]), default="all", show_default=True)
@click.option("--skip-seeding", is_flag=True, help="Leave seed-scope work out (also RECON_SKIP_SEEDING=true).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes to apply.")
@click.option("--strict", is_flag=True, help="An applied unit whose spec changed is an error, not a warning.")
@click.option("-v", "--verbose", is_flag=True, help="List every row of a row action, not only the first ones.")
def plan(opts: Options, mode_option, ledger_option, out_file, scope, skip_seeding, detailed_exitcode, strict, verbose):
    """Show what apply would do (read-only): units, changes, SQL, safety codes."""
    from .planner import make_plan

    ctx = _context(opts, mode_option, ledger_option)
    if skip_seeding or _skip_seeding():
        if scope == "seed":
            from .errors import UsageError

            raise UsageError("--scope seed with seeding skipped plans nothing: drop one of them")
        scope = "schema"
    result = make_plan(ctx.specs, ctx.url, scope=scope, strict=strict, ledger_table=ctx.ledger_table, mode=ctx.mode, lock_timeout=ctx.lock_timeout)
    _show_plan(opts, result, verbose)
    if out_file:
        write_text(out_file, views.to_json(result.to_dict()))
        if opts.format == "text":
            _emit(f"\nSaved the plan to {out_file}. Apply exactly this plan with: recon apply {out_file}\n")
    return 2 if detailed_exitcode and not result.empty else 0


def _show_plan(opts: Options, result, verbose: bool = False) -> None:
    if opts.format == "json":
        _emit(views.to_json(result.to_dict()))
    elif opts.format == "markdown":
        _emit(views.plan_markdown(result))
    else:
        _emit(views.plan_text(result, views.Style(opts.color), verbose))


def _confirm(auto_approve: bool, what: str) -> None:
    from .errors import SafetyRefusal

    if auto_approve:
        return
    if not sys.stdin.isatty():
        hint = " or save a plan with `recon plan --out FILE` and apply that file" if what.startswith("apply") else ""
        raise SafetyRefusal(f"{what} needs confirmation and there is no terminal: pass --auto-approve{hint}")
    if not click.confirm(f"Do you want to {what}?", default=False):
        raise SafetyRefusal(f"{what}: not confirmed, nothing was executed")


def _run_apply(opts: Options, ctx: Context, the_plan, allow_destructive: bool, confirm: str | None = None,
               auto_approve: bool = False) -> int:
    """Gates first (so nobody confirms what will be refused), then confirmation, then apply."""
    from . import gates
    from .applier import ApplyError, apply as run_apply, check_gates
    from .target import make_target

    check_gates(the_plan, make_target(ctx.url), mode=ctx.mode, allow_destructive=allow_destructive)
    gates.check(the_plan, ctx.environment, ctx.specs.environments)
    if confirm:
        _confirm(auto_approve, confirm)

    style = views.Style(opts.color)
    echo = (lambda o: None) if opts.format == "json" else (lambda o: _emit(views.outcome_line(o, style) + "\n"))
    try:
        report = run_apply(the_plan, ctx.url, specs=ctx.specs, allow_destructive=allow_destructive, mode=ctx.mode, echo=echo)
    except ApplyError as exc:
        if opts.format == "json":
            _emit(views.to_json(exc.report.to_dict()))
        else:  # the audits ran after the failure too: show where the database stands
            _emit(views.apply_text(exc.report, style, units=False))
        raise
    if opts.format == "json":
        _emit(views.to_json(report.to_dict()))
    else:
        _emit(views.apply_text(report, style, units=False))
    return 0


@cli.command()
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@common_options
@change_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking (only without PLANFILE).")
@click.option("--allow-destructive", is_flag=True, help="Allow every destructive safety code.")
@click.option("--skip-seeding", is_flag=True, help="Leave seed-scope work out (also RECON_SKIP_SEEDING=true).")
def apply(opts: Options, mode_option, ledger_option, planfile, auto_approve, allow_destructive, skip_seeding):
    """Execute a saved plan exactly, or plan, show and ask."""
    from .errors import UsageError
    from .planner import load_plan, make_plan

    ctx = _context(opts, mode_option, ledger_option)
    skip = skip_seeding or _skip_seeding()
    if planfile:
        the_plan = load_plan(planfile)
        if skip and any(u.scope == "seed" for u in the_plan.units):
            raise UsageError(f"{planfile} includes seed-scope units and seeding is skipped: make the plan with --skip-seeding")
        asked = ledger_option or (ctx.environment.ledger_table if ctx.environment is not None else None)
        if asked and asked != the_plan.ledger_table:
            raise UsageError(f"{planfile} records its run in {the_plan.ledger_table}, not {asked}: make the plan with --ledger-table {asked}")
        return _run_apply(opts, ctx, the_plan, allow_destructive)
    the_plan = make_plan(ctx.specs, ctx.url, ledger_table=ctx.ledger_table, mode=ctx.mode, lock_timeout=ctx.lock_timeout,
                         scope="schema" if skip else "all")
    if opts.format != "json":  # with json, stdout holds one document: the apply report (it names the plan)
        _show_plan(opts, the_plan)
    if the_plan.empty:
        if opts.format == "json":
            from .applier import ApplyReport
            from .target import make_target

            _emit(views.to_json(ApplyReport(the_plan.plan_id, make_target(ctx.url).display_url).to_dict()))
        return 0
    return _run_apply(opts, ctx, the_plan, allow_destructive, confirm="apply this plan", auto_approve=auto_approve)


@cli.command()
@click.argument("unit_id", required=False)
@common_options
@change_options
@click.option("--last", is_flag=True, help="Roll back the most recently applied unit.")
@click.option("--auto-approve", is_flag=True, help="Roll back without asking.")
@click.option("--allow-destructive", is_flag=True, help="Allow every destructive safety code.")
def rollback(opts: Options, mode_option, ledger_option, unit_id, last, auto_approve, allow_destructive):
    """Plan a unit's rollback operations, show them, and apply them under the same gates."""
    from .errors import UsageError
    from .planner import make_plan

    ctx = _context(opts, mode_option, ledger_option)
    rows = _ledger_rows(ctx)
    from .ledger import SPEC_RUN_PREFIXES, applied

    done = {u: r for u, r in applied(rows).items() if not u.startswith(SPEC_RUN_PREFIXES)}  # seed and rbac runs have no rollback
    if last == bool(unit_id):
        raise UsageError("name one unit to roll back, or pass --last")
    if last:
        if not done:
            raise UsageError("nothing to roll back: no unit is applied")
        unit_id = max(done.values(), key=lambda r: r.seq).unit
    unit = next((u for u in ctx.specs.units if u.id == unit_id), None)
    if unit is None and unit_id.startswith(SPEC_RUN_PREFIXES):
        raise UsageError(f"{unit_id} is a {unit_id.split(':')[0]} spec: it has no rollback. Change its rows in the spec and apply again")
    if unit is None:
        raise UsageError(f"unknown unit {unit_id!r}")
    if unit_id not in done:
        raise UsageError(f"unit {unit_id} is not applied (ledger: {rows and next((r.status for r in reversed(rows) if r.unit == unit_id), 'never applied') or 'empty'})")
    if not unit.rollback:
        raise UsageError(f"unit {unit_id} declares no rollback operations")
    dependents = [u.id for u in ctx.specs.units if unit_id in u.depends_on and u.id in done]
    if dependents:
        from .errors import SafetyRefusal

        raise SafetyRefusal(f"cannot roll back {unit_id}: applied units depend on it: {', '.join(dependents)} (roll those back first)")
    the_plan = make_plan(ctx.specs, ctx.url, ledger_table=ctx.ledger_table, mode=ctx.mode, rollback=(unit,), lock_timeout=ctx.lock_timeout)
    if opts.format != "json":  # with json, stdout holds one document: the apply report
        _show_plan(opts, the_plan)
    if unit.rollback_notes and opts.format == "text":
        _emit(f"\nrollback notes: {unit.rollback_notes}\n")
    return _run_apply(opts, ctx, the_plan, allow_destructive, confirm=f"roll back {unit_id}", auto_approve=auto_approve)


def _ledger_rows(ctx: Context) -> list:
    from .history import history

    return history(ctx.url, ctx.ledger_table)


@cli.command()
@common_options
@click.option("--ledger-table", "ledger_option", default=lambda: os.environ.get("RECON_LEDGER_TABLE"), help="Ledger table name (default recon_ledger, or the environment's ledger_table).")
def history(opts: Options, ledger_option):
    """List the ledger: applied, failed and rolled-back units (read-only; needs no specs unless --env)."""
    from pathlib import Path

    from .ledger import DEFAULT_TABLE
    from .target import resolve_url

    if opts.env or Path(opts.specs).exists():
        ctx = _context(opts, None, ledger_option)
    else:
        ctx = Context(None, resolve_url(opts.db), "apply", ledger_option or DEFAULT_TABLE)
    rows = _ledger_rows(ctx)
    if opts.format == "json":
        _emit(views.to_json(views.history_json(rows)))
    else:
        _emit(views.history_text(rows))
    return 0


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
