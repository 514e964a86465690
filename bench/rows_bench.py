"""Benchmark: seed and rbac rows at production size, whole processes, on PostgreSQL, MariaDB and SQLite.

One run of ``python bench/rows_bench.py`` (see bench/README.md) measures, per dialect, on
fresh databases and in this order:

1. ``recon plan --out`` of one rbac spec of 200 roles, 5,000 permissions and 50,000 grants
   (literal keys, no globs) into empty tables: seconds, peak RSS, plan file size;
2. ``recon apply plan.json`` (each run on a fresh database planned beforehand, untimed) and
   the no-op ``recon plan`` after it (which must be empty); the statements apply sends,
   counted in-process on one more database;
3. the peers on fresh databases: a per-row check-then-insert loop and the executemany
   floor (``rows_peers.py``), and the floors every recon process pays: importing the stack,
   parsing the spec with libyaml, and ``recon validate`` (import + parse + validation);
4. a 5,000-row seed with ``on_conflict: update`` and ``prune: true``, half its rows
   changed: ``recon plan --out`` + ``recon apply`` (two processes);

and on PostgreSQL the same rbac plan, apply and re-plan at 5,000, 50,000 and 200,000 grants
(the time must grow no faster than the rows). Then it prints every figure beside its target,
or JSON with ``--json``. Databases are dropped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from audit_bench import (  # noqa: E402
    GNU_TIME,
    Measure,
    log,
    recon_executable,
    run_process,
    table_text,
)
from rows_workload import (  # noqa: E402
    RBAC_DDL,
    SEED_ROWS,
    Databases,
    seed_rows_sql,
    write_rbac,
    write_seed,
)

TARGETS = {"plan": 2.5, "apply": 2.5, "replan": 1.5, "rss": 150.0, "file_mb": 5.0, "statements": 100, "seed": 2.0, "vs_pg": 2.0}
DEFAULT_URLS = {"postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", "mysql": "mysql+pymysql://root@127.0.0.1:3306/mysql"}


def ok(run, what: str):
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {run.returncode}):\n{run.stderr.strip()[-3000:]}")
    return run


def summary(runs: list) -> dict:
    m = Measure("", runs)
    return {"seconds": round(m.best, 3), "all": [round(r.seconds, 3) for r in runs], "rss_mb": round(m.peak_rss_mb, 1)}


def grants_in(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM role_permissions").scalar()
    finally:
        engine.dispose()


def measure_rbac(recon: str, dbs: Databases, specs: Path, work: Path, runs: int, grants: int) -> dict:
    """Plan (best of ``runs``), apply and the no-op re-plan (each run on a fresh database)."""
    ddl = RBAC_DDL[dbs.dialect]
    plan_file = work / f"plan-{dbs.dialect}-{grants}.json"
    url = dbs.create(ddl)
    plans = [ok(run_process([recon, "plan", "--specs", str(specs), "--db", url, "--out", str(plan_file)]), "plan") for _ in range(runs)]
    size = plan_file.stat().st_size
    applies, replans = [], []
    for i in range(runs):
        url = dbs.create(ddl)
        ok(run_process([recon, "plan", "--specs", str(specs), "--db", url, "--out", str(plan_file)]), "plan")
        applies.append(ok(run_process([recon, "apply", str(plan_file), "--db", url]), "apply"))
        if grants_in(url) != grants:
            raise RuntimeError(f"apply left {grants_in(url)} grants, expected {grants}")
        replans.append(ok(run_process([recon, "plan", "--specs", str(specs), "--db", url, "--detailed-exitcode"]), "re-plan (not empty)"))
        log(f"{dbs.dialect} {grants} grants, run {i + 1}: plan {plans[i].seconds:.2f}s apply {applies[-1].seconds:.2f}s re-plan {replans[-1].seconds:.2f}s")
    return {"plan": summary(plans), "apply": summary(applies), "replan": summary(replans), "plan_file_mb": round(size / 1e6, 2)}


def apply_in_process(dbs: Databases, specs: Path) -> dict:
    """Statements one apply sends (audits before and after included), counted in-process, and the
    seconds of its row transaction (locked re-read, the batched statements, ledger rows, commit)."""
    import engine
    from engine.target.connection import make_target

    loaded = engine.load_specs(str(specs))
    url = dbs.create(RBAC_DDL[dbs.dialect])
    plan = engine.plan(loaded, url)
    target = make_target(url)
    report = engine.apply(plan, target, specs=loaded)
    return {"statements": target.statements, "row_transaction": round(max(o.seconds for o in report.outcomes), 3)}


def measure_peers(dbs: Databases, spec_file: Path, specs: Path, recon: str) -> dict:
    """The per-row loop, the executemany floor, and the floors of any recon process."""
    out = {}
    for mode in ("loop", "batch"):
        url = dbs.create(RBAC_DDL[dbs.dialect])
        out[mode] = summary([ok(run_process([sys.executable, str(BENCH_DIR / "rows_peers.py"), mode, url, str(spec_file)]), mode)])
        log(f"{dbs.dialect} {mode}: {out[mode]['seconds']:.2f}s")
    driver = {"postgresql": "sqlalchemy.dialects.postgresql.psycopg", "mysql": "sqlalchemy.dialects.mysql.pymysql", "sqlite": "sqlalchemy.dialects.sqlite"}[dbs.dialect]
    stack = f"import {driver}, sqlglot, jsonschema, yaml, click"
    out["import"] = summary([ok(run_process([sys.executable, "-c", stack]), "import")])
    parse = f"import yaml; yaml.load(open({str(spec_file)!r}), Loader=yaml.CSafeLoader)"
    out["parse"] = summary([ok(run_process([sys.executable, "-c", parse]), "parse")])
    out["validate"] = summary([ok(run_process([recon, "validate", "--specs", str(specs)]), "validate")])
    return out


def measure_seed(recon: str, dbs: Databases, work: Path) -> dict:
    """plan + apply of the half-changed 5,000-row seed: two processes."""
    specs = work / "seed-specs"
    write_seed(specs)
    url = dbs.create(seed_rows_sql(dbs.dialect))
    plan_file = work / f"seed-plan-{dbs.dialect}.json"
    plan = ok(run_process([recon, "plan", "--specs", str(specs), "--db", url, "--out", str(plan_file)]), "seed plan")
    apply = ok(run_process([recon, "apply", str(plan_file), "--db", url, "--allow-destructive"]), "seed apply")
    ok(run_process([recon, "plan", "--specs", str(specs), "--db", url, "--detailed-exitcode"]), "seed re-plan (not empty)")
    summary_ = json.loads(plan_file.read_text())["summary"]
    return {"plan": round(plan.seconds, 3), "apply": round(apply.seconds, 3), "total": round(plan.seconds + apply.seconds, 3), "summary": summary_}


def measure_dialect(recon: str, dialect: str, url: str, work: Path, args) -> dict:
    dbs = Databases(dialect, url, work)
    specs = work / "rbac-specs"
    try:
        result = measure_rbac(recon, dbs, specs, work, args.runs, args.grants)
        result.update(apply_in_process(dbs, specs))
        result["peers"] = measure_peers(dbs, specs / "rbac.yaml", specs, recon)
        result["seed"] = measure_seed(recon, dbs, work)
        if dialect == "postgresql" and args.scale:
            result["scale"] = {}
            for grants in args.scale:
                folder = work / f"scale-{grants}"
                write_rbac(folder, max(1, grants // 250), max(250, grants // 10), grants)
                result["scale"][grants] = measure_rbac(recon, dbs, folder, work, 1, grants)
        return result
    finally:
        dbs.drop_all()


def verdicts(results: dict) -> list[tuple[str, str, str, str]]:
    """The result table's rows: metric, value, target, verdict."""
    rows, pg = [], results.get("postgresql")
    for dialect, r in results.items():
        p = r["peers"]
        rows += [(f"{dialect}: plan --out", f"{r['plan']['seconds']:.2f} s, {r['plan']['rss_mb']:.0f} MB", f"<= {TARGETS['plan']} s, {TARGETS['rss']:.0f} MB",
                  _met(r["plan"]["seconds"] <= TARGETS["plan"] and r["plan"]["rss_mb"] <= TARGETS["rss"])),
                 (f"{dialect}: apply plan.json", f"{r['apply']['seconds']:.2f} s, {r['apply']['rss_mb']:.0f} MB", f"<= {TARGETS['apply']} s, {TARGETS['rss']:.0f} MB",
                  _met(r["apply"]["seconds"] <= TARGETS["apply"] and r["apply"]["rss_mb"] <= TARGETS["rss"])),
                 (f"{dialect}: no-op re-plan", f"{r['replan']['seconds']:.2f} s, {r['replan']['rss_mb']:.0f} MB", f"<= {TARGETS['replan']} s",
                  _met(r["replan"]["seconds"] <= TARGETS["replan"])),
                 (f"{dialect}: plan file", f"{r['plan_file_mb']:.2f} MB", f"<= {TARGETS['file_mb']} MB", _met(r["plan_file_mb"] <= TARGETS["file_mb"])),
                 (f"{dialect}: apply statements", str(r["statements"]), f"<= {TARGETS['statements']}", _met(r["statements"] <= TARGETS["statements"])),
                 (f"{dialect}: per-row loop / executemany floor", f"{p['loop']['seconds']:.2f} / {p['batch']['seconds']:.2f} s", "", ""),
                 (f"{dialect}: apply's row transaction (in-process)", f"{r['row_transaction']:.2f} s", "", ""),
                 (f"{dialect}: apply / loop, apply / floor", f"{r['apply']['seconds'] / p['loop']['seconds']:.2f} / {r['apply']['seconds'] / p['batch']['seconds']:.2f}", "", ""),
                 (f"{dialect}: import / +parse / +validate", f"{p['import']['seconds']:.2f} / {p['parse']['seconds']:.2f} / {p['validate']['seconds']:.2f} s", "", ""),
                 (f"{dialect}: seed 5,000 rows plan + apply", f"{r['seed']['plan']:.2f} + {r['seed']['apply']:.2f} = {r['seed']['total']:.2f} s",
                  f"<= {TARGETS['seed']} s" if dialect == "postgresql" else "", _met(r["seed"]["total"] <= TARGETS["seed"]) if dialect == "postgresql" else "")]
        if pg is not None and dialect != "postgresql":
            worst = max(r[k]["seconds"] / pg[k]["seconds"] for k in ("plan", "apply", "replan"))
            rows.append((f"{dialect} / postgresql (worst of plan, apply, re-plan)", f"{worst:.2f}", f"<= {TARGETS['vs_pg']}", _met(worst <= TARGETS["vs_pg"])))
    for grants, s in (pg or {}).get("scale", {}).items():
        rows.append((f"postgresql {grants} grants: plan / apply / re-plan", f"{s['plan']['seconds']:.2f} / {s['apply']['seconds']:.2f} / {s['replan']['seconds']:.2f} s", "", ""))
    rows += _growth(pg)
    return rows


def _growth(pg: dict | None) -> list:
    """Each step up in grants against the step up in seconds: linear or better is met."""
    scale = sorted((pg or {}).get("scale", {}).items())
    out = []
    for (a, sa), (b, sb) in zip(scale, scale[1:]):
        worst = max(sb[k]["seconds"] / sa[k]["seconds"] for k in ("plan", "apply", "replan"))
        out.append((f"postgresql {a} -> {b} grants: worst time ratio", f"{worst:.2f}", f"<= {b / a:.0f} (rows ratio)", _met(worst <= b / a)))
    return out


def _met(flag: bool) -> str:
    return "ok" if flag else "MISSED"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark seed and rbac rows at production size.")
    parser.add_argument("--dialects", default="postgresql,mysql,sqlite", help="comma-separated (default all three)")
    parser.add_argument("--pg-url", default=DEFAULT_URLS["postgresql"], help="an existing PostgreSQL database, to create the bench's")
    parser.add_argument("--mysql-url", default=DEFAULT_URLS["mysql"], help="an existing MariaDB/MySQL database, to create the bench's")
    parser.add_argument("--roles", type=int, default=200)
    parser.add_argument("--permissions", type=int, default=5000)
    parser.add_argument("--grants", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=3, help="runs of plan, apply and re-plan (best is reported; default 3)")
    parser.add_argument("--scale", default="5000,50000,200000", help="grant counts for the PostgreSQL scaling run ('' skips it)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    args.scale = [int(x) for x in args.scale.split(",") if x]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    recon = recon_executable()
    work = Path(tempfile.mkdtemp(prefix="recon-rows-"))
    try:
        write_rbac(work / "rbac-specs", args.roles, args.permissions, args.grants)
        urls = {"postgresql": args.pg_url, "mysql": args.mysql_url, "sqlite": ""}
        results = {d: measure_dialect(recon, d, urls[d], work, args) for d in args.dialects.split(",")}
    except RuntimeError as exc:
        log(f"FAILED: {exc}")
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    header = (f"recon rows benchmark: {args.roles} roles, {args.permissions} permissions, {args.grants} grants; seed {SEED_ROWS} rows; "
              f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; best of {args.runs}; peak RSS from "
              f"{'GNU time' if GNU_TIME else 'wait4'}")
    if args.json:
        print(json.dumps({"args": vars(args), "results": results, "targets": TARGETS}, indent=2, default=str))
    else:
        footer = "all runs (s): " + "; ".join(f"{d} plan {r['plan']['all']} apply {r['apply']['all']} re-plan {r['replan']['all']}" for d, r in results.items())
        print(table_text(header, verdicts(results), footer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
