"""The performance matrix: every figure of docs/performance.md, in one run.

``python bench/matrix.py [--sizes 100,1000,5000] [--runs 3] [--markdown FILE] [--json]``
measures, whole processes, best of ``--runs`` (the commands of one round interleaved, so a
busy moment of a shared machine hits every tool of that round alike):

1. the start-up floor: ``python -c 'import sqlalchemy.dialects.postgresql.psycopg'``,
   ``recon --version`` and ``recon validate`` of the example specs (``specs/``);
2. at each size N (PostgreSQL): a base database of N ``benchschema`` tables built with one
   ``psql -f`` script, then on a ``CREATE DATABASE ... TEMPLATE`` clone of it ``recon audit``
   of 3 canaries per table (``audit_bench``'s fingerprint) and ``recon plan --out`` of that
   fingerprint plus ``--units`` migration units (``plan_apply_bench``'s), beside Alembic's
   ``compare_metadata`` (``alembic_peer.py``) and ``pg_dump --schema-only`` on that clone;
3. on the ``--apply-tables`` schema (default 1,000 tables): ``recon apply plan.json`` of
   ``--units`` (50) and of ``--small-units`` (10) units against ``psql -f`` of the same SQL,
   each run on a fresh clone, and the per-unit cost of each, ``(best(50) - best(10)) / 40``;
4. the rbac reconcile (``rows_bench``'s ``measure_rbac``: plan, apply, no-op re-plan) of
   ``--grants`` (50,000) grants beside the per-row loop and the executemany floor
   (``rows_peers.py``), on PostgreSQL (``--rows-dialects`` adds ``mysql`` and ``sqlite``).

``--quick`` is a smoke run (100 and 1,000 tables, 1 run, 5,000 grants; a few minutes).
``--profile`` adds a ``-X importtime`` and cProfile summary (``matrix_profile.py``) of the
audit at each size and of the 50-unit apply. Results: a text table on stdout (``--json``:
JSON), and ``--markdown FILE`` writes the tables docs/performance.md quotes. Progress goes to
stderr. Every database is dropped (``WITH (FORCE)``) at the end, whatever happens. Exit 0 when
the run completed (targets are reported, not enforced), 1 when a step failed.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import matrix_profile
import matrix_report
import rows_bench
from audit_bench import (
    DEFAULT_PG_URL,
    GNU_TIME,
    Measure,
    Server,
    audit_in_process,
    build_schema,
    log,
    measure_alembic,
    measure_pg_dump,
    measure_recon,
    recon_executable,
    validate_specs,
)
from audit_bench import write_specs as write_fingerprint
from plan_apply_bench import (
    _rounded,
    apply_in_process,
    check_plan,
    make_plan_file,
    phase_timer,
    plan_sql_script,
    timed,
    unit_tables,
    verify_applied,
)
from plan_apply_bench import write_specs as write_unit_specs
from rows_workload import Databases, write_rbac

EXAMPLE_SPECS = BENCH_DIR.parent / "specs"
DEFAULT_MYSQL_URL = rows_bench.DEFAULT_URLS["mysql"]


@dataclass
class Context:
    """What every step of one matrix run shares."""

    args: argparse.Namespace
    recon: str
    server: Server
    workdir: Path
    setup: dict = field(default_factory=dict)

    @property
    def runs(self) -> int:
        return self.args.runs

    def clone(self, base: str, label: str) -> str:
        """A fresh ``CREATE DATABASE ... TEMPLATE base`` copy; its URL. Clone times are kept per base."""
        started = time.perf_counter()
        name = self.server.create_database(f"recon_mx_{label}", template=base)
        self.setup.setdefault(f"clone_{base.split('_')[2]}", round(time.perf_counter() - started, 2))
        return self.server.url(name)

    def drop(self, url: str) -> None:
        self.server.drop_database(url.rsplit("/", 1)[-1])


# -- 1. start-up floor ---------------------------------------------------------------------

def measure_floor(ctx: Context) -> dict:
    """The imports of the stack, ``recon --version`` and ``recon validate specs/``, interleaved.

    These take well under a second, so they get at least 3 runs even with ``--runs 1``.
    """
    runs = max(ctx.runs, 3)
    cmds = {"stack_import": [sys.executable, "-c", "import sqlalchemy.dialects.postgresql.psycopg"],
            "version": [ctx.recon, "--version"],
            "validate_examples": [ctx.recon, "validate", "--specs", str(EXAMPLE_SPECS)]}
    measures = {k: Measure(k, []) for k in cmds}
    for _ in range(runs):
        for key, cmd in cmds.items():
            timed(key, cmd, measures[key], runs)
    return {k: m.to_dict() for k, m in measures.items()}


# -- 2. audit and plan at each size ----------------------------------------------------------

def build_base(ctx: Context, tables: int) -> str:
    """The base database of ``tables`` tables (never connected to again but as a template); its name."""
    name = ctx.server.create_database(f"recon_mx_base{tables}")
    log(f"building {tables} tables in {name}")
    ctx.setup[f"schema_build_{tables}"] = round(build_schema(ctx.server.url(name), tables, ctx.workdir), 2)
    log(f"built {tables} tables in {ctx.setup[f'schema_build_{tables}']} s")
    return name


def write_size_specs(ctx: Context, tables: int) -> tuple[Path, Path, int, int]:
    """The audit folder (fingerprint only) and the plan folder (fingerprint + units); canaries and units."""
    audit_specs, plan_specs = ctx.workdir / f"audit-{tables}", ctx.workdir / f"plan-{tables}"
    canaries = write_fingerprint(audit_specs, tables)
    units = min(ctx.args.units, tables)
    write_unit_specs(plan_specs, tables, units)
    validate_specs(ctx.recon, audit_specs)
    validate_specs(ctx.recon, plan_specs)
    return audit_specs, plan_specs, canaries, units


def measure_size(ctx: Context, tables: int) -> dict:
    """Audit, plan, Alembic and pg_dump on one clone of the ``tables``-table base, interleaved by round."""
    base = build_base(ctx, tables)
    audit_specs, plan_specs, canaries, units = write_size_specs(ctx, tables)
    url = ctx.clone(base, f"ro{tables}")
    report, plan_file = ctx.workdir / f"audit-{tables}.json", ctx.workdir / f"plan-{tables}.json"
    audit, plan, alembic, pg_dump = (Measure(n, []) for n in ("recon audit", "recon plan", "alembic", "pg_dump"))
    fingerprint = alembic_summary = None
    for _ in range(ctx.runs):
        m, fingerprint = measure_recon(ctx.recon, audit_specs, url, report, 1, canaries)
        audit.runs += m.runs
        timed("recon plan", [ctx.recon, "plan", "--specs", str(plan_specs), "--db", url, "--out", str(plan_file)], plan, ctx.runs)
        m, alembic_summary = measure_alembic(url, tables, 1)
        alembic.runs += m.runs
        pg_dump.runs += measure_pg_dump(url, 1).runs
    result = {"tables": tables, "canaries": canaries, "units": units, "fingerprint": fingerprint,
              "audit": audit.to_dict(), "plan": {**plan.to_dict(), "file": check_plan(plan_file, units, canaries)},
              "alembic": {**alembic.to_dict(), "statements": alembic_summary["statements"], "diffs": alembic_summary["diffs"]},
              "pg_dump": pg_dump.to_dict(), "audit_in_process": audit_in_process(audit_specs, url),
              "audit_phases": audit_phases(audit_specs, url)}
    result["ratios"] = {"audit_vs_alembic": round(audit.best / alembic.best, 4), "audit_vs_pg_dump": round(audit.best / pg_dump.best, 4),
                        "plan_vs_audit": round(plan.best / audit.best, 4)}
    if ctx.args.profile:
        result["profile"] = {"audit": matrix_profile.profile(
            [ctx.recon, "audit", "--specs", str(audit_specs), "--db", url, "--format", "json", "--report", str(report)])}
        log(matrix_profile.render(f"audit at {tables} tables", result["profile"]["audit"]))
    ctx.drop(url)
    if tables == ctx.args.apply_tables:
        result["apply"] = measure_apply(ctx, base, tables, plan_specs, units, canaries)
    ctx.server.drop_database(base)
    return result


def audit_phases(specs: Path, url: str) -> dict:
    """Where an audit's time goes once its modules are imported: ``load_specs`` (YAML, JSON Schema,
    cross-references, model), ``audit`` (catalog inspection, canaries, invariants and the ledger
    read), and the JSON report (``to_dict`` and the JSON text). In this process, best of two runs
    (the first one also pays for the imports, which ``-X importtime`` measures). Phases are timed by
    wrapping the engine's functions for the duration of the call; one the engine no longer has is
    left out.
    """
    import engine
    import engine.auditing.canaries
    import engine.inspect
    import engine.inspect.postgresql as pg
    import engine.report.as_json
    from engine.spec import validate

    hooks = [(validate, "load_sources", "load_specs: read + parse YAML"),
             (validate, "validate_sources", "load_specs: validation (JSON Schema, cross-references, model, lint)"),
             (validate.crossref, "check", "- of which cross-references"), (validate.build, "specs", "- of which the model"),
             (engine.inspect, "inspect_schema", "audit: catalog inspection"),
             (pg, "fetch", "- of which catalog queries (server, driver, rows)"), (pg, "build_tables", "- of which building tables"),
             (pg, "build_indexes", "- of which building indexes"), (pg, "build_constraints", "- of which building constraints"),
             (engine.auditing.canaries, "evaluate", "audit: canaries")]
    best: dict | None = None
    for _ in range(2):
        with phase_timer(hooks) as phases:
            t0 = time.perf_counter()
            loaded = engine.load_specs(str(specs))
            t1 = time.perf_counter()
            report = engine.audit(loaded, url)
            t2 = time.perf_counter()
            data = report.to_dict()
            t3 = time.perf_counter()
            engine.report.as_json.to_json(data)
            t4 = time.perf_counter()
        run = {"load_specs": t1 - t0, "audit": t2 - t1, "report: to_dict": t3 - t2, "report: JSON text": t4 - t3,
               "phases": _rounded(phases)}
        if best is None or sum(v for v in run.values() if isinstance(v, float)) < sum(v for v in best.values() if isinstance(v, float)):
            best = run
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in best.items()}


# -- 3. apply against psql -------------------------------------------------------------------

def measure_apply(ctx: Context, base: str, tables: int, big_specs: Path, big: int, canaries: int) -> dict:
    """``recon apply`` of ``big`` and of ``--small-units`` units against ``psql -f`` of the same SQL.

    Each run is on a fresh clone: plan it (untimed; a plan names its database), time the
    apply, check the columns, indexes and ledger rows; then a fresh clone for psql. The
    per-unit cost of each tool is the difference of its two best times over the difference
    of the unit counts, which cancels what a run pays whatever its size (start-up, audits,
    inspection, lock, connection).
    """
    small = min(ctx.args.small_units, big - 1)
    small_specs = ctx.workdir / f"plan-{tables}-small"
    write_unit_specs(small_specs, tables, small)
    variants = {big: big_specs, small: small_specs}
    measures = {(u, tool): Measure(f"{tool} {u} units", []) for u in variants for tool in ("recon", "psql")}
    scripts: dict[int, tuple[Path, int]] = {}
    for i in range(ctx.args.apply_runs):
        for units, specs in variants.items():
            scripts[units] = _apply_round(ctx, base, (tables, canaries), units, specs, i, measures, scripts.get(units))
    phases = {}
    for units, specs in variants.items():
        url = ctx.clone(base, "applyip")
        phases[units] = apply_in_process(specs, url)
        ctx.drop(url)
    psql_timed = _psql_timed(ctx, base, (tables, big), scripts[big][0])
    best = {key: m.best for key, m in measures.items()}
    per_unit = {tool: (best[(big, tool)] - best[(small, tool)]) / (big - small) for tool in ("recon", "psql")}
    unit_phase = "units (one transaction each)"
    in_unit = {u: phases[u]["phases"].get(unit_phase, {}).get("seconds") for u in variants}
    result = {"tables": tables, "units": big, "small_units": small, "runs": ctx.args.apply_runs,
              "recon": {u: measures[(u, "recon")].to_dict() for u in variants},
              "psql": {u: {**measures[(u, "psql")].to_dict(), "statements": scripts[u][1]} for u in variants},
              "per_unit_ms": {tool: round(v * 1000, 2) for tool, v in per_unit.items()},
              "per_unit_ratio": round(per_unit["recon"] / per_unit["psql"], 3) if per_unit["psql"] > 0 else None,
              "in_process": phases[big], "in_process_small": phases[small],
              "in_process_per_unit": {
                  "statements": round((phases[big]["statements"] - phases[small]["statements"]) / (big - small), 2),
                  "psql_statements": round((scripts[big][1] - scripts[small][1]) / (big - small), 2),
                  "unit_transactions_ms": round(in_unit[big] / big * 1000, 2) if in_unit[big] else None,
                  "difference_ms": round((phases[big]["apply_seconds"] - phases[small]["apply_seconds"]) / (big - small) * 1000, 2),
                  "psql_timed_ms": psql_timed}}
    if ctx.args.profile:
        result["profile"] = _profile_apply(ctx, base, big_specs)
    return result


def _apply_round(ctx: Context, base: str, size: tuple[int, int], units: int, specs: Path, i: int, measures: dict, script):
    """One recon apply and one psql run of ``units`` units, each on its own clone; the SQL script."""
    tables, canaries = size
    url = ctx.clone(base, f"apply{units}")
    plan = ctx.workdir / f"apply-{units}-{i}.json"
    make_plan_file(ctx.recon, specs, url, plan)
    if script is None:
        check_plan(plan, units, canaries)
        path = ctx.workdir / f"apply-{units}.sql"
        script = (path, plan_sql_script(plan, path))
    timed(f"recon apply ({units} units)", [ctx.recon, "apply", str(plan), "--db", url], measures[(units, "recon")], ctx.args.apply_runs)
    verify_applied(url, unit_tables(tables, units), with_ledger=True)
    ctx.drop(url)
    url = ctx.clone(base, f"psql{units}")
    timed(f"psql -f ({units} units)", ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script[0])],
          measures[(units, "psql")], ctx.args.apply_runs)
    verify_applied(url, unit_tables(tables, units), with_ledger=False)
    ctx.drop(url)
    return script


def _psql_timed(ctx: Context, base: str, size: tuple[int, int], script: Path) -> float:
    """psql's per-unit cost timed statement by statement: the plan's SQL run once with ``\\timing`` on a
    fresh clone, the sum of its ``Time:`` lines over the units (ms). Steadier than the difference of two
    whole runs of a tenth of a second, and like recon's in-process unit time, it leaves start-up out."""
    import re

    tables, units = size
    url = ctx.clone(base, "psqltimed")
    timed_script = ctx.workdir / "apply-timed.sql"
    timed_script.write_text("\\timing on\n" + script.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(timed_script)],
                          check=True, capture_output=True, text=True)
    verify_applied(url, unit_tables(tables, units), with_ledger=False)
    ctx.drop(url)
    return round(sum(float(m) for m in re.findall(r"^Time: ([0-9.]+) ms", done.stdout, re.M)) / units, 3)


def _profile_apply(ctx: Context, base: str, specs: Path) -> dict:
    """The import time and cProfile summary of one ``recon apply`` of the big plan (two fresh clones)."""
    out = {}
    for label, flag in (("importtime", "-X"), ("cprofile", "-m")):
        url = ctx.clone(base, "prof")
        plan = ctx.workdir / "apply-profile.json"
        make_plan_file(ctx.recon, specs, url, plan)
        cmd = [ctx.recon, "apply", str(plan), "--db", url]
        out[label] = matrix_profile.importtime(cmd) if flag == "-X" else matrix_profile.cprofile(cmd)
        ctx.drop(url)
    out["command"] = "recon apply plan.json --db URL"
    log(matrix_profile.render("apply", out))
    return {"apply": out}


# -- 4. rbac rows ----------------------------------------------------------------------------

def measure_rows(ctx: Context) -> dict:
    """The rbac reconcile and its peers on each of ``--rows-dialects``."""
    a = ctx.args
    specs = ctx.workdir / "rbac-specs"
    write_rbac(specs, a.roles, a.permissions, a.grants)
    urls = {"postgresql": _psycopg_url(a.pg_url), "mysql": a.mysql_url, "sqlite": ""}
    out = {}
    for dialect in a.rows_dialects:
        dbs = Databases(dialect, urls[dialect], ctx.workdir)
        try:
            result = rows_bench.measure_rbac(ctx.recon, dbs, specs, ctx.workdir, ctx.runs, a.grants)
            result["peers"] = rows_bench.measure_peers(dbs, specs / "rbac.yaml", specs, ctx.recon)
            out[dialect] = result
        finally:
            dbs.drop_all()
    return {"roles": a.roles, "permissions": a.permissions, "grants": a.grants, "dialects": out}


def _psycopg_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


# -- main ----------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options; ``--quick`` sets the smoke-run sizes where none were given."""
    p = argparse.ArgumentParser(description="recon's performance matrix: audit, plan, apply and rows beside their peers, in one run.")
    p.add_argument("--sizes", help="table counts for audit and plan (default 100,1000,5000; --quick 100,1000)")
    p.add_argument("--runs", type=int, help="timed runs per command, the best is reported (default 3; --quick 1)")
    p.add_argument("--quick", action="store_true", help="smoke run: 100 and 1,000 tables, 1 run, 5,000 grants")
    p.add_argument("--units", type=int, default=50, help="units of the apply (and of each plan), one table each (default 50)")
    p.add_argument("--small-units", type=int, default=10, help="units of the second apply, for the per-unit cost (default 10)")
    p.add_argument("--apply-runs", type=int, help="runs of each apply (recon and psql, 50 and 10 units; default 5, --quick 2): "
                   "the per-unit cost is a difference of two best times, so it needs more runs than the rest")
    p.add_argument("--apply-tables", type=int, default=1000, help="the size (one of --sizes) whose schema the apply runs on (default 1000)")
    p.add_argument("--grants", type=int, help="rbac grants (default 50000; --quick 5000)")
    p.add_argument("--roles", type=int, help="rbac roles (default 200; --quick 20)")
    p.add_argument("--permissions", type=int, help="rbac permissions (default 5000; --quick 500)")
    p.add_argument("--rows-dialects", default="postgresql", help="dialects of the rbac reconcile: postgresql,mysql,sqlite (default postgresql; '' skips it)")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help="an existing PostgreSQL database, used to create and drop the bench's "
                   "(default $RECON_BENCH_PG_URL or postgresql://postgres@127.0.0.1:5432/postgres; the role needs CREATEDB)")
    p.add_argument("--mysql-url", default=DEFAULT_MYSQL_URL, help=f"an existing MariaDB/MySQL database, for --rows-dialects mysql (default {DEFAULT_MYSQL_URL})")
    p.add_argument("--profile", action="store_true", help="also -X importtime and cProfile the audit at each size and the apply")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    p.add_argument("--markdown", metavar="FILE", help="write the results as markdown tables to FILE (for docs/performance.md)")
    a = p.parse_args(argv)
    quick = a.quick
    a.sizes = [int(x) for x in (a.sizes or ("100,1000" if quick else "100,1000,5000")).split(",") if x]
    a.runs = a.runs or (1 if quick else 3)
    a.apply_runs = a.apply_runs or (2 if quick else max(a.runs, 5))
    a.grants, a.roles, a.permissions = a.grants or (5000 if quick else 50000), a.roles or (20 if quick else 200), a.permissions or (500 if quick else 5000)
    a.rows_dialects = [d for d in a.rows_dialects.split(",") if d]
    if any(s < 1 for s in a.sizes) or a.runs < 1 or a.apply_runs < 1 or a.units < 2 or a.small_units < 1:
        p.error("--sizes and --runs must be positive, --units at least 2, --small-units at least 1")
    if a.apply_tables not in a.sizes:
        a.apply_tables = max([s for s in a.sizes if s <= 1000] or a.sizes[:1])
        log(f"--apply-tables not among --sizes: the apply runs on the {a.apply_tables}-table schema")
    if unknown := set(a.rows_dialects) - {"postgresql", "mysql", "sqlite"}:
        p.error(f"--rows-dialects: unknown {sorted(unknown)}")
    return a


def environment(server_version: str) -> dict:
    """Where the run happened: versions, CPUs, and the load average (the machine may be shared)."""
    return {"python": platform.python_version(), "postgresql": server_version, "cpus": os.cpu_count(),
            "platform": platform.platform(), "load_avg_start": [round(x, 2) for x in os.getloadavg()],
            "peak_rss_source": "GNU time -v" if GNU_TIME else "os.wait4 (upper bound)"}


def run(args: argparse.Namespace, ctx: Context) -> dict:
    """Every step in order; the results as one dict."""
    started = time.perf_counter()
    results: dict = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                     "environment": environment(ctx.server.server_version()),
                     "args": {k: v for k, v in vars(args).items() if k not in ("pg_url", "mysql_url")}}
    results["floor"] = measure_floor(ctx)
    results["sizes"] = {}
    for tables in args.sizes:
        size_started = time.perf_counter()
        results["sizes"][tables] = measure_size(ctx, tables)
        results["sizes"][tables]["step_seconds"] = round(time.perf_counter() - size_started, 1)
    if args.rows_dialects:
        rows_started = time.perf_counter()
        results["rows"] = measure_rows(ctx)
        results["rows"]["step_seconds"] = round(time.perf_counter() - rows_started, 1)
    results["environment"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["setup_seconds"] = ctx.setup
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = matrix_report.verdicts(results)
    return results


def main(argv=None) -> int:
    """Run the matrix; 0 when it completed (targets are reported, not enforced), 1 on error."""
    args = parse_args(argv)
    server = Server(args.pg_url)
    workdir = Path(tempfile.mkdtemp(prefix="recon-matrix-"))
    try:
        ctx = Context(args, recon_executable(), server, workdir)
        results = run(args, ctx)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        log(f"ERROR: {exc}")
        return 1
    finally:
        server.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    if args.markdown:
        Path(args.markdown).write_text(matrix_report.markdown(results), encoding="utf-8")
        log(f"markdown written to {args.markdown}")
    print(json.dumps(results, indent=2, default=str) if args.json else matrix_report.text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
