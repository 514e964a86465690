"""Benchmark: ``recon audit`` on a large PostgreSQL schema, against Alembic and pg_dump.

One run of ``python bench/audit_bench.py [--tables 1000] [--pg-url URL]``:

1. creates a throwaway database with N tables (21 mixed-type columns, a primary
   key, one secondary index and one foreign key each; see ``benchschema``),
2. writes a fingerprint of 3 canaries per table (N table checks, 1.5 N column
   checks with type and nullability, 0.3 N index checks, 0.2 N constraint
   checks) and validates it with ``recon validate``,
3. times ``recon audit --format json --report FILE`` as a whole process (best of
   ``--runs``) and records its peak resident memory,
4. counts the SQL statements an in-process ``engine.audit`` sends at
   ``--ref-tables`` (100) and at N tables (they should be equal),
5. times the peers on the same database, also whole processes: Alembic's
   ``compare_metadata`` (``alembic_peer.py``) and ``pg_dump --schema-only``,
6. prints a result table (or JSON with ``--json``).

The databases are dropped (``WITH (FORCE)``) and the spec folder removed at the
end, whatever happens. Progress goes to stderr; results go to stdout.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from benchschema import COLUMNS, table_ddl  # noqa: E402
from benchschema import tables as schema_tables

DEFAULT_PG_URL = os.environ.get("RECON_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DDL_BATCH = 100  # tables per transaction in the DDL script (keeps the lock table small)

# Canaries per table, by kind: 1 + 1.5 + 0.3 + 0.2 = 3 per table (3,000 at 1,000 tables).
SHARE_TABLES, SHARE_COLUMNS, SHARE_INDEXES, SHARE_CONSTRAINTS = 1.0, 1.5, 0.3, 0.2

# Targets the result table is judged against.
TARGET_RECON_VS_ALEMBIC = 0.25
TARGET_RECON_VS_PG_DUMP = 1.5
TARGET_PEAK_RSS_MB = 150.0


def log(message: str) -> None:
    """Progress line on stderr (stdout carries only the results)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- databases -----------------------------------------------------------------------------

@dataclass
class Server:
    """The PostgreSQL server reached through ``admin_url`` (a database that exists, e.g. ``postgres``)."""

    admin_url: str
    created: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        """SQLAlchemy/libpq URL of ``database`` on this server (plain ``postgresql://``, password kept)."""
        from sqlalchemy.engine import make_url

        url = make_url(self.admin_url).set(drivername="postgresql", database=database)
        return url.render_as_string(hide_password=False)

    def _admin(self):
        import psycopg

        return psycopg.connect(self.url(_database_of(self.admin_url)), autocommit=True)

    def server_version(self) -> str:
        """The server's ``server_version`` setting."""
        import psycopg

        try:
            with self._admin() as conn:
                return conn.execute("SHOW server_version").fetchone()[0]
        except psycopg.Error as exc:
            raise RuntimeError(f"cannot reach PostgreSQL through --pg-url: {str(exc).strip()}") from None

    def create_database(self, prefix: str, template: str | None = None) -> str:
        """Create a fresh database with a unique name and return the name.

        With ``template`` (the name of a database this server holds, with no
        open connection), the new database is a file-level copy of it:
        ``CREATE DATABASE x TEMPLATE template``, much faster than rebuilding.
        """
        from psycopg import sql

        name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        with self._admin() as conn:
            conn.execute(statement)
        self.created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop one database this run created (``WITH (FORCE)``) and forget it."""
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        """Drop every database this run created (``WITH (FORCE)``), reporting failures without raising."""
        from psycopg import sql

        for name in reversed(self.created):
            try:
                with self._admin() as conn:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                log(f"dropped database {name}")
            except Exception as exc:  # noqa: BLE001 - cleanup must go on
                log(f"WARNING: could not drop database {name}: {exc}")
        self.created.clear()


def _database_of(url_text: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url_text).database or "postgres"


def build_schema(url: str, count: int, workdir: Path) -> float:
    """Create the ``count``-table schema in ``url`` with one ``psql -f`` call; return the seconds taken.

    The script commits every ``DDL_BATCH`` tables (one transaction for
    thousands of tables can exhaust the server's lock table) and turns
    ``synchronous_commit`` off for speed.
    """
    script = workdir / f"schema-{count}.sql"
    defs = schema_tables(count)
    with script.open("w", encoding="utf-8") as out:
        out.write("SET synchronous_commit = off;\nSET client_min_messages = warning;\n")
        for start in range(0, count, DDL_BATCH):
            out.write("BEGIN;\n")
            for table in defs[start:start + DDL_BATCH]:
                out.write(table_ddl(table))
            out.write("COMMIT;\n")
        out.write("ANALYZE;\n")
    started = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


# -- specs ---------------------------------------------------------------------------------

def fingerprint_checks(count: int) -> list[dict]:
    """Canaries over the ``count``-table schema: 3 per table, spread over every table.

    Table checks for every table; column checks (with type and nullability)
    cycling through the columns so that no (table, column) pair repeats;
    index and constraint checks (``on`` their table) on evenly spaced tables,
    constraints alternating between the primary and the foreign key.
    """
    defs = schema_tables(count)
    checks: list[dict] = [{"table": t.name} for t in defs]
    for k in range(round(SHARE_COLUMNS * count)):
        table = defs[k % count]
        column = COLUMNS[(k % count * 3 + k // count * 11) % len(COLUMNS)]
        checks.append({"column": f"{table.name}.{column.name}", "type": column.portable, "nullable": column.nullable})
    n_indexes = round(SHARE_INDEXES * count)
    for k in range(n_indexes):
        table = defs[k * count // n_indexes]
        checks.append({"index": table.index, "on": table.name})
    n_constraints = round(SHARE_CONSTRAINTS * count)
    for k in range(n_constraints):
        table = defs[k * count // n_constraints]
        checks.append({"constraint": table.pkey if k % 2 == 0 else table.fkey, "on": table.name})
    return checks


def write_specs(folder: Path, count: int) -> int:
    """Write the fingerprint spec for ``count`` tables into ``folder``; return the number of canaries."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    checks = fingerprint_checks(count)
    doc = {"kind": "fingerprint", "name": "bench", "description": f"{len(checks)} canaries over {count} tables", "checks": checks}
    (folder / "fingerprint.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False), encoding="utf-8")
    return len(checks)


def validate_specs(recon: str, folder: Path) -> None:
    """Run ``recon validate --specs folder``; raise with its output if the specs are invalid."""
    done = subprocess.run([recon, "validate", "--specs", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"recon validate failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    log(done.stdout.strip())


# -- measurement ---------------------------------------------------------------------------

@dataclass
class Run:
    """One whole-process run: wall seconds, peak resident set (MB), exit code, captured output."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def gnu_time() -> str | None:
    """``/usr/bin/time`` when it is GNU time (accepts ``-v -o FILE``), else None."""
    path = "/usr/bin/time"
    if not os.access(path, os.X_OK):
        return None
    probe = subprocess.run([path, "-v", "-o", os.devnull, "true"], capture_output=True)
    return path if probe.returncode == 0 else None


GNU_TIME = gnu_time()


def run_process(cmd: list[str]) -> Run:
    """Run ``cmd`` to completion; return its wall time and the peak RSS of that process alone.

    Peak RSS comes from GNU ``/usr/bin/time -v`` when present: ``time`` is a
    small process, so the figure is the command's own. Without it, the figure
    comes from ``os.wait4`` on the child and is an upper bound: Linux carries a
    process's high-water RSS across ``exec``, so a child forked from this
    (larger) Python process may report this process's RSS at fork time.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, tempfile.NamedTemporaryFile("r") as timing:
        full = [GNU_TIME, "-v", "-o", timing.name, *cmd] if GNU_TIME else cmd
        started = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak_kb = usage.ru_maxrss
        if GNU_TIME:
            for line in timing.read().splitlines():
                if "Maximum resident set size" in line:
                    peak_kb = int(line.rsplit(":", 1)[1])
        out.seek(0)
        err.seek(0)
        return Run(seconds, peak_kb / 1024.0, proc.returncode, out.read(), err.read())


@dataclass
class Measure:
    """Best-of-N result of one command."""

    name: str
    runs: list[Run]

    @property
    def best(self) -> float:
        return min(r.seconds for r in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        """The highest peak RSS over the runs (the conservative figure)."""
        return max(r.peak_rss_mb for r in self.runs)

    @property
    def last(self) -> Run:
        return self.runs[-1]

    def to_dict(self) -> dict:
        return {"seconds_best": round(self.best, 4), "seconds_all": [round(r.seconds, 4) for r in self.runs], "peak_rss_mb": round(self.peak_rss_mb, 1)}


def best_of(name: str, cmd: list[str], runs: int) -> Measure:
    """Run ``cmd`` ``runs`` times; raise with its stderr if any run fails."""
    results = []
    for i in range(runs):
        run = run_process(cmd)
        if run.returncode != 0:
            raise RuntimeError(f"{name} failed (exit {run.returncode}): {' '.join(cmd)}\n{run.stderr.strip()[-4000:]}")
        log(f"{name} run {i + 1}/{runs}: {run.seconds:.3f}s, peak RSS {run.peak_rss_mb:.1f} MB")
        results.append(run)
    return Measure(name, results)


def recon_executable() -> str:
    """The ``recon`` console script of this interpreter's environment, else the one on PATH.

    recon is measured as installed: ``pip install .`` byte-compiles the package, while an
    editable install (the bench's usual setup) leaves ``engine/`` as sources that every run
    compiles again where ``PYTHONDONTWRITEBYTECODE`` is set. So ``engine/`` is compiled
    first, as the peers' libraries in site-packages already are.
    """
    import compileall

    import engine

    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("recon", path=search)
    if found is None:
        raise RuntimeError("no `recon` executable found (activate the project's virtualenv)")
    compileall.compile_dir(str(Path(engine.__file__).parent), quiet=1)
    return found


def measure_recon(recon: str, specs: Path, url: str, report: Path, runs: int, expected: int) -> tuple[Measure, dict]:
    """Time ``recon audit --format json --report FILE``; return the measure and the fingerprint summary.

    Prints a loud warning when the report does not say ``expected/expected`` passed.
    """
    cmd = [recon, "audit", "--specs", str(specs), "--db", url, "--format", "json", "--report", str(report)]
    measure = best_of("recon audit", cmd, runs)
    fingerprint = json.loads(report.read_text(encoding="utf-8"))["fingerprint"]
    passed, total = fingerprint["passed"], fingerprint["total"]
    if passed != expected or total != expected:
        failing = [f"{c['name']}: {c['detail']}" for c in fingerprint["checks"] if c["status"] != "pass"][:10]
        bar = "!" * 78
        log(f"\n{bar}\nWARNING: recon audit passed {passed}/{total} canaries, expected {expected}/{expected}\n" + "\n".join(failing) + f"\n{bar}")
    return measure, {"passed": passed, "total": total, "expected": expected}


def audit_in_process(specs: Path, url: str) -> dict:
    """Load the specs and audit through the Python API, in this process.

    Returns the report's ``stats`` (``catalog_queries``, ``statements``), the
    fingerprint score, and the seconds spent in ``load_specs`` and ``audit``
    (one run each; the first call in a process also pays for lazy imports).
    """
    import engine

    started = time.perf_counter()
    specs_obj = engine.load_specs(str(specs))
    loaded = time.perf_counter()
    report = engine.audit(specs_obj, url).to_dict()
    done = time.perf_counter()
    return {**report["stats"], "passed": report["fingerprint"]["passed"], "total": report["fingerprint"]["total"],
            "load_specs_seconds": round(loaded - started, 4), "audit_seconds": round(done - loaded, 4)}


def measure_alembic(url: str, count: int, runs: int) -> tuple[Measure, dict]:
    """Time ``alembic_peer.py`` (Alembic ``compare_metadata``); return the measure and its JSON summary."""
    cmd = [sys.executable, str(BENCH_DIR / "alembic_peer.py"), "--url", url, "--tables", str(count)]
    measure = best_of("alembic compare_metadata", cmd, runs)
    summary = json.loads(measure.last.stdout.strip().splitlines()[-1])
    if summary["diffs"]:
        log(f"WARNING: Alembic found {summary['diffs']} differences (expected 0): {summary['sample_diffs']}")
    return measure, summary


def measure_pg_dump(url: str, runs: int) -> Measure:
    """Time ``pg_dump --schema-only -d URL -f /dev/null``."""
    return best_of("pg_dump --schema-only", ["pg_dump", "--schema-only", "-d", url, "-f", os.devnull], runs)


# -- results -------------------------------------------------------------------------------

def collect(args, server_version: str, canaries: int, setup: dict, recon: Measure, recon_fp: dict,
            stmts_ref: dict, stmts_n: dict, alembic: Measure, alembic_summary: dict, pg_dump: Measure) -> dict:
    """Everything measured, with ratios and whether each target is met."""
    ratio_alembic = recon.best / alembic.best
    ratio_pg_dump = recon.best / pg_dump.best
    equal = stmts_ref["statements"] == stmts_n["statements"] and stmts_ref["catalog_queries"] == stmts_n["catalog_queries"]
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": {"python": platform.python_version(), "postgresql": server_version, "cpus": os.cpu_count(), "platform": platform.platform()},
        "tables": args.tables,
        "columns_per_table": len(COLUMNS),
        "canaries": canaries,
        "runs": args.runs,
        "setup_seconds": setup,
        "peak_rss_source": "GNU time -v" if GNU_TIME else "os.wait4 (upper bound: includes the bench process's RSS at fork)",
        "recon": {**recon.to_dict(), "fingerprint": recon_fp,
                  "in_process": {"load_specs_seconds": stmts_n["load_specs_seconds"], "audit_seconds": stmts_n["audit_seconds"]}},
        "alembic": {**alembic.to_dict(), "statements": alembic_summary["statements"], "diffs": alembic_summary["diffs"]},
        "pg_dump": pg_dump.to_dict(),
        "statements": {"ref_tables": args.ref_tables, "at_ref": stmts_ref, "at_n": stmts_n, "equal": equal},
        "ratios": {"recon_vs_alembic": round(ratio_alembic, 4), "recon_vs_pg_dump": round(ratio_pg_dump, 4)},
        "targets": {
            "recon_vs_alembic": {"target": f"<= {TARGET_RECON_VS_ALEMBIC}", "met": ratio_alembic <= TARGET_RECON_VS_ALEMBIC},
            "recon_vs_pg_dump": {"target": f"<= {TARGET_RECON_VS_PG_DUMP}", "met": ratio_pg_dump <= TARGET_RECON_VS_PG_DUMP},
            "peak_rss_mb": {"target": f"< {TARGET_PEAK_RSS_MB:g}", "met": recon.peak_rss_mb < TARGET_PEAK_RSS_MB},
            "statements_constant": {"target": "equal", "met": equal},
            "all_canaries_pass": {"target": f"{canaries}/{canaries}", "met": recon_fp["passed"] == recon_fp["total"] == canaries},
        },
    }


def render_table(r: dict) -> str:
    """The results as a fixed-width text table."""
    t = r["targets"]
    mark = lambda key: "ok" if t[key]["met"] else "MISSED"  # noqa: E731
    s = r["statements"]
    rows = [
        ("recon audit (best of %d)" % r["runs"], f"{r['recon']['seconds_best']:.3f} s", "", ""),
        ("alembic compare_metadata", f"{r['alembic']['seconds_best']:.3f} s", "", ""),
        ("pg_dump --schema-only", f"{r['pg_dump']['seconds_best']:.3f} s", "", ""),
        ("recon / alembic", f"{r['ratios']['recon_vs_alembic']:.3f}", t["recon_vs_alembic"]["target"], mark("recon_vs_alembic")),
        ("recon / pg_dump", f"{r['ratios']['recon_vs_pg_dump']:.3f}", t["recon_vs_pg_dump"]["target"], mark("recon_vs_pg_dump")),
        ("recon peak RSS", f"{r['recon']['peak_rss_mb']:.1f} MB", t["peak_rss_mb"]["target"], mark("peak_rss_mb")),
        (f"recon statements @ {s['ref_tables']} tables", f"{s['at_ref']['statements']} ({s['at_ref']['catalog_queries']} catalog)", "", ""),
        (f"recon statements @ {r['tables']} tables", f"{s['at_n']['statements']} ({s['at_n']['catalog_queries']} catalog)", "equal", mark("statements_constant")),
        ("alembic statements", f"{r['alembic']['statements']}", "", ""),
        ("canaries passed", f"{r['recon']['fingerprint']['passed']}/{r['recon']['fingerprint']['total']}", t["all_canaries_pass"]["target"], mark("all_canaries_pass")),
        ("alembic peak RSS / pg_dump peak RSS", f"{r['alembic']['peak_rss_mb']:.1f} / {r['pg_dump']['peak_rss_mb']:.1f} MB", "", ""),
        ("recon in-process: load_specs / audit", f"{r['recon']['in_process']['load_specs_seconds']:.3f} / {r['recon']['in_process']['audit_seconds']:.3f} s", "", ""),
    ]
    header = (f"recon audit benchmark: {r['tables']} tables x {r['columns_per_table']} columns, {r['canaries']} canaries; "
              f"PostgreSQL {r['environment']['postgresql']}, Python {r['environment']['python']}, {r['environment']['cpus']} CPUs")
    all_runs = (f"all runs (s): recon {r['recon']['seconds_all']}, alembic {r['alembic']['seconds_all']}, pg_dump {r['pg_dump']['seconds_all']}; "
                f"setup (s): {r['setup_seconds']}; peak RSS from {r['peak_rss_source']}")
    return table_text(header, rows, all_runs)


def table_text(header: str, rows: list[tuple[str, str, str, str]], footer: str) -> str:
    """The result table both benches print: metric, value, target, verdict."""
    widths = [max(len(row[i]) for row in rows + [("metric", "value", "target", "")]) for i in range(4)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    rule = tuple("-" * w for w in widths)
    return "\n".join([header, "", line(("metric", "value", "target", "")), line(rule)] + [line(row) for row in rows] + ["", footer, ""])


# -- main ----------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Benchmark recon audit against Alembic compare_metadata and pg_dump on a large PostgreSQL schema.")
    parser.add_argument("--tables", type=int, default=1000, help="tables in the benchmark schema (default 1000)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="URL of an existing database on the server, used to create/drop the bench databases "
                        "(default $RECON_BENCH_PG_URL or postgresql://postgres@127.0.0.1:5432/postgres)")
    parser.add_argument("--ref-tables", type=int, default=100, help="size of the second schema for the statement-count comparison (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command; the best is reported (default 3)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = parser.parse_args(argv)
    if args.tables < 1 or args.ref_tables < 1 or args.runs < 1:
        parser.error("--tables, --ref-tables and --runs must be positive")
    return args


def main(argv=None) -> int:
    """Run the whole benchmark; 0 when it completed (targets are reported, not enforced), 1 on error."""
    args = parse_args(argv)
    server = Server(args.pg_url)
    workdir = Path(tempfile.mkdtemp(prefix="recon-audit-bench-"))
    try:
        recon = recon_executable()
        version = server.server_version()
        setup: dict = {}

        main_db = server.url(server.create_database("recon_bench"))
        log(f"building {args.tables} tables")
        setup["schema_n"] = round(build_schema(main_db, args.tables, workdir), 2)
        specs_n = workdir / "specs-n"
        canaries = write_specs(specs_n, args.tables)
        validate_specs(recon, specs_n)

        if args.ref_tables == args.tables:
            ref_db, specs_ref = main_db, specs_n
        else:
            ref_db = server.url(server.create_database("recon_bench_ref"))
            log(f"building {args.ref_tables} tables (statement-count reference)")
            setup["schema_ref"] = round(build_schema(ref_db, args.ref_tables, workdir), 2)
            specs_ref = workdir / "specs-ref"
            write_specs(specs_ref, args.ref_tables)
            validate_specs(recon, specs_ref)

        recon_m, recon_fp = measure_recon(recon, specs_n, main_db, workdir / "audit-report.json", args.runs, canaries)
        stmts_ref = audit_in_process(specs_ref, ref_db)
        stmts_n = audit_in_process(specs_n, main_db)
        log(f"statements: {stmts_ref['statements']} @ {args.ref_tables} tables, {stmts_n['statements']} @ {args.tables} tables")
        alembic_m, alembic_summary = measure_alembic(main_db, args.tables, args.runs)
        pg_dump_m = measure_pg_dump(main_db, args.runs)

        results = collect(args, version, canaries, setup, recon_m, recon_fp, stmts_ref, stmts_n, alembic_m, alembic_summary, pg_dump_m)
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
