"""The commands that plan or change the database: ``plan``, ``apply``, ``rollback``, ``repair``.

Thin click commands over the API (``engine.cli`` adds them to its group). A saved plan is the whole input
of ``apply PLANFILE``: no spec folder is read, the URL comes from ``--db``,
``RECON_DATABASE_URL`` or the plan's environment, and the gates are the plan's.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import click

from .. import report as views
from ..errors import SafetyRefusal, UsageError
from ..report.files import write_text
from .fleet import fleet_options
from .options import (
    NO_HTML,
    Options,
    apply_options,
    change_options,
    command,
    common_options,
    emit,
    mode_of,
    seeding_skipped,
    selection_options,
    specs_and_url,
)


@command()
@common_options()
@change_options
@click.option("--no-env", is_flag=True, help="Plan outside every environment (where the specs declare some); the plan says so.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write the plan file (recon.plan/v1) for `recon apply FILE`.")
@click.option("--scope", type=click.Choice(["schema", "seed", "all"]), default="all", show_default=True)
@click.option("--skip-seeding", is_flag=True, help="Leave seed-scope work out (also RECON_SKIP_SEEDING=true).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes to apply.")
@click.option("--strict", is_flag=True, help="An applied unit whose spec changed, or whose effect drifted from the live schema, is an error (exit 1), not a warning.")
@click.option("-v", "--verbose", is_flag=True, help="List every row of a row action, not only the first ones.")
@fleet_options("plan")
@selection_options
def plan(opts: Options, mode_option, ledger_option, no_env, out_file, scope, skip_seeding, detailed_exitcode, strict, verbose,
         units, exclude):
    """Show what apply would do (read-only): units, changes, SQL, safety codes, the gates apply checks."""
    from ..planning.planner import make_plan

    specs, url = specs_and_url(opts)
    if seeding_skipped(skip_seeding):
        if scope == "seed":
            raise UsageError("--scope seed with seeding skipped plans nothing: drop one of them")
        scope = "schema"
    result = make_plan(specs, url, scope=scope, strict=strict, ledger_table=ledger_option, mode=mode_of(mode_option),
                       environment=opts.env, no_env=no_env, units=units, exclude=exclude)
    document = views.to_json(result.to_dict()) if out_file or opts.format == "json" else ""  # built once for both
    _show_plan(opts, result, verbose, document)
    if out_file:
        write_text(out_file, document)
        if opts.format == "text":
            emit("\n" + views.next_step(result, out_file, url_given=bool(opts.db)) + "\n")
    return 2 if detailed_exitcode and not result.empty else 0


def _show_plan(opts: Options, result, verbose: bool = False, document: str = "") -> None:
    if opts.format == "json":
        emit(document or views.to_json(result.to_dict()))
    elif opts.format == "markdown":
        emit(views.plan_markdown(result))
    elif opts.format == "html":
        emit(views.plan_html(result))
    else:
        emit(views.plan_text(result, views.Style(opts.color), verbose))


def _confirm(auto_approve: bool, what: str) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        hint = " or save a plan with `recon plan --out FILE` and apply that file" if what.startswith("apply") else ""
        raise SafetyRefusal(f"{what} needs confirmation and there is no terminal: pass --auto-approve{hint}")
    if not click.confirm(f"Do you want to {what}?", default=False):
        raise SafetyRefusal(f"{what}: not confirmed, nothing was executed")


ONE_DOCUMENT = ("json", "html")  # formats whose stdout is one document: the apply report (the html one holds the plan)


def _run_apply(opts: Options, the_plan, url: str, mode: str, allow_destructive: bool, *, environment=None, override=None,
               actor=None, confirm: str | None = None, auto_approve: bool = False, allowed_signers=None, approval=None,
               refresh: bool = False) -> int:
    """Gates first (so nobody confirms what will be refused), then confirmation, then apply,
    which checks the gates itself. A refusal is also a document on stdout in json and html."""
    from ..applying.applier import check_gates

    with _refusal_as_document(opts, the_plan):
        if confirm:
            approval = check_gates(the_plan, mode=mode, allow_destructive=allow_destructive, environment=environment,
                                   override_reason=override, allowed_signers=allowed_signers)
            _confirm(auto_approve, confirm)
        return _apply_now(opts, the_plan, url, mode, allow_destructive, environment=environment, override=override, actor=actor,
                          allowed_signers=allowed_signers, approval=approval, refresh=refresh)


def _apply_now(opts: Options, the_plan, url: str, mode: str, allow_destructive: bool, *, environment, override, actor,
               allowed_signers=None, approval=None, refresh: bool = False) -> int:
    """Apply, printing the report in the asked format (also when a unit fails)."""
    from ..applying.applier import ApplyError
    from ..applying.applier import apply as run_apply
    from ..report.progress import TerminalProgress

    style = views.Style(opts.color)
    echo = (lambda o: emit(views.outcome_line(o, style) + "\n")) if opts.format == "text" else (lambda o: None)
    progress = TerminalProgress(sys.stderr, tty=sys.stderr.isatty())  # silent unless stderr is a terminal
    try:
        report = run_apply(the_plan, url, allow_destructive=allow_destructive, mode=mode, environment=environment, echo=echo,
                           override_reason=override, actor=actor, progress=progress, allowed_signers=allowed_signers, approval=approval,
                           refresh=refresh)
    except ApplyError as exc:
        emit(_apply_view(opts, exc.report, the_plan, style))
        raise
    finally:
        progress.idle()
    emit(_apply_view(opts, report, the_plan, style))
    return 0


@contextmanager
def _refusal_as_document(opts: Options, the_plan):
    """With a one-document format (json, html), a gate's refusal (exit 3) is still one apply report on
    stdout, ``refused: true`` with the reason, so a pipeline reading stdout sees why; then it is raised."""
    try:
        yield
    except SafetyRefusal as exc:
        if opts.format in ONE_DOCUMENT:
            from ..applying.applier import ApplyReport

            refused = ApplyReport(the_plan.plan_id, the_plan.target, error=f"refused: {exc}", refused=True)  # approvals: in the error
            emit(_apply_view(opts, refused, the_plan, views.Style(opts.color)))
        raise


def _apply_view(opts: Options, report, the_plan, style) -> str:
    """The apply report in the asked format (text: the units were printed as they ran)."""
    if opts.format == "json":
        return views.to_json(report.to_dict())
    if opts.format == "markdown":
        return views.apply_markdown(report)
    if opts.format == "html":
        return views.apply_html(report, the_plan)
    return views.apply_text(report, style, units=False)


def _plan_url(opts: Options, the_plan, planfile: str) -> str:
    """``--db``, else ``RECON_DATABASE_URL``, else the plan's environment's variable."""
    from ..target.connection import resolve_url

    if opts.db or os.environ.get("RECON_DATABASE_URL"):
        return resolve_url(opts.db)
    var = the_plan.gates.database_url_env
    if var and os.environ.get(var):
        return os.environ[var]
    where = f"${var} (environment {the_plan.gates.environment}) is not set" if var else "the plan names no environment"
    raise UsageError(f"no target database for {planfile}: {where}; give --db URL or set RECON_DATABASE_URL")


def _apply_file(opts: Options, planfile: str, mode_option, ledger_option, skip: bool, **kwargs) -> int:
    from ..report.files import load_plan

    if click.get_current_context().get_parameter_source("specs") == click.core.ParameterSource.COMMANDLINE:
        raise UsageError(f"{planfile} carries its specs (its audits and gates): apply reads no spec folder, drop --specs")
    the_plan = load_plan(planfile)
    if skip and any(u.scope == "seed" for u in the_plan.units):
        raise UsageError(f"{planfile} includes seed-scope units and seeding is skipped: make the plan with --skip-seeding")
    if ledger_option and ledger_option != the_plan.ledger_table:
        raise UsageError(f"{planfile} records its run in {the_plan.ledger_table}, not {ledger_option}: make the plan with --ledger-table {ledger_option}")
    from ..applying.applier import check_gates

    mode = mode_of(mode_option)
    with _refusal_as_document(opts, the_plan):
        approval = check_gates(the_plan, mode=mode, allow_destructive=kwargs["allow_destructive"], environment=opts.env,
                               override_reason=kwargs["override"], allowed_signers=kwargs["allowed_signers"])  # a refusal needs no URL
    return _run_apply(opts, the_plan, _plan_url(opts, the_plan, planfile), mode, environment=opts.env, approval=approval, **kwargs)


@command()
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@common_options(specs_help="Spec folder, read only without PLANFILE (a saved plan carries its audits and gates).")
@change_options
@apply_options
@click.option("--no-env", is_flag=True, help="Without PLANFILE: plan outside every environment.")
@click.option("--skip-seeding", is_flag=True, help="Leave seed-scope work out (also RECON_SKIP_SEEDING=true).")
@click.option("--allowed-signers", "allowed_signers", type=click.Path(dir_okay=False), default=None,
              help="ssh-keygen allowed-signers file (else $RECON_ALLOWED_SIGNERS): with one, a plan needs valid signed approvals "
                   "(recon approve) of distinct principals in it.")
@click.option("--refresh", is_flag=True,
              help="Read under the lock every table a canary names, and audit before on them all (default: a canary of a table "
                   "the plan does not touch keeps the outcome the plan read).")
@fleet_options("apply")
@selection_options
def apply(opts: Options, mode_option, ledger_option, planfile, auto_approve, allow_destructive, override, actor, no_env, skip_seeding,
          allowed_signers, refresh, units, exclude):
    """Execute a saved plan exactly (it carries its gates and audits), or plan, show and ask."""
    skip = seeding_skipped(skip_seeding)
    common = {"allow_destructive": allow_destructive, "override": override, "actor": actor, "allowed_signers": allowed_signers,
              "refresh": refresh}
    if planfile and (units or exclude):
        raise UsageError(f"{planfile} carries its selection: make the plan with --unit/--exclude, then apply the file")
    if planfile and no_env:
        raise UsageError(f"{planfile} carries the environment it was made for (or none): --no-env goes with planning, drop it")
    if planfile:
        return _apply_file(opts, planfile, mode_option, ledger_option, skip, **common)
    from ..planning.planner import make_plan  # here: applying a saved plan does without the planner

    specs, url = specs_and_url(opts)
    mode = mode_of(mode_option)
    the_plan = make_plan(specs, url, ledger_table=ledger_option, mode=mode, environment=opts.env, no_env=no_env,
                         scope="schema" if skip else "all", units=units, exclude=exclude)
    if opts.format not in ONE_DOCUMENT:
        _show_plan(opts, the_plan)
    if the_plan.empty:
        if opts.format in ONE_DOCUMENT:
            from ..applying.applier import ApplyReport

            emit(_apply_view(opts, ApplyReport(the_plan.plan_id, the_plan.target), the_plan, None))
        return 0
    return _run_apply(opts, the_plan, url, mode, environment=opts.env, confirm="apply this plan", auto_approve=auto_approve, **common)


@command()
@click.argument("unit_id", required=False)
@common_options()
@change_options
@apply_options
@click.option("--last", is_flag=True, help="Roll back the most recently applied unit.")
@click.option("--no-env", is_flag=True, help="Plan the rollback outside every environment.")
def rollback(opts: Options, mode_option, ledger_option, unit_id, last, auto_approve, allow_destructive, override, actor, no_env):
    """Plan a unit's rollback operations, show them, and apply them under the same gates."""
    from ..planning.planner import make_plan

    specs, url = specs_and_url(opts)
    env = next((e for e in specs.environments if e.name == opts.env), None)
    table = ledger_option or (env.ledger_table if env is not None and env.ledger_table else None)
    unit = _rollback_unit(specs, url, table, unit_id, last)
    mode = mode_of(mode_option)
    the_plan = make_plan(specs, url, ledger_table=table, mode=mode, rollback=(unit,), environment=opts.env, no_env=no_env)
    if opts.format not in ONE_DOCUMENT:
        _show_plan(opts, the_plan)
    if unit.rollback_notes and opts.format == "text":
        emit(f"\nrollback notes: {unit.rollback_notes}\n")
    return _run_apply(opts, the_plan, url, mode, environment=opts.env, confirm=f"roll back {unit.id}", auto_approve=auto_approve,
                      allow_destructive=allow_destructive, override=override, actor=actor)


def _rollback_unit(specs, url: str, table: str | None, unit_id: str | None, last: bool):
    """The unit to roll back, refusing what has no rollback or what applied units depend on."""
    from ..ledger.history import history
    from ..ledger.table import DEFAULT_TABLE, SPEC_RUN_PREFIXES, applied

    rows = history(url, table or DEFAULT_TABLE)
    done = {u: r for u, r in applied(rows).items() if not u.startswith(SPEC_RUN_PREFIXES)}  # seed and rbac runs have no rollback
    if last == bool(unit_id):
        raise UsageError("name one unit to roll back, or pass --last")
    if last:
        if not done:
            raise UsageError("nothing to roll back: no unit is applied")
        unit_id = max(done.values(), key=lambda r: r.seq).unit
    unit = next((u for u in specs.units if u.id == unit_id), None)
    if unit is None and unit_id.startswith(SPEC_RUN_PREFIXES):
        raise UsageError(f"{unit_id} is a {unit_id.split(':')[0]} spec: it has no rollback. Change its rows in the spec and apply again")
    if unit is None:
        raise UsageError(f"unknown unit {unit_id!r}")
    if unit_id not in done:
        raise UsageError(f"unit {unit_id} is not applied (ledger: {rows and next((r.status for r in reversed(rows) if r.unit == unit_id), 'never applied') or 'empty'})")
    if not unit.rollback:
        raise UsageError(f"unit {unit_id} declares no rollback operations")
    dependents = [u.id for u in specs.units if unit_id in u.depends_on and u.id in done]
    if dependents:
        raise SafetyRefusal(f"cannot roll back {unit_id}: applied units depend on it: {', '.join(dependents)} (roll those back first)")
    return unit


@command()
@click.argument("unit_id")
@common_options("specs", "db", "env", "format", "debug", formats=NO_HTML)
@change_options
@click.option("--reason", default=None, help="Why the drift is accepted (required; recorded in the ledger).")
@click.option("--actor", default=lambda: os.environ.get("RECON_ACTOR"), help="Who accepts it, for the ledger (else $RECON_ACTOR, else user@host).")
def repair(opts: Options, mode_option, ledger_option, unit_id, reason, actor):
    """Accept an applied unit's drift (its live state, its changed spec) in the ledger; plan and audit stop reporting it."""
    from ..applying.repairs import repair as run_repair

    specs, url = specs_and_url(opts)
    env = next((e for e in specs.environments if e.name == opts.env), None)
    table = ledger_option or (env.ledger_table if env is not None else None)
    mode = "detect-only" if env is not None and env.mode == "detect-only" else mode_of(mode_option)
    result = run_repair(specs, url, unit_id, reason=reason, actor=actor, ledger_table=table, mode=mode)
    emit(views.to_json(result.to_dict()) if opts.format == "json" else
         views.repair_markdown(result) if opts.format == "markdown" else views.repair_text(result))
    return 0
