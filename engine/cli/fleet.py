"""``--targets FILE`` on ``audit``, ``plan`` and ``apply``: the same command on every target of a fleet.

``fleet_options(name)`` adds ``--targets``, ``--parallel`` and ``--shard`` to a command and,
when ``--targets`` is given, runs the fleet form here instead of the command's body (which
stays the single-target form). ``--targets`` names the databases, so ``--db`` is refused with
it (and ``RECON_DATABASE_URL`` is not read); ``--env NAME`` still chooses the environment whose
gates, mode and ledger table every target's plan and apply use (its URL variable is not read).
Thin: the fleet logic is in ``engine.fleet``.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import replace

import click

from .. import report as views
from ..errors import SafetyRefusal, UsageError
from ..report.files import read_json, write_text
from .options import Options, emit, mode_of, seeding_skipped

DEFAULT_PARALLEL = 4


def fleet_options(name: str):
    """Add the fleet options to command ``name`` (audit, plan or apply) and divert to its fleet form."""

    def decorate(fn):
        @click.option("--targets", "targets_file", type=click.Path(dir_okay=False), default=None,
                      help="Run on every target of FILE (YAML list of {name, url} or {name, url_env}); one combined report.")
        @click.option("--parallel", type=click.IntRange(1, 64), default=None,
                      help=f"With --targets: targets run at once (audit and plan: {DEFAULT_PARALLEL}; apply: 1, one after the other).")
        @click.option("--shard", default=None, metavar="K/N", help="With --targets: only the K-th of N parts (targets sorted by name, every N-th).")
        @functools.wraps(fn)
        def wrapper(opts: Options, *args, targets_file, parallel, shard, **kwargs):
            if targets_file is None:
                if parallel is not None or shard is not None:
                    raise UsageError(f"{'--parallel' if parallel is not None else '--shard'} goes with --targets FILE")
                return fn(opts, *args, **kwargs)
            if opts.db:
                raise UsageError("--targets names the databases: drop --db (--env still chooses the environment's gates)")
            return _RUNNERS[name](opts, _targets(targets_file, shard), parallel, shard, **kwargs)

        return wrapper

    return decorate


def _targets(path: str, shard: str | None):
    from ..fleet.targets import load_targets
    from ..fleet.targets import shard as part

    return part(load_targets(path), shard)


def _progress():
    """``[n/m] name: exit N`` on stderr while a fleet runs, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    return lambda done, total, entry: click.echo(f"[{done}/{total}] {entry.name}: exit {entry.exit_code}", err=True)


def _show(opts: Options, report, verbose: bool = False) -> None:
    if opts.format == "json":
        emit(views.to_json(report.to_dict()))
    elif opts.format == "markdown":
        emit(views.fleet_markdown(report, verbose))
    elif opts.format == "html":
        emit(views.fleet_html(report))
    else:
        emit(views.fleet_text(report, views.Style(opts.color), verbose))


def _environment(specs, name: str | None):
    if name is None:
        return None
    found = next((e for e in specs.environments if e.name == name), None)
    if found is None:
        raise UsageError(f"unknown environment {name!r} (declared: {', '.join(e.name for e in specs.environments) or 'none declared'})")
    return found


def _audit(opts, targets, parallel, shard, *, strict, report_file, fingerprint, ledger_table, verbose):
    from .. import load_specs
    from ..fleet.commands import audit_fleet

    specs = load_specs(opts.specs)
    env = _environment(specs, opts.env)
    report = audit_fleet(specs, targets, strict=strict, fingerprint=fingerprint, ledger_table=ledger_table or (env.ledger_table if env else None),
                         parallel=parallel or DEFAULT_PARALLEL, shard=shard, progress=_progress())
    if report_file:
        write_text(report_file, views.to_json(report.to_dict()))
    _show(opts, report, verbose)
    return report.exit_code


def _plan(opts, targets, parallel, shard, *, mode_option, ledger_option, no_env, out_file, scope, skip_seeding,
          detailed_exitcode, strict, verbose, units=(), exclude=()):
    from .. import load_specs
    from ..fleet.commands import plan_fleet
    from ..fleet.plans import group_plans
    from ..planning.planner import environment_for

    specs = load_specs(opts.specs)
    if seeding_skipped(skip_seeding):
        if scope == "seed":
            raise UsageError("--scope seed with seeding skipped plans nothing: drop one of them")
        scope = "schema"
    env = environment_for(specs, opts.env, no_env)  # once, not once per target
    report = plan_fleet(specs, targets, detailed_exitcode=detailed_exitcode, parallel=parallel or DEFAULT_PARALLEL, shard=shard,
                        progress=_progress(), scope=scope, strict=strict, ledger_table=ledger_option, mode=mode_of(mode_option),
                        environment=env, no_env=no_env, units=units, exclude=exclude)
    _show(opts, report, verbose)
    if out_file:
        fleet_plan = group_plans(report)
        write_text(out_file, views.to_json(fleet_plan.to_dict()))
        if opts.format == "text":
            emit("\n" + views.fleet_plan_text(fleet_plan, out_file))
    return report.exit_code


def _apply(opts, targets, parallel, shard, *, mode_option, ledger_option, planfile, auto_approve, allow_destructive, override,
           actor, no_env, skip_seeding, allowed_signers=None, refresh=False, units=(), exclude=()):
    mode = mode_of(mode_option)
    if mode == "detect-only":
        raise SafetyRefusal("detect-only mode: apply and rollback are refused (unset --mode/RECON_MODE or the environment's mode)")
    common = {"allow_destructive": allow_destructive, "mode": mode, "environment": opts.env, "override_reason": override, "actor": actor,
              "allowed_signers": allowed_signers, "refresh": refresh}
    if planfile:
        if units or exclude:
            raise UsageError(f"{planfile} carries its selection: --unit and --exclude go with a new plan, not a saved one")
        return _apply_fleet_plan(opts, targets, parallel, shard, planfile, ledger_option, seeding_skipped(skip_seeding), common)
    if not auto_approve:
        raise UsageError("apply --targets without a fleet plan asks no one: pass --auto-approve, "
                         "or review a fleet plan (`recon plan --targets FILE --out PLAN`) and apply that")
    from .. import load_specs
    from ..fleet.commands import apply_fleet
    from ..planning.planner import environment_for

    specs = load_specs(opts.specs)
    env = environment_for(specs, opts.env, no_env)
    plan_options = {"ledger_table": ledger_option, "mode": mode, "environment": env, "no_env": no_env,
                    "scope": "schema" if seeding_skipped(skip_seeding) else "all", "units": units, "exclude": exclude}
    report = apply_fleet(specs, targets, plan_options=plan_options, apply_options=common, parallel=parallel or 1, shard=shard,
                         progress=_progress())
    _show(opts, report)
    return report.exit_code


def _apply_fleet_plan(opts, targets, parallel, shard, planfile: str, ledger_option, skip: bool, common: dict) -> int:
    from ..fleet.apply import apply_fleet_plan, check_fleet_gates
    from ..fleet.plans import FLEET_PLAN_FORMAT, FleetPlan
    from ..planning.approvals import read_sidecar

    if click.get_current_context().get_parameter_source("specs") == click.core.ParameterSource.COMMANDLINE:
        raise UsageError(f"{planfile} carries its specs (its audits and gates): apply reads no spec folder, drop --specs")
    data = read_json(planfile)
    if isinstance(data, dict) and data.get("format") != FLEET_PLAN_FORMAT and str(data.get("format", "")).startswith("recon.plan/"):
        raise UsageError(f"{planfile} is a plan for one target: apply it with --db, or make a fleet plan with `recon plan --targets FILE --out PLAN`")
    fleet_plan = replace(FleetPlan.from_dict(data, planfile), approvals=read_sidecar(planfile))
    for group in fleet_plan.groups:
        if skip and any(u.scope == "seed" for u in group.plan.units):
            raise UsageError(f"{planfile} includes seed-scope units and seeding is skipped: make the plan with --skip-seeding")
        if ledger_option and ledger_option != group.plan.ledger_table:
            raise UsageError(f"{planfile} records its runs in {group.plan.ledger_table}, not {ledger_option}: make the plan with --ledger-table {ledger_option}")
    verdict = check_fleet_gates(fleet_plan, mode=common["mode"], allow_destructive=common["allow_destructive"],
                                environment=common["environment"], override_reason=common["override_reason"],
                                allowed_signers=common.pop("allowed_signers"))
    report = apply_fleet_plan(fleet_plan, targets, source=planfile, parallel=parallel or 1, shard=shard, progress=_progress(),
                              approval=verdict, **common)
    _show(opts, report)
    return report.exit_code


_RUNNERS = {"audit": _audit, "plan": _plan, "apply": _apply}
