"""Where a recon process spends its time: ``-X importtime`` and cProfile summaries of one run.

Used by ``matrix.py --profile`` and on its own::

    python bench/matrix_profile.py -- recon audit --specs DIR --db URL
    python bench/matrix_profile.py --top 25 -- recon apply plan.json --db URL

The command is the ``recon`` console script (a Python file) and its arguments. It runs
twice, both times as a whole process of this interpreter:

1. ``python -X importtime recon ...``: the import time of each top-level package
   (cumulative, microseconds summed by the package's first name: ``sqlglot``,
   ``sqlalchemy``, ``psycopg``, ``engine``, ...), and their total;
2. ``python -m cProfile -o FILE recon ...``: the self time of every function summed by
   *area* (the package or ``engine`` stage its file belongs to; time the process spends
   waiting on the server shows up in the driver's socket calls, the ``db wait`` area),
   the total spent importing (``importlib``'s ``_find_and_load``, cumulative), and the
   ``engine`` functions with the largest cumulative time. Deterministic profiling slows
   Python code down more than waits and C code, so the shares are a guide, not a timing.

Prints a plain-text summary (``--json`` for JSON). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

# Built-in functions whose self time is the process waiting on the database server.
WAIT_BUILTINS = ("wait_c", "recv", "poll", "select", "send")
# Wrappers listed by cumulative time that say nothing about where the time goes.
SKIPPED = ("<module>", "wrapper", "__getattr__", "<lambda>", "<listcomp>", "<genexpr>", "<dictcomp>")


def importtime(cmd: list[str]) -> dict:
    """Import time by package of one ``python -X importtime`` run of ``cmd`` (seconds).

    A package's figure is the cumulative time of its outermost imports, wherever they
    happen (``sqlglot`` imported by ``engine`` counts under both: ``engine``'s figure
    includes what it imports); ``total_seconds`` sums the top-level imports only.
    """
    done = subprocess.run([sys.executable, "-X", "importtime", *cmd], check=False, capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        _self_us, cumulative, name = line[len("import time:"):].split("|", 2)
        field = name.removeprefix(" ")
        rows.append(((len(field) - len(field.lstrip())) // 2, field.strip().split(".")[0], int(cumulative)))
    packages: dict[str, int] = {}
    total, stack = 0, []
    for depth, root, us in reversed(rows):  # importtime prints children first: reversed, parents come first
        del stack[depth:]
        if depth == 0:
            total += us
        if root not in stack:
            packages[root] = packages.get(root, 0) + us
        stack.append(root)
    top = sorted(packages.items(), key=lambda kv: -kv[1])
    return {"returncode": done.returncode, "total_seconds": round(total / 1e6, 4),
            "packages": {name: round(us / 1e6, 4) for name, us in top if us >= 5000}}


def _area(filename: str, name: str) -> str:
    """The area a function's self time is counted under."""
    if filename == "~":
        return "db wait (socket)" if any(w in name for w in WAIT_BUILTINS) else "builtins (C code)"
    if filename.startswith("<frozen"):
        return "import machinery"
    parts = Path(filename).parts
    if "engine" in parts and "site-packages" not in parts:
        at = len(parts) - 1 - parts[::-1].index("engine")
        stage = parts[at + 1] if at + 2 < len(parts) else "root"
        return f"engine/{stage.removesuffix('.py')}" if stage != "root" else "engine"
    if "site-packages" in parts:
        at = parts.index("site-packages")
        if name == "wait" and parts[at + 1] == "psycopg":  # psycopg's loop waiting for the server's answer
            return "db wait (socket)"
        return parts[at + 1].removesuffix(".py").split("-")[0] if at + 1 < len(parts) else "site-packages"
    if "bench" in parts:
        return "bench"
    return "python stdlib"


def cprofile(cmd: list[str], top: int = 12) -> dict:
    """Self time by area, time in imports, and the top ``engine`` functions of one cProfile run of ``cmd``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.prof")
        done = subprocess.run([sys.executable, "-m", "cProfile", "-o", out, *cmd], check=False, capture_output=True, text=True)
        if not os.path.exists(out):
            return {"returncode": done.returncode, "error": done.stderr.strip()[-2000:]}
        stats = pstats.Stats(out)
    areas: dict[str, float] = {}
    imports = 0.0
    engine_fns, self_fns = [], []
    for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
        area = _area(filename, name)
        areas[area] = areas.get(area, 0.0) + tottime
        if name == "_find_and_load" and filename.startswith("<frozen"):
            imports = max(imports, cumtime)
        where = name if filename == "~" else f"{_short(filename)}:{line}({name})"
        self_fns.append((tottime, where))
        if area.startswith("engine") and area != "engine/cli" and name not in SKIPPED:
            engine_fns.append((cumtime, where))
    engine_fns.sort(reverse=True)
    self_fns.sort(reverse=True)
    return {"returncode": done.returncode, "total_seconds": round(stats.total_tt, 4), "imports_seconds": round(imports, 4),
            "self_by_area": {k: round(v, 4) for k, v in sorted(areas.items(), key=lambda kv: -kv[1]) if v >= 0.005},
            "engine_cumulative": [{"function": f, "seconds": round(s, 4)} for s, f in engine_fns[:top]],
            "self_top": [{"function": f, "seconds": round(s, 4)} for s, f in self_fns[:top]]}


def _short(filename: str) -> str:
    parts = Path(filename).parts
    if "engine" in parts:
        return "/".join(parts[len(parts) - 1 - parts[::-1].index("engine"):])
    return Path(filename).name


def profile(cmd: list[str], top: int = 12) -> dict:
    """Both summaries of ``cmd``."""
    return {"command": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)),
            "importtime": importtime(cmd), "cprofile": cprofile(cmd, top)}


def render(label: str, result: dict) -> str:
    """One profile as plain text."""
    imp, prof = result["importtime"], result["cprofile"]
    lines = [f"profile: {label}: {result['command']}",
             f"  -X importtime: {imp['total_seconds']:.3f} s of imports; " + ", ".join(f"{k} {v:.3f}" for k, v in imp["packages"].items())]
    if "error" in prof:
        return "\n".join(lines + [f"  cProfile failed: {prof['error']}"])
    lines.append(f"  cProfile: {prof['total_seconds']:.3f} s in all, {prof['imports_seconds']:.3f} s of it importing")
    lines.append("  self time by area: " + ", ".join(f"{k} {v:.3f}" for k, v in prof["self_by_area"].items()))
    lines.append("  engine functions by cumulative time:")
    lines += [f"    {e['seconds']:7.3f} s  {e['function']}" for e in prof["engine_cumulative"]]
    lines.append("  functions by self time:")
    lines += [f"    {e['seconds']:7.3f} s  {e['function']}" for e in prof["self_top"]]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Import time and cProfile summary of one recon process.")
    parser.add_argument("--top", type=int, default=15, help="engine functions listed by cumulative time (default 15)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- recon COMMAND ARGS (recon: the console script)")
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("give the command after --")
    if cmd[0] == "recon":
        import shutil

        cmd[0] = shutil.which("recon", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])) or "recon"
    result = profile(cmd, args.top)
    print(json.dumps(result, indent=2) if args.json else render("recon", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
