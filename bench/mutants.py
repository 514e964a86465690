"""Mutation check of the gates and guards: each mutant breaks one on purpose, and some test must fail.

Run by hand (not by .ci/run): ``python bench/mutants.py [NAME ...] [--list]``. For each mutant the
script replaces one snippet of one engine file in place, runs the test files named for it, and puts
the file back (also on Ctrl-C). A mutant that leaves every test green is *survived*: a gate a test
does not guard. Exit 1 when any survives. The files it edits must be unchanged in git first.

Each mutant names the tests most likely to kill it, to keep a run short; ``--all-tests`` runs the
whole suite for each instead (slow: the suite takes minutes).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    """One deliberate defect: in ``path``, ``old`` (which must occur exactly once) becomes ``new``."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant("raw-sql-never-destructive", "engine/spec/sqltext.py",
           '    """DROP, TRUNCATE, ALTER ... DROP, and DELETE/UPDATE without WHERE lose data."""\n',
           '    """DROP, TRUNCATE, ALTER ... DROP, and DELETE/UPDATE without WHERE lose data."""\n    return False\n',
           ("tests/test_raw_sql_gates.py", "tests/test_gates.py", "tests/test_validate.py")),
    Mutant("missing-guard-inverted", "engine/auditing/canaries.py",
           'return exists if polarity == "exists" else not exists', 'return exists if polarity == "exists" else exists',
           ("tests/test_raw_sql_gates.py", "tests/test_plan_rules.py")),
    Mutant("promote-from-unset-passes", "engine/planning/gates.py",
           "    if gaps is None:\n        raise SafetyRefusal(", "    if gaps is None:\n        return\n        raise SafetyRefusal(",
           ("tests/test_gates.py",)),
    Mutant("promote-from-gaps-pass", "engine/planning/gates.py",
           "    if gaps:\n        raise SafetyRefusal(f\"promote_from", "    if False:\n        raise SafetyRefusal(f\"promote_from",
           ("tests/test_gates.py",)),
    Mutant("window-always-open", "engine/planning/gates.py",
           "    open_, text = window_state(gates, now)\n", "    open_, text = window_state(gates, now)\n    open_ = True\n",
           ("tests/test_gates.py",)),
    Mutant("plan-never-expires", "engine/planning/gates.py",
           "    if end is not None and now > end:", "    if False:", ("tests/test_gates.py",)),
    Mutant("rollback-notes-not-required", "engine/planning/gates.py",
           "    missing = missing_notes(plan)\n    if missing:", "    missing = missing_notes(plan)\n    if False:",
           ("tests/test_gates.py",)),
    Mutant("detect-only-applies", "engine/applying/applier.py",
           '    if mode == "detect-only":\n        raise', '    if False:\n        raise', ("tests/test_gates.py", "tests/test_apply.py")),
    Mutant("detect-only-plan-applies", "engine/applying/applier.py",
           '    if plan.mode == "detect-only":\n        raise', '    if False:\n        raise', ("tests/test_gates.py", "tests/test_plan_file.py")),
    Mutant("other-environment-applies", "engine/applying/applier.py",
           "    if environment is not None and environment != plan.gates.environment:",
           "    if False:", ("tests/test_gates.py", "tests/test_plan_file.py")),
    Mutant("destructive-allowed", "engine/applying/applier.py",
           "    blocked = [] if allow_destructive else _blocked(plan)", "    blocked = []",
           ("tests/test_apply.py", "tests/test_gates.py", "tests/test_prune_allow.py")),
    Mutant("allow-list-ignored", "engine/applying/applier.py",
           'for c in a.codes if c["destructive"] and c["code"] not in units[a.unit].allow]',
           'for c in a.codes if c["destructive"]]', ("tests/test_prune_allow.py", "tests/test_apply.py")),
    Mutant("stale-plan-applies", "engine/applying/executor.py",
           "        if state_digest(parts) != self.plan.state_digest:", "        if False:",
           ("tests/test_plan_file.py", "tests/test_apply.py")),
    Mutant("other-target-applies", "engine/applying/executor.py",
           "        if found != self.plan.target_id:", "        if False:", ("tests/test_plan_file.py",)),
    Mutant("plan-applies-twice", "engine/applying/executor.py",
           "        if not ran:\n            return", "        if True:\n            return", ("tests/test_plan_file.py", "tests/test_apply.py")),
    Mutant("password-shown", "engine/target/connection.py",
           '    text = _PASSWORD_IN_URL.sub(r"\\1***\\3", text)\n    return _PASSWORD_IN_QUERY.sub(r"\\1***", text)',
           "    return text", ("tests/test_cli.py", "tests/test_audit_faults.py")),
    Mutant("refusals-off", "engine/changes/refusals/__init__.py",
           "    missing = change.missing(state)\n    if missing:\n        return [missing]",
           "    return []", ("tests/test_plan_refusals.py", "tests/test_plan_refusals_names.py")),
    Mutant("timeouts-set-once", "engine/applying/executor.py",
           "        if wanted != self.session_set:", "        if self.session_set is None:", ("tests/test_apply.py",)),
    Mutant("audit-after-keeps-every-outcome", "engine/auditing/run.py",
           "    return tuple(e if e.name == c.name and checks.reads_only(c, tables, state.default_schema)",
           "    return tuple(e if e.name == c.name", ("tests/test_apply_reads.py",)),
    Mutant("catalog-rows-unsorted", "engine/inspect/postgresql.py",
           "    relations.sort(key=_column_order)\n", "", ("tests/test_inspect.py",)),
    Mutant("send-raises-the-driver-error", "engine/target/sqlexec.py",
           "        raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,\n"
           "                                  dialect=dialect) from exc", "        raise",
           ("tests/test_sqlexec_send.py", "tests/test_faults.py")),
    Mutant("send-keeps-a-lost-session", "engine/target/sqlexec.py",
           "        if lost:\n            conn.invalidate(exc)\n", "", ("tests/test_sqlexec_send.py", "tests/test_faults.py")),
    Mutant("send-uncounted", "engine/target/sqlexec.py",
           "    conn.dispatch.before_cursor_execute(conn, cursor, sql, params, None, False)\n", "", ("tests/test_sqlexec_send.py",)),
)


def run(mutant: Mutant, all_tests: bool) -> tuple[str, float]:
    """Apply ``mutant``, run its tests, restore the file; returns ``killed`` / ``survived`` and seconds."""
    path = ROOT / mutant.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutant.old) != 1:
        return f"broken (snippet found {original.count(mutant.old)} times)", 0.0
    start = time.monotonic()
    try:
        path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
        tests = [] if all_tests else list(mutant.tests)
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                              cwd=ROOT, capture_output=True, text=True)
    finally:
        path.write_text(original, encoding="utf-8")
    return ("killed" if done.returncode != 0 else "survived"), time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--all-tests", action="store_true", help="run the whole suite for each mutant")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    if args.list:
        for m in chosen:
            print(f"{m.name:32} {m.path}")
        return 0
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *{m.path for m in chosen}], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    if dirty:
        print(f"refusing: these files have uncommitted changes:\n{dirty}", file=sys.stderr)
        return 1
    survived = 0
    for m in chosen:
        outcome, took = run(m, args.all_tests)
        survived += outcome != "killed"
        print(f"{outcome:9} {m.name:32} {took:6.1f} s", flush=True)
    print(f"{len(chosen) - survived}/{len(chosen)} mutants killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
