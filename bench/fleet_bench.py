"""Benchmark: ``recon audit --targets FILE`` of a fleet against one ``recon audit``.

One run of ``python bench/fleet_bench.py [--sqlite 200] [--postgres 50]``:

1. SQLite: applies the example specs (``specs/``: products and RBAC, 7 canaries, 7 invariants)
   to one database file, copies it ``--sqlite`` times, and writes a targets file naming them;
2. PostgreSQL: applies the same specs to a base database and clones it ``--postgres`` times
   (``CREATE DATABASE ... TEMPLATE``);
3. per dialect, times as whole processes, best of ``--runs``: ``recon audit --db ONE --format
   json`` and ``recon audit --targets FILE --format json`` (default ``--parallel``, and the
   ``--parallel`` values of ``--also-parallel``), with the peak RSS of each process (GNU
   ``/usr/bin/time -v``, else ``os.wait4``), and checks every row of the fleet report passed;
4. prints the ratios against the targets: SQLite fleet <= 10x one audit, PostgreSQL fleet
   <= 5x one audit, peak memory <= 2x one audit's.

The databases and files are removed at the end, whatever happens. Progress on stderr, results
on stdout (``--json`` for JSON). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from audit_bench import DEFAULT_PG_URL, Server, best_of, log, recon_executable  # noqa: E402

SPECS = BENCH_DIR.parent / "specs"
TARGETS = {"sqlite": 10.0, "postgresql": 5.0}  # fleet time / one audit's
TARGET_RSS = 2.0  # fleet peak RSS / one audit's


def apply_specs(recon: str, url: str) -> None:
    done = subprocess.run([recon, "apply", "--specs", str(SPECS), "--db", url, "--auto-approve", "--no-env"], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"recon apply failed on the base database: {done.stderr.strip()}")


def sqlite_fleet(recon: str, work: Path, count: int) -> tuple[str, Path]:
    """``count`` copies of one applied SQLite file; (the URL of the first, the targets file)."""
    base = work / "base.db"
    import sqlite3

    sqlite3.connect(base).close()
    apply_specs(recon, f"sqlite:///{base}")
    lines = []
    for i in range(count):
        copy = work / f"tenant{i:04d}.db"
        shutil.copyfile(base, copy)
        lines.append(f"- {{name: tenant{i:04d}, url: 'sqlite:///{copy}'}}\n")
    targets = work / "sqlite-targets.yaml"
    targets.write_text("".join(lines), encoding="utf-8")
    return f"sqlite:///{work / 'tenant0000.db'}", targets


def postgres_fleet(recon: str, server: Server, work: Path, count: int) -> tuple[str, Path]:
    """``count`` clones of one applied PostgreSQL database; (the URL of the first, the targets file)."""
    base = server.create_database("recon_fleet_base")
    apply_specs(recon, server.url(base))
    names = [server.create_database("recon_fleet", template=base) for _ in range(count)]
    targets = work / "postgres-targets.yaml"
    targets.write_text("".join(f"- {{name: {n}, url: '{server.url(n)}'}}\n" for n in names), encoding="utf-8")
    return server.url(names[0]), targets


def measure(recon: str, dialect: str, one_url: str, targets: Path, runs: int, parallels: list[int]) -> dict:
    """One audit and the fleet audit(s), whole processes, best of ``runs``; the fleet rows all checked."""
    base = [recon, "audit", "--specs", str(SPECS), "--format", "json"]
    one = best_of(f"{dialect} one audit", base + ["--db", one_url], runs)
    result = {"one": one.to_dict(), "fleets": {}}
    for parallel in [None, *parallels]:
        extra = ["--parallel", str(parallel)] if parallel else []
        label = f"parallel {parallel}" if parallel else "default parallel"
        fleet = best_of(f"{dialect} fleet audit ({label})", base + ["--targets", str(targets), *extra], runs)
        rows = json.loads(fleet.last.stdout)["targets"]
        bad = [r["name"] for r in rows if r["exit_code"] != 0 or not r["report"]["ok"]]
        if bad:
            log(f"WARNING: {len(bad)} fleet rows did not pass: {bad[:5]}")
        result["fleets"][label] = {**fleet.to_dict(), "targets": len(rows), "time_ratio": round(fleet.best / one.best, 2),
                                   "rss_ratio": round(fleet.peak_rss_mb / one.peak_rss_mb, 2)}
    return result


def render(results: dict) -> str:
    lines = [f"{'dialect':<11} {'run':<26} {'targets':>7} {'seconds':>8} {'peak MB':>8} {'x time':>7} {'x RSS':>6}  target"]
    for dialect, r in results.items():
        one = r["one"]
        lines.append(f"{dialect:<11} {'one audit':<26} {1:>7} {one['seconds_best']:>8.3f} {one['peak_rss_mb']:>8.1f}")
        for label, f in r["fleets"].items():
            met = f["time_ratio"] <= TARGETS[dialect] and f["rss_ratio"] <= TARGET_RSS
            lines.append(f"{dialect:<11} {'fleet, ' + label:<26} {f['targets']:>7} {f['seconds_best']:>8.3f} {f['peak_rss_mb']:>8.1f} "
                         f"{f['time_ratio']:>7.2f} {f['rss_ratio']:>6.2f}  <= {TARGETS[dialect]:g}x time, <= {TARGET_RSS:g}x RSS: "
                         f"{'met' if met else 'NOT MET'}")
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=int, default=200, help="SQLite databases in the fleet (0: skip)")
    parser.add_argument("--postgres", type=int, default=50, help="PostgreSQL databases in the fleet (0: skip)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="an existing database on the server (its role needs CREATEDB)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--also-parallel", default="1,8", help="further --parallel values to time (comma-separated; '' none)")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    parallels = [int(p) for p in args.also_parallel.split(",") if p.strip()]
    recon = recon_executable()
    server = Server(args.pg_url)
    work = Path(tempfile.mkdtemp(prefix="recon-fleet-bench-"))
    results = {}
    try:
        if args.sqlite:
            log(f"SQLite: {args.sqlite} databases")
            results["sqlite"] = measure(recon, "sqlite", *sqlite_fleet(recon, work, args.sqlite), args.runs, parallels)
        if args.postgres:
            log(f"PostgreSQL {server.server_version()}: {args.postgres} databases")
            results["postgresql"] = measure(recon, "postgresql", *postgres_fleet(recon, server, work, args.postgres), args.runs, parallels)
    except Exception as exc:  # noqa: BLE001 - the bench reports and exits 1
        log(f"FAILED: {exc}")
        return 1
    finally:
        server.drop_all()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2) if args.json else render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
