"""``recon demo``: the whole workflow on throwaway SQLite files, from the example specs.

Act 1, the detector was wrong: the database has ``products.nameCanonical``,
the application's startup detector expects ``products.product_name``. The demo
writes that expectation into a copy of the fingerprint, audits (6/7 with the
suggestion), applies the suggestion to the spec line the failing check points
at, audits again (7/7) and compares the two reports.

Act 2, the schema was behind: a database at release 1 lacks the column.
Audit 6/7, plan (TER-173 adds it), apply the saved plan, audit 7/7, plan
again (nothing left), roll TER-173 back (6/7) and show the ledger.

Act 3, the data drifted: hand-run scripts deleted a role, a critical grant
and a default setting, and an operator changed another setting on purpose.
The invariants fail; a seed-scope plan restores exactly the missing rows and
grants (the operator's value stays: ``on_conflict: keep``), apply, the
invariants pass, and a new plan is empty.

It writes only inside its own folder.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from importlib import resources
from pathlib import Path

from .. import report as views
from ..applying.applier import apply
from ..auditing.run import audit
from ..errors import ReconError, UsageError
from ..ledger.history import history
from ..planning.planner import make_plan
from ..report.files import load_plan, write_text
from ..spec.resources import example_specs_dir
from ..spec.validate import load_specs

WRONG = "products.product_name"
RIGHT = "products.nameCanonical"
UNIT = "TER-173-products-name-canonical"


def _build_database(path: Path, *fixtures: str) -> None:
    """Create a demo database from the shipped SQL fixtures (the demo's own file only)."""
    if path.exists():
        path.unlink()
    with sqlite3.connect(path) as conn:
        for name in fixtures:
            conn.executescript(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))
    conn.close()


def _copy_specs(dest: Path) -> Path:
    """The example specs without migration units (the detector only audits)."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(example_specs_dir(), dest, ignore=shutil.ignore_patterns("migrations", "__pycache__"))
    return dest


def _replace_on_line(file: Path, line: int, old: str, new: str) -> None:
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    if old not in lines[line - 1]:
        raise RuntimeError(f"{file}:{line} does not mention {old}")
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    file.write_text("".join(lines), encoding="utf-8")


def _column_line(file: Path, column: str) -> int:
    for number, text in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if f"column: {column}" in text:
            return number
    raise RuntimeError(f"{file} has no canary for {column}")


MARKER = ".recon-demo"


def _claim(root: Path) -> None:
    """Use ``root`` only if it is new, empty, or a folder an earlier demo made: never a user's files."""
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise UsageError(f"--dir {root} is not empty and was not made by recon demo: give a new or empty folder")
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("files recon demo may replace\n", encoding="utf-8")


class _Demo:
    """The demo's folder, output and step headings."""

    def __init__(self, root: Path, style: views.Style, echo):
        self.root, self.style, self.echo = root, style, echo

    def step(self, title: str, rest: str = "") -> None:
        self.echo(self.style.paint(title, "cyan", bold=True) + rest + "\n")

    def show(self, text: str) -> None:
        self.echo("".join("   " + line + "\n" for line in text.splitlines()) + "\n")

    def save(self, name: str, data: dict) -> Path:
        path = self.root / name
        write_text(str(path), views.to_json(data))
        return path


def run_demo(workdir: str | None, style: views.Style = views.Style(), echo=print) -> int:
    """Run both acts in ``workdir`` (a new temporary folder when None); 0 when every step ends as expected."""
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="recon-demo-"))
    _claim(root)
    demo = _Demo(root, style, echo)
    first = _act_one(demo)
    second = _act_two(demo)
    third = _act_three(demo)
    echo(f"files in {root}:\n")
    for name in ("before.json", "after.json", "plan.json", "release-after.json", "drift-plan.json"):
        echo(f"  {root / name}\n")
    return 0 if first and second and third else 1


def _act_one(demo: _Demo) -> bool:
    """The detector was wrong: 6/7 with a suggestion, fix the canary, 7/7."""
    db_path = demo.root / "incident.db"
    _build_database(db_path, "release1.sql", "incident.sql")
    specs_dir = _copy_specs(demo.root / "specs")
    url = f"sqlite:///{db_path}"
    fingerprint = specs_dir / "fingerprint.yaml"

    demo.step("Act 1. The detector is wrong", f": the app expects {WRONG}; the database has {RIGHT}.")
    line = _column_line(fingerprint, RIGHT)
    _replace_on_line(fingerprint, line, RIGHT, WRONG)
    demo.show(f"{fingerprint}:{line} now reads 'column: {WRONG}', as the detector shipped it")

    demo.step("1. recon audit", f" --specs {specs_dir} --db {url}")
    before = audit(load_specs(specs_dir), url)
    demo.save("before.json", before.to_dict())
    demo.show(views.audit_text(before, demo.style))

    demo.step("2. Fix the canary", " with the suggestion each failing check carries")
    fixes = []
    for check in (c for c in before.fingerprint.failing if c.suggestion):
        file, number = check.source.rsplit(":", 1)
        _replace_on_line(Path(file), int(number), check.object, check.suggestion)
        fixes.append(f"{check.source}: {check.object} -> {check.suggestion}")
    demo.show("\n".join(fixes))

    demo.step("3. recon audit", " again")
    after = audit(load_specs(specs_dir), url)
    demo.save("after.json", after.to_dict())
    demo.show(views.audit_text(after, demo.style))

    demo.step("4. recon compare", " before.json after.json")
    demo.show(views.compare_text(views.compare_reports(before.to_dict(), after.to_dict()), demo.style))
    return after.ok and not before.fingerprint.complete


def _act_two(demo: _Demo) -> bool:
    """The schema is behind: plan, apply, verify, converge, roll back."""
    db_path = demo.root / "release.db"
    _build_database(db_path, "release1.sql")
    specs = load_specs(example_specs_dir())
    url = f"sqlite:///{db_path}"

    demo.step("Act 2. The schema is behind", f": a database at release 1 has no {RIGHT}.")
    demo.step("5. recon audit", f" --db {url}")
    start = audit(specs, url)
    demo.show(start.fingerprint.summary())

    demo.step("6. recon plan", " --no-env --out plan.json")
    planned = make_plan(specs, url, no_env=True)  # throwaway files: outside every environment
    if planned.empty:
        raise ReconError(f"the example specs in {example_specs_dir()} plan nothing: is the package installed with its specs/migrations?")
    plan_file = demo.save("plan.json", planned.to_dict())
    demo.show(views.plan_text(planned, demo.style))

    demo.step("7. recon apply", " plan.json")
    applied = apply(load_plan(str(plan_file)), url)
    demo.save("release-after.json", applied.after.to_dict())
    demo.show(views.apply_text(applied, demo.style))

    demo.step("8. recon plan", " again")
    again = make_plan(specs, url, no_env=True)
    demo.show(views.plan_text(again, demo.style).split("\n", 1)[1])

    demo.step("9. recon rollback", f" {UNIT} --no-env --allow-destructive")
    unit = next(u for u in specs.units if u.id == UNIT)
    undo_plan = make_plan(specs, url, rollback=(unit,), no_env=True)
    demo.show(views.plan_text(undo_plan, demo.style).split("\n", 1)[1] + f"rollback notes: {unit.rollback_notes}")
    undo = apply(undo_plan, url, allow_destructive=True)
    demo.show(views.apply_text(undo, demo.style))

    demo.step("10. recon history")
    demo.show(views.history_text(history(url)))
    return (not start.fingerprint.complete and applied.after.fingerprint.complete and again.empty
            and not undo.after.fingerprint.complete)


def _act_three(demo: _Demo) -> bool:
    """The data drifted: invariants fail, a seed-scope plan restores the rows, nothing is re-seeded."""
    db_path = demo.root / "drift.db"
    _build_database(db_path, "release1.sql", "incident.sql", "drift.sql")
    specs = load_specs(example_specs_dir())
    url = f"sqlite:///{db_path}"

    demo.step("Act 3. The data drifted", ": hand-run scripts deleted the support role, a critical grant and a default setting;")
    demo.show("an operator set the theme to 'dark' on purpose")
    demo.step("11. recon audit", f" --db {url}")
    start = audit(specs, url)
    demo.show(views.audit_text(start, demo.style))

    demo.step("12. recon plan", " --no-env --scope seed --out drift-plan.json")
    planned = make_plan(specs, url, scope="seed", no_env=True)
    plan_file = demo.save("drift-plan.json", planned.to_dict())
    demo.show(views.plan_text(planned, demo.style))

    demo.step("13. recon apply", " drift-plan.json")
    applied = apply(load_plan(str(plan_file)), url)
    demo.show(views.apply_text(applied, demo.style))

    demo.step("14. recon plan", " --scope seed again")
    again = make_plan(specs, url, scope="seed", no_env=True)
    demo.show(views.plan_text(again, demo.style).split("\n", 1)[1])
    with sqlite3.connect(db_path) as conn:
        theme = conn.execute("SELECT value FROM settings WHERE key = 'theme'").fetchone()
    conn.close()
    return not start.ok and applied.after.ok and again.empty and theme == ("dark",)
