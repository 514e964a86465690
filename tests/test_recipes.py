"""The recipes run: docs/ci.md, its workflow (docs/examples/github-actions.yml) and docs/rollout.md.

Each recipe's commands are taken from the docs themselves: the lines of the fenced ```sh blocks
of the page, and the ``run:`` steps of the workflow, in order. Lines that start with ``recon``
run as the installed ``recon`` process (and ``mkdir`` lines, which they need), on SQLite files
named by the variables the docs use (``$DATABASE_URL`` production, ``$STAGING_DATABASE_URL``
staging), in a folder holding a copy of ``specs/``; other lines (pip, gh, cat) are not run.
The markers a line may carry, in a trailing shell comment (docs/ci.md explains them):

- ``# exit N``: the exit code the line must end with (default 0);
- ``prints "TEXT"`` (in that comment): TEXT must be in its output;
- ``# not run by the recipe test: WHY``: the line is left out.

So a recipe whose commands stop being true fails here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from support import RECON_VARIABLES, stored_rows

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
WORKFLOW = DOCS / "examples" / "github-actions.yml"
RUN = ("recon", "mkdir")
SKIP = "not run by the recipe test"


@dataclass
class Step:
    """One command line of a recipe, with what its doc says it does."""

    line: str
    where: str
    exit: int = 0
    prints: tuple[str, ...] = ()


def steps_of(lines: list[str], where: str) -> list[Step]:
    """The commands among shell ``lines`` (continuations joined), with their markers."""
    joined, carry = [], ""
    for raw in lines:
        if raw.rstrip().endswith("\\"):
            carry += raw.rstrip()[:-1] + " "
            continue
        joined.append(carry + raw)
        carry = ""
    found = []
    for line in (j.strip() for j in joined):
        if not line or line.startswith("#") or line.split()[0] not in RUN or SKIP in line:
            continue
        code = re.search(r"#.*?\bexit (\d+)", line)
        found.append(Step(line, where, int(code.group(1)) if code else 0, tuple(re.findall(r'prints "([^"]+)"', line))))
    return found


def markdown_steps(page: Path) -> list[Step]:
    """The commands of every ```sh block of ``page``, in order."""
    steps, block, start = [], None, 0
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if block is None and line.strip() == "```sh":
            block, start = [], number
        elif block is not None and line.strip() == "```":
            steps += steps_of(block, f"{page.name}:{start}")
            block = None
        elif block is not None:
            block.append(line)
    return steps


def workflow_steps(jobs: tuple[str, ...] | None = None) -> list[Step]:
    """The commands of the workflow's ``run:`` steps, job by job in file order."""
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = []
    for job, body in doc["jobs"].items():
        if jobs is None or job in jobs:
            for step in body["steps"]:
                if "run" in step:
                    steps += steps_of(step["run"].splitlines(), f"{WORKFLOW.name} {job}: {step.get('name', step['run'][:30])}")
    return steps


def _database(path: Path, *fixtures: str) -> str:
    """A SQLite file built from the demo's SQL fixtures (none: an empty database)."""
    with sqlite3.connect(path) as conn:
        for name in fixtures:
            conn.executescript(resources.files("engine.demo").joinpath(name).read_text(encoding="utf-8"))
    conn.close()
    return f"sqlite:///{path}"


class Recipe:
    """A folder with ``specs/``, production (release 1 with its data drift, as in the demo) and staging."""

    def __init__(self, tmp: Path, staging_copy: bool):
        self.dir = tmp / "repo"
        shutil.copytree(ROOT / "specs", self.dir / "specs")
        (self.dir / "schema").mkdir()  # the production schema the offline job reads (release 1, as pg_dump would give it)
        shutil.copyfile(ROOT / "engine" / "demo" / "release1.sql", self.dir / "schema" / "production.sql")
        self.production = _database(tmp / "production.db", "release1.sql", "drift.sql")
        if staging_copy:  # staging restored from production
            shutil.copyfile(tmp / "production.db", tmp / "staging.db")
            self.staging = f"sqlite:///{tmp / 'staging.db'}"
        else:  # the throwaway service of the workflow: an empty database
            self.staging = _database(tmp / "staging.db")
        self.summary = tmp / "summary.md"
        self.env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
        bin_dir = str(Path(shutil.which("recon") or Path(sys.executable).parent / "recon").parent)
        self.env.update(DATABASE_URL=self.production, STAGING_DATABASE_URL=self.staging, GITHUB_STEP_SUMMARY=str(self.summary),
                        NO_COLOR="1", PATH=bin_dir + os.pathsep + self.env.get("PATH", ""))

    def run(self, steps: list[Step]) -> list[str]:
        """Run each step in order; its exit code and output must be what the doc says."""
        outputs = []
        for step in steps:
            line = re.sub(r"\$\{\{[^}]*\}\}", "recipe-test", step.line)  # GitHub expressions (the actor)
            done = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=self.dir, env=self.env, capture_output=True,
                                  text=True, timeout=120, check=False)
            output = done.stdout + done.stderr
            assert done.returncode == step.exit, f"{step.where}: `{step.line}` exited {done.returncode}, the doc says {step.exit}:\n{output}"
            for text in step.prints:
                assert text in output, f"{step.where}: `{step.line}` does not print {text!r}:\n{output}"
            assert "Traceback" not in output, f"{step.where}: `{step.line}`:\n{output}"
            outputs.append(output)
        return outputs


class _DB:
    """What ``support.stored_rows`` reads from: a URL's engine."""

    def __init__(self, url: str):
        self.url = url

    def engine(self):
        import sqlalchemy as sa

        return sa.create_engine(self.url)


def ledger(url: str) -> list[tuple[str, str]]:
    return stored_rows(_DB(url), "SELECT unit, status FROM recon_ledger ORDER BY seq")


def tables(url: str) -> set[str]:
    return {r[0] for r in stored_rows(_DB(url), "SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_the_workflow_is_valid_yaml_with_the_jobs_docs_ci_md_describes():
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert set(doc["jobs"]) == {"pull-request-offline", "pull-request", "plan-production", "apply-production"}
    assert "services" not in doc["jobs"]["pull-request-offline"]  # the offline checks need no database
    assert doc["jobs"]["apply-production"]["needs"] == "plan-production"
    assert doc["jobs"]["apply-production"]["environment"] == "production"
    assert True in doc and "pull_request" in doc[True]  # YAML 1.1 reads the key `on` as true
    commands = [s.line.split("#")[0].split() for s in workflow_steps() if s.line.startswith("recon")]
    assert ["recon", "validate", "--strict"] in commands
    assert any(c[:2] == ["recon", "plan"] and "markdown" in c and "--out" in c for c in commands)
    assert any(c[:3] == ["recon", "apply", "reports/production-plan.json"] and "production" in c for c in commands)


def test_the_recipes_run_on_sqlite(tmp_path):
    """The workflow, docs/ci.md and docs/rollout.md, each in its own folder, side by side (each
    command is a process of its own: run one after the other, they take twice as long)."""
    from concurrent.futures import ThreadPoolExecutor

    runs = {"workflow": _workflow, "ci.md": _page, "rollout.md": _page}
    with ThreadPoolExecutor(len(runs)) as pool:
        futures = {name: pool.submit(run, tmp_path / name.replace(".", "-"), name) for name, run in runs.items()}
    failed = {name: f.exception() for name, f in futures.items() if f.exception() is not None}
    assert not failed, "\n\n".join(f"{name}: {exc}" for name, exc in failed.items())


def _workflow(tmp_path: Path, _name: str) -> None:
    tmp_path.mkdir()
    recipe = Recipe(tmp_path, staging_copy=False)
    _allowed_signers(recipe, tmp_path)
    recipe.run(workflow_steps())
    offline = json.loads((recipe.dir / "reports" / "offline-audit.json").read_text())
    assert offline["target"]["offline"] is True and offline["target"]["files"] == ["schema/production.sql"]
    assert offline["fingerprint"]["passed"] == offline["fingerprint"]["total"] == 7
    comment = (recipe.dir / "reports" / "plan.md").read_text()
    assert comment.startswith("### recon plan") and "**TER-173-products-name-canonical** (schema)" in comment
    assert "CREATE TABLE" in comment and "rbac:core" in comment
    assert ledger(recipe.staging) == [("TER-100-rbac-tables", "applied"), ("TER-101-products", "applied"),
                                      ("TER-173-products-name-canonical", "applied"), ("seed:default-settings", "applied"),
                                      ("rbac:core", "applied")]
    assert "recon_ledger" not in tables(recipe.production)  # production was only read
    for name in ("plan.json", "audit-before.json", "audit-after.json", "production-plan.json", "production-before.json"):
        assert (recipe.dir / "reports" / name).is_file(), name
    assert "detect-only" in (recipe.dir / "reports" / "production-plan.md").read_text()
    _lift_detect_only(recipe)
    recipe.run(workflow_steps(("plan-production",)))
    apply_steps = workflow_steps(("apply-production",))
    for step in apply_steps:
        if step.line.startswith("recon apply reports/production-plan.json"):
            step.exit, step.prints = 3, ()  # not signed yet: refused, its refusal in reports/production-apply.json
    recipe.run(apply_steps)
    refusal = json.loads((recipe.dir / "reports" / "production-apply.json").read_text())
    assert refusal["refused"] and "has 0 valid of 1 required" in refusal["error"], refusal["error"]
    assert "recon_ledger" not in tables(recipe.production)
    recipe.run([Step(f"recon approve reports/production-plan.json --key {recipe.key}", "an approver, on their machine")])
    for step in apply_steps:
        step.exit = 0  # signed by an allowed principal: applied
    recipe.run(apply_steps)
    report = json.loads((recipe.dir / "reports" / "production-apply.json").read_text())
    assert report["approvals"]["approvers"] == ["ops@example.com"]
    assert {r[0] for r in stored_rows(_DB(recipe.production), "SELECT approvers FROM recon_ledger")} == {'["ops@example.com"]'}
    assert ("TER-173-products-name-canonical", "applied") in [(u["unit"], u["status"]) for u in report["units"]]
    assert (report["before"]["invariants"]["passed"], report["after"]["invariants"]["passed"]) == (4, 7)
    assert ledger(recipe.production) == ledger(recipe.staging)  # the same units, promoted from staging
    assert stored_rows(_DB(recipe.production), "SELECT value FROM settings WHERE key = 'theme'") == [("dark",)]  # on_conflict: keep


def _allowed_signers(recipe: Recipe, tmp_path: Path) -> None:
    """What the deploy side holds: an approver's key (``recipe.key``), and in ``$RUNNER_TEMP/allowed_signers``
    the line the protected ``RECON_ALLOWED_SIGNERS`` variable would hold (the job's ``printf`` is not run)."""
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    recipe.key = tmp_path / "approver_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(recipe.key)], check=True, timeout=30)
    public = " ".join(recipe.key.with_suffix(".pub").read_text().split()[:2])
    (runner_temp / "allowed_signers").write_text(f'ops@example.com namespaces="recon-plan" {public}\n')
    recipe.env["RUNNER_TEMP"] = str(runner_temp)


def _lift_detect_only(recipe: Recipe) -> None:
    """The reviewed change that lets the deploy jobs apply: production out of detect-only mode, and
    (so that the test does not depend on the day or the time of day) windows that together cover
    every minute of every day, midnight included; promote_from stays."""
    spec = recipe.dir / "specs" / "environments.yaml"
    every_day = "days: [mon, tue, wed, thu, fri, sat, sun]"
    windows = (f'{{{every_day}, start: "00:00", end: "12:00", timezone: UTC}}\n'
               f'      - {{{every_day}, start: "12:00", end: "00:00", timezone: UTC}}')  # an end before the start: past midnight
    text = spec.read_text().replace("    mode: detect-only\n", "")
    assert "detect-only" not in text
    lifted = re.sub(r"\{days: \[tue, thu\][^}]*\}", lambda _: windows, text)
    assert lifted != text
    spec.write_text(lifted)


def _page(tmp_path: Path, page: str) -> None:
    tmp_path.mkdir()
    recipe = Recipe(tmp_path, staging_copy=True)
    steps = markdown_steps(DOCS / page)
    assert len(steps) >= 5, f"docs/{page} has {len(steps)} commands to run"
    recipe.run(steps)
    done = [("TER-100-rbac-tables", "applied"), ("TER-101-products", "applied"), ("TER-173-products-name-canonical", "applied")]
    if page == "rollout.md":  # schema unit by unit, then the rows; production only read
        assert ledger(recipe.staging) == done + [("seed:default-settings", "applied"), ("rbac:core", "applied")]
        assert "recon_ledger" not in tables(recipe.production)
        plan = (recipe.dir / "evidence" / "production-plan.md").read_text()
        assert "detect-only" in plan and "users.manage" in plan
        assert {p.name for p in (recipe.dir / "evidence").iterdir()} >= {"production-before.json", "production-gate.json",
                                                                          "staging-adopt.json", "staging-TER-173.json"}
    else:
        assert ledger(recipe.staging) == done + [("seed:default-settings", "applied"), ("rbac:core", "applied")]


def test_the_markers_are_read_as_documented():
    steps = steps_of(["recon plan --env staging \\", "  --detailed-exitcode   # exit 2, prints \"Plan:\" and prints \"unit\"",
                      "gh pr comment 1", "# recon audit (a comment)", "recon demo  # not run by the recipe test: slow",
                      "mkdir -p out"], "here")
    assert [(" ".join(s.line.split("#")[0].split()), s.exit, s.prints) for s in steps] == [
        ("recon plan --env staging --detailed-exitcode", 2, ("Plan:", "unit")), ("mkdir -p out", 0, ())]

