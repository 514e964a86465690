"""Benchmark: ``recon plan`` and ``recon apply`` of 50 additive units on a large PostgreSQL schema.

One run of ``python bench/plan_apply_bench.py [--tables 1000] [--units 50] [--pg-url URL]``:

1. builds the ``benchschema`` schema (N tables) once in a base database and
   writes a spec folder: the audit benchmark's fingerprint (3 canaries per
   table) plus ``--units`` migration units, each adding a nullable column to a
   different table and indexing it; ``recon validate`` checks the folder,
2. plan versus audit, read-only, on one clone of the base: ``recon plan --specs
   DIR --db URL --out plan.json`` and ``recon audit --specs DIR --db URL`` as
   whole processes, interleaved, best of ``--runs``; ratio plan/audit,
3. counts the statements an in-process ``make_plan`` sends at ``--ref-tables``
   (100) and at N tables (they should be equal),
4. apply versus psql, each run on a fresh clone of the base (``CREATE DATABASE
   x TEMPLATE base``): ``recon apply plan.json --db URL`` (the plan
   made for that clone beforehand, untimed) against ``psql -q -v
   ON_ERROR_STOP=1 -f file`` running the plan's SQL (``actions[].sql`` of the
   pending actions, in order) from one file; interleaved, best of ``--runs``;
   ratio recon/psql,
5. prints a result table (or JSON with ``--json``).

Every database is dropped (``WITH (FORCE)``) and the work folder removed at the
end, whatever happens. Progress goes to stderr; results go to stdout.
``--profile`` also runs ``make_plan`` and ``apply`` in-process under cProfile
and prints the top functions to stderr. Not part of the test suite.
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
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from audit_bench import (
    DEFAULT_PG_URL,
    GNU_TIME,
    Measure,
    Server,
    audit_in_process,
    build_schema,
    log,
    recon_executable,
    run_process,
    table_text,
    validate_specs,
)
from audit_bench import (
    write_specs as write_fingerprint,
)
from benchschema import COLUMNS
from benchschema import tables as schema_tables

# Targets the result table is judged against.
TARGET_PLAN_VS_AUDIT = 1.2
TARGET_APPLY_VS_PSQL = 2.0

# The column each unit adds (one per table, to a different table each), cycling through portable types.
ADDED_COLUMN = "added_col"
ADDED_TYPES = ("text", "integer", "bigint", "boolean", "timestamptz", "varchar(40)", "numeric(10,2)", "date", "uuid")


# -- specs ---------------------------------------------------------------------------------

def unit_tables(count: int, units: int) -> list:
    """The ``units`` tables the units change: evenly spaced over the ``count`` tables, all different."""
    defs = schema_tables(count)
    return [defs[k * count // units] for k in range(units)]


def unit_doc(k: int, table) -> dict:
    """Migration unit ``k``: add ``<table>.added_col`` (nullable) and index it; reversible."""
    column_type = ADDED_TYPES[k % len(ADDED_TYPES)]
    index = f"{table.name}_{ADDED_COLUMN}_idx"
    ticket = f"BENCH-{k + 1:03d}"
    return {
        "kind": "migration",
        "id": f"{ticket}-{table.name}-{ADDED_COLUMN}",
        "ticket": ticket,
        "scope": "schema",
        "description": f"Add {table.name}.{ADDED_COLUMN} ({column_type}) and index it",
        "rollback": {
            "notes": "Additive column; drop only if no writer has shipped.",
            "operations": [
                {"drop_index": {"name": index, "table": table.name}},
                {"drop_column": {"table": table.name, "name": ADDED_COLUMN}},
            ],
        },
        "operations": [
            {"add_column": {"table": table.name, "name": ADDED_COLUMN, "type": column_type, "nullable": True}},
            {"create_index": {"name": index, "table": table.name, "columns": [ADDED_COLUMN]}},
        ],
    }


def write_specs(folder: Path, count: int, units: int) -> int:
    """Fingerprint (as in the audit bench) plus one file per unit under ``migrations/``; return the canaries."""
    import yaml

    canaries = write_fingerprint(folder, count)
    migrations = folder / "migrations"
    migrations.mkdir(parents=True, exist_ok=True)
    for k, table in enumerate(unit_tables(count, units)):
        doc = unit_doc(k, table)
        (migrations / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False), encoding="utf-8")
    return canaries


# -- plan files and SQL --------------------------------------------------------------------

def check_plan(path: Path, units: int, canaries: int) -> dict:
    """Read a plan file; warn loudly unless it holds ``units`` units, all actions pending, and N/N expected."""
    data = json.loads(path.read_text(encoding="utf-8"))
    actions = data["actions"]
    pending = [a for a in actions if a["status"] == "pending"]
    statements = sum(len(a["sql"]) for a in pending)
    expected = data.get("expected", {}).get("fingerprint", {})
    problems = []
    if len(data["units"]) != units:
        problems.append(f"{len(data['units'])} units planned, expected {units}")
    if len(pending) != len(actions) or len(actions) != 2 * units:
        problems.append(f"{len(pending)}/{len(actions)} actions pending, expected {2 * units}/{2 * units}")
    if expected.get("passed") != canaries or expected.get("total") != canaries:
        problems.append(f"plan expects {expected.get('passed')}/{expected.get('total')} canaries, expected {canaries}/{canaries}")
    if problems:
        bar = "!" * 78
        log(f"\n{bar}\nWARNING: {path.name}: " + "; ".join(problems) + f"\n{bar}")
    return {"units": len(data["units"]), "actions": len(actions), "pending": len(pending), "statements": statements,
            "expected_fingerprint": {"passed": expected.get("passed"), "total": expected.get("total")}}


def plan_sql_script(plan_path: Path, script: Path) -> int:
    """Write the plan's SQL (pending actions, in order) to ``script``, one statement per line; return the count."""
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    count = 0
    with script.open("w", encoding="utf-8") as out:
        for action in data["actions"]:
            if action["status"] != "pending":
                continue
            for sql in action["sql"]:
                text = sql.strip()
                out.write(text if text.endswith(";") else text + ";")
                out.write("\n")
                count += 1
    return count


def verify_applied(url: str, tables: list, with_ledger: bool) -> dict:
    """Count, in ``url``, the added columns and indexes (and applied ledger rows); warn unless all are there."""
    import psycopg

    names = [t.name for t in tables]
    indexes = [f"{t.name}_{ADDED_COLUMN}_idx" for t in tables]
    with psycopg.connect(url, autocommit=True) as conn:
        columns = conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
                               "AND column_name = %s AND table_name = ANY(%s)", (ADDED_COLUMN, names)).fetchone()[0]
        found = conn.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname = ANY(%s)", (indexes,)).fetchone()[0]
        applied = None
        if with_ledger:
            applied = conn.execute("SELECT count(*) FROM recon_ledger WHERE status = 'applied'").fetchone()[0]
    result = {"columns": columns, "indexes": found, "ledger_applied": applied}
    want = len(tables)
    if columns != want or found != want or (with_ledger and applied != want):
        log(f"WARNING: after apply in {url.rsplit('/', 1)[-1]}: {result}, expected {want} each")
    return result


# -- measurement ---------------------------------------------------------------------------

def timed(name: str, cmd: list[str], measure: Measure, runs: int) -> None:
    """Run ``cmd`` once and append the run to ``measure``; raise with its stderr if it fails."""
    run = run_process(cmd)
    if run.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {run.returncode}): {' '.join(cmd)}\n{(run.stderr or run.stdout).strip()[-4000:]}")
    measure.runs.append(run)
    log(f"{name} run {len(measure.runs)}/{runs}: {run.seconds:.3f}s, peak RSS {run.peak_rss_mb:.1f} MB")


def make_plan_file(recon: str, specs: Path, url: str, out: Path) -> None:
    """``recon plan --out`` (untimed), raising with its output on failure."""
    done = subprocess.run([recon, "plan", "--specs", str(specs), "--db", url, "--out", str(out)], check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"recon plan failed (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


@contextmanager
def phase_timer(hooks: list[tuple[object, str, str]]):
    """Wrap ``owner.attr`` for each hook so its calls add their seconds (and count) under ``label``.

    Yields the dict ``{label: {"seconds": s, "calls": n}}``; the originals are
    restored on exit. A hook whose attribute the engine no longer has is
    skipped, so a refactor of ``engine/`` loses a phase, not the benchmark.
    """
    acc: dict = {}
    saved = []
    for owner, attr, label in hooks:
        original = getattr(owner, attr, None)
        if original is None:
            continue
        saved.append((owner, attr, original))
        acc.setdefault(label, {"seconds": 0.0, "calls": 0})  # rows in hook order, not in finishing order

        def wrapper(*args, __fn=original, __label=label, **kwargs):
            started = time.perf_counter()
            try:
                return __fn(*args, **kwargs)
            finally:
                slot = acc.setdefault(__label, {"seconds": 0.0, "calls": 0})
                slot["seconds"] += time.perf_counter() - started
                slot["calls"] += 1

        setattr(owner, attr, wrapper)
    try:
        yield acc
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)


def _rounded(phases: dict) -> dict:
    return {k: {"seconds": round(v["seconds"], 4), "calls": v["calls"]} for k, v in phases.items() if v["calls"]}


def engine_api():
    """The public ``engine.plan`` / ``engine.apply`` functions and the modules that define them.

    Going through the package's public names (and ``fn.__module__`` for the
    phase hooks) keeps the benchmark working when the engine's modules are
    renamed or split.
    """
    import engine

    plan_fn, apply_fn = engine.plan, engine.apply
    return plan_fn, apply_fn, sys.modules[plan_fn.__module__], sys.modules[apply_fn.__module__]


def plan_hooks() -> list:
    """Phases of ``make_plan``: inspection, unit planning, canary evaluation (before and after), state digest, artifact."""
    import engine.auditing.canaries
    import engine.inspect

    _, _, planner, _ = engine_api()
    return [(engine.inspect, "inspect_schema", "inspect_schema"), (planner, "plan_units", "plan_units"),
            (planner, "_artifact", "_artifact (canaries before+after, digest)"),
            (engine.auditing.canaries, "evaluate", "- of which canary evaluations"), (planner, "state_digest", "- of which state_digest")]


def plan_in_process(specs: Path, url: str) -> dict:
    """``make_plan`` through the Python API in this process: statements sent, seconds taken, and its phases."""
    from engine import load_specs
    from engine.target.connection import make_target

    make_plan = engine_api()[0]
    started = time.perf_counter()
    specs_obj = load_specs(str(specs))
    loaded = time.perf_counter()
    target = make_target(url)
    with phase_timer(plan_hooks()) as phases:
        plan = make_plan(specs_obj, target)
    done = time.perf_counter()
    return {"statements": target.statements, "units": len(plan.units), "actions": len(plan.actions),
            "load_specs_seconds": round(loaded - started, 4), "plan_seconds": round(done - loaded, 4), "phases": _rounded(phases)}


def apply_in_process(specs: Path, url: str) -> dict:
    """Plan then apply through the Python API on ``url`` (a fresh clone): statements, seconds and phases of the apply."""
    import engine
    from engine.target.connection import make_target

    make_plan, _, _, applier = engine_api()
    specs_obj = engine.load_specs(str(specs))
    plan = make_plan(specs_obj, make_target(url))
    target = make_target(url)
    executor = getattr(applier, "Executor", None)
    hooks = [(applier, "audit", "audits before + after"), (executor, "verify_fresh", "verify_fresh (re-inspect under lock)"),
             (executor, "run_unit", "units (one transaction each)")]
    started = time.perf_counter()
    with phase_timer([h for h in hooks if h[0] is not None]) as phases:
        report = applier.apply(plan, target, specs=specs_obj)  # looked up now, so the hooks on the module apply
    done = time.perf_counter()
    accounted = sum(v["seconds"] for v in phases.values())
    phases["rest (connect, lock, ledger, gates)"] = {"seconds": (done - started) - accounted, "calls": 1}
    return {"statements": target.statements, "apply_seconds": round(done - started, 4), "units": len(report.outcomes),
            "ok": report.ok, "phases": _rounded(phases)}


def profile(specs: Path, plan_url: str, apply_url: str, top: int) -> None:
    """cProfile of in-process ``make_plan`` (on ``plan_url``) and ``apply`` (on ``apply_url``), to stderr."""
    import cProfile
    import io
    import pstats

    import engine

    make_plan, run_apply, _, _ = engine_api()
    specs_obj = engine.load_specs(str(specs))
    apply_plan = make_plan(specs_obj, apply_url)
    for name, fn in (("make_plan", lambda: make_plan(specs_obj, plan_url)),
                     ("apply (incl. audits before/after)", lambda: run_apply(apply_plan, apply_url, specs=specs_obj))):
        prof = cProfile.Profile()
        prof.enable()
        fn()
        prof.disable()
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(top)
        log(f"cProfile: {name}, top {top} by cumulative time\n{text.getvalue()}")


# -- results -------------------------------------------------------------------------------

def collect(args, server_version: str, canaries: int, setup: dict, plan_m: Measure, audit_m: Measure, plan_info: dict,
            stmts_ref: dict, stmts_n: dict, apply_m: Measure, psql_m: Measure, sql_count: int, verified: dict,
            apply_ip: dict, audit_ip: dict, floor: dict) -> dict:
    """Everything measured, with ratios and whether each target is met."""
    ratio_plan = plan_m.best / audit_m.best
    ratio_apply = apply_m.best / psql_m.best
    equal = stmts_ref["statements"] == stmts_n["statements"]
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": {"python": platform.python_version(), "postgresql": server_version, "cpus": os.cpu_count(), "platform": platform.platform()},
        "tables": args.tables,
        "columns_per_table": len(COLUMNS),
        "units": args.units,
        "canaries": canaries,
        "runs": args.runs,
        "setup_seconds": setup,
        "peak_rss_source": "GNU time -v" if GNU_TIME else "os.wait4 (upper bound: includes the bench process's RSS at fork)",
        "plan": {**plan_m.to_dict(), "file": plan_info, "in_process": stmts_n},
        "audit": {**audit_m.to_dict(), "in_process": audit_ip},
        "apply": {**apply_m.to_dict(), "verified": verified["recon"], "in_process": apply_ip},
        "psql": {**psql_m.to_dict(), "statements": sql_count, "verified": verified["psql"]},
        "floor": {name: m.to_dict() for name, m in floor.items()},
        "statements": {"ref_tables": args.ref_tables, "at_ref": stmts_ref, "at_n": stmts_n, "equal": equal},
        "ratios": {"plan_vs_audit": round(ratio_plan, 4), "apply_vs_psql": round(ratio_apply, 4)},
        "targets": {
            "plan_vs_audit": {"target": f"<= {TARGET_PLAN_VS_AUDIT}", "met": ratio_plan <= TARGET_PLAN_VS_AUDIT},
            "apply_vs_psql": {"target": f"<= {TARGET_APPLY_VS_PSQL:g}", "met": ratio_apply <= TARGET_APPLY_VS_PSQL},
            "plan_statements_constant": {"target": "equal", "met": equal},
        },
    }


def render_table(r: dict) -> str:
    """The results as a fixed-width text table."""
    t = r["targets"]
    mark = lambda key: "ok" if t[key]["met"] else "MISSED"
    s = r["statements"]
    ip, aip = r["plan"]["in_process"], r["apply"]["in_process"]
    rows = [
        (f"recon plan --out (best of {r['runs']})", f"{r['plan']['seconds_best']:.3f} s", "", ""),
        (f"recon audit (best of {r['runs']})", f"{r['audit']['seconds_best']:.3f} s", "", ""),
        ("plan / audit", f"{r['ratios']['plan_vs_audit']:.3f}", t["plan_vs_audit"]["target"], mark("plan_vs_audit")),
        (f"plan statements @ {s['ref_tables']} tables", f"{s['at_ref']['statements']}", "", ""),
        (f"plan statements @ {r['tables']} tables", f"{s['at_n']['statements']}", "equal", mark("plan_statements_constant")),
        (f"recon apply plan.json (best of {r['runs']})", f"{r['apply']['seconds_best']:.3f} s", "", ""),
        (f"psql -f (same SQL, best of {r['runs']})", f"{r['psql']['seconds_best']:.3f} s", "", ""),
        ("apply / psql", f"{r['ratios']['apply_vs_psql']:.3f}", t["apply_vs_psql"]["target"], mark("apply_vs_psql")),
        ("floor: recon --version / recon validate", f"{r['floor']['version']['seconds_best']:.3f} / {r['floor']['validate']['seconds_best']:.3f} s", "", ""),
        ("floor: import sqlalchemy + psycopg only / 2 x psql", f"{r['floor']['stack']['seconds_best']:.3f} / {2 * r['psql']['seconds_best']:.3f} s", "", ""),
        ("planned units / actions / SQL statements", f"{r['plan']['file']['units']} / {r['plan']['file']['actions']} / {r['plan']['file']['statements']}", "", ""),
        ("peak RSS plan / audit / apply", f"{r['plan']['peak_rss_mb']:.1f} / {r['audit']['peak_rss_mb']:.1f} / {r['apply']['peak_rss_mb']:.1f} MB", "", ""),
        ("in-process: load_specs / make_plan / audit", f"{ip['load_specs_seconds']:.3f} / {ip['plan_seconds']:.3f} / {r['audit']['in_process']['audit_seconds']:.3f} s", "", ""),
    ]
    rows += [(f"  make_plan: {k} (x{v['calls']})", f"{v['seconds']:.3f} s", "", "") for k, v in ip.get("phases", {}).items()]
    rows += [("in-process: apply (statements)", f"{aip['apply_seconds']:.3f} s ({aip['statements']})", "", "")]
    rows += [(f"  apply: {k} (x{v['calls']})", f"{v['seconds']:.3f} s", "", "") for k, v in aip.get("phases", {}).items()]
    header = (f"recon plan/apply benchmark: {r['tables']} tables x {r['columns_per_table']} columns, {r['units']} units "
              f"(add column + index), {r['canaries']} canaries; PostgreSQL {r['environment']['postgresql']}, "
              f"Python {r['environment']['python']}, {r['environment']['cpus']} CPUs")
    all_runs = (f"all runs (s): plan {r['plan']['seconds_all']}, audit {r['audit']['seconds_all']}, apply {r['apply']['seconds_all']}, "
                f"psql {r['psql']['seconds_all']}; setup (s): {r['setup_seconds']}; peak RSS from {r['peak_rss_source']}")
    return table_text(header, rows, all_runs)


# -- main ----------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Benchmark recon plan (against recon audit) and recon apply (against psql -f) on a large PostgreSQL schema.")
    parser.add_argument("--tables", type=int, default=1000, help="tables in the benchmark schema (default 1000)")
    parser.add_argument("--units", type=int, default=50, help="pending migration units, one table each (default 50)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="URL of an existing database on the server, used to create/drop the bench databases "
                        "(default $RECON_BENCH_PG_URL or postgresql://postgres@127.0.0.1:5432/postgres)")
    parser.add_argument("--ref-tables", type=int, default=100, help="size of the second schema for the statement-count comparison (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command; the best is reported (default 3)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--profile", action="store_true", help="also cProfile in-process make_plan and apply; report on stderr")
    args = parser.parse_args(argv)
    if args.tables < 1 or args.ref_tables < 1 or args.runs < 1 or args.units < 1:
        parser.error("--tables, --units, --ref-tables and --runs must be positive")
    if args.units > min(args.tables, args.ref_tables):
        parser.error("--units must not exceed --tables or --ref-tables (one table per unit)")
    return args


def build_base(server: Server, recon: str, count: int, units: int, workdir: Path, label: str, setup: dict) -> tuple[str, Path, int]:
    """Base database with ``count`` tables and its spec folder; return (database name, specs folder, canaries)."""
    name = server.create_database(f"recon_pab_{label}")
    log(f"building {count} tables in {name}")
    setup[f"schema_{label}"] = round(build_schema(server.url(name), count, workdir), 2)
    specs = workdir / f"specs-{label}"
    canaries = write_specs(specs, count, units)
    validate_specs(recon, specs)
    return name, specs, canaries


def main(argv=None) -> int:
    """Run the whole benchmark; 0 when it completed (targets are reported, not enforced), 1 on error."""
    args = parse_args(argv)
    server = Server(args.pg_url)
    workdir = Path(tempfile.mkdtemp(prefix="recon-plan-apply-bench-"))
    try:
        recon = recon_executable()
        version = server.server_version()
        setup: dict = {}

        base_n, specs_n, canaries = build_base(server, recon, args.tables, args.units, workdir, "n", setup)
        if args.ref_tables == args.tables:
            base_ref, specs_ref = base_n, specs_n
        else:
            base_ref, specs_ref, _ = build_base(server, recon, args.ref_tables, args.units, workdir, "ref", setup)

        def clone(base: str, label: str) -> str:
            started = time.perf_counter()
            name = server.create_database(f"recon_pab_{label}", template=base)
            setup.setdefault("clone_each", round(time.perf_counter() - started, 2))
            return name

        # 1. plan vs audit, read-only, on one clone (the base stays free of connections, for cloning).
        ro = clone(base_n, "ro")
        ro_url = server.url(ro)
        plan_file = workdir / "plan.json"
        plan_m, audit_m = Measure("recon plan", []), Measure("recon audit", [])
        for _ in range(args.runs):
            timed("recon plan", [recon, "plan", "--specs", str(specs_n), "--db", ro_url, "--out", str(plan_file)], plan_m, args.runs)
            timed("recon audit", [recon, "audit", "--specs", str(specs_n), "--db", ro_url], audit_m, args.runs)
        plan_info = check_plan(plan_file, args.units, canaries)

        # The start-up floor every recon command pays: interpreter + CLI imports, and + loading the specs.
        # And the floor of the mandated stack itself: an interpreter that only imports SQLAlchemy and
        # psycopg's SQLAlchemy dialect, which any apply on PostgreSQL must load before its first statement.
        floor = {"version": Measure("recon --version", []), "validate": Measure("recon validate", []),
                 "stack": Measure("python -c 'import sqlalchemy.dialects.postgresql.psycopg'", [])}
        for _ in range(args.runs):
            timed("recon --version", [recon, "--version"], floor["version"], args.runs)
            timed("recon validate", [recon, "validate", "--specs", str(specs_n)], floor["validate"], args.runs)
            timed("stack import", [sys.executable, "-c", "import sqlalchemy.dialects.postgresql.psycopg"], floor["stack"], args.runs)

        # Statements sent by make_plan, at --ref-tables and at N tables.
        if base_ref == base_n:
            ref_url = ro_url
        else:
            ref_url = server.url(clone(base_ref, "ro_ref"))
        stmts_ref = plan_in_process(specs_ref, ref_url)
        stmts_n = plan_in_process(specs_n, ro_url)
        audit_ip = audit_in_process(specs_n, ro_url)
        log(f"plan statements: {stmts_ref['statements']} @ {args.ref_tables} tables, {stmts_n['statements']} @ {args.tables} tables")

        # 2. apply vs psql, interleaved, each run on a fresh clone of the base.
        tables = unit_tables(args.tables, args.units)
        script = workdir / "plan.sql"
        sql_count = plan_sql_script(plan_file, script)
        apply_m, psql_m = Measure("recon apply", []), Measure("psql -f", [])
        verified: dict = {}
        for i in range(args.runs):
            db = clone(base_n, "apply")
            url = server.url(db)
            run_plan = workdir / f"plan-apply-{i}.json"
            make_plan_file(recon, specs_n, url, run_plan)
            timed("recon apply", [recon, "apply", str(run_plan), "--db", url], apply_m, args.runs)
            verified["recon"] = verify_applied(url, tables, with_ledger=True)
            server.drop_database(db)

            db = clone(base_n, "psql")
            url = server.url(db)
            timed("psql -f", ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script)], psql_m, args.runs)
            verified["psql"] = verify_applied(url, tables, with_ledger=False)
            server.drop_database(db)

        db = clone(base_n, "apply_ip")
        apply_ip = apply_in_process(specs_n, server.url(db))
        server.drop_database(db)

        if args.profile:
            plan_db, apply_db = clone(base_n, "prof_plan"), clone(base_n, "prof_apply")
            profile(specs_n, server.url(plan_db), server.url(apply_db), 30)

        results = collect(args, version, canaries, setup, plan_m, audit_m, plan_info, stmts_ref, stmts_n,
                          apply_m, psql_m, sql_count, verified, apply_ip, audit_ip, floor)
        print(json.dumps(results, indent=2) if args.json else render_table(results))
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        log(f"ERROR: {exc}")
        return 1
    finally:
        server.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
