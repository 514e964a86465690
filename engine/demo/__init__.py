"""``recon demo``: the 6/7 incident, reproduced and resolved on a throwaway SQLite file.

The application's startup detector expects ``products.product_name``; the
database has ``products.nameCanonical``. The demo copies the example specs,
writes the detector's expectation into the fingerprint, audits (6/7, with the
suggestion), applies the suggestion to the spec line the failing check points
at, audits again (7/7) and compares the two reports. It writes only inside
its own folder.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from importlib import resources
from pathlib import Path

from .. import report as views
from ..audit import audit
from ..resources import example_specs_dir
from ..validate import load_specs

WRONG = "products.product_name"
RIGHT = "products.nameCanonical"


def _build_database(path: Path) -> None:
    """Create the incident's database from the shipped fixture (the demo's own file only)."""
    script = resources.files(__package__).joinpath("incident.sql").read_text(encoding="utf-8")
    with sqlite3.connect(path) as conn:
        conn.executescript(script)
    conn.close()


def _copy_specs(dest: Path) -> Path:
    """The example specs without migration units (the detector only audits)."""
    shutil.copytree(example_specs_dir(), dest, ignore=shutil.ignore_patterns("migrations", "__pycache__", "__init__.py"))
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


def run_demo(workdir: str | None, style: views.Style = views.Style(), echo=print) -> int:
    """Run the demo in ``workdir`` (a new temporary folder when None); 0 when it ends at 7/7."""
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="recon-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    db_path = root / "incident.db"
    if db_path.exists():
        db_path.unlink()
    specs_dir = root / "specs"
    if specs_dir.exists():
        shutil.rmtree(specs_dir)
    _build_database(db_path)
    _copy_specs(specs_dir)
    url = f"sqlite:///{db_path}"
    fingerprint = specs_dir / "fingerprint.yaml"

    echo(style.paint("1. The incident", "cyan", bold=True) + f": the app's detector expects {WRONG}; the database has {RIGHT}.\n")
    line = _column_line(fingerprint, RIGHT)
    _replace_on_line(fingerprint, line, RIGHT, WRONG)
    echo(f"   {fingerprint}:{line} now reads 'column: {WRONG}', as the detector shipped it\n\n")

    echo(style.paint("2. recon audit", "cyan", bold=True) + f" --specs {specs_dir} --db {url}\n")
    before = audit(load_specs(specs_dir), url)
    before_file = root / "before.json"
    before_file.write_text(views.to_json(before.to_dict()), encoding="utf-8")
    echo(_indent(views.audit_text(before, style)) + "\n")

    failing = [c for c in before.fingerprint.failing if c.suggestion]
    echo(style.paint("3. Fix the canary", "cyan", bold=True) + " with the suggestion each failing check carries\n")
    for check in failing:
        file, number = check.source.rsplit(":", 1)
        _replace_on_line(Path(file), int(number), check.object, check.suggestion)
        echo(f"   {check.source}: {check.object} -> {check.suggestion}\n")
    echo("\n")

    echo(style.paint("4. recon audit", "cyan", bold=True) + " again\n")
    after = audit(load_specs(specs_dir), url)
    after_file = root / "after.json"
    after_file.write_text(views.to_json(after.to_dict()), encoding="utf-8")
    echo(_indent(views.audit_text(after, style)) + "\n")

    echo(style.paint("5. recon compare", "cyan", bold=True) + " before.json after.json\n")
    echo(_indent(views.compare_text(views.compare(before.to_dict(), after.to_dict()), style)) + "\n")

    echo(f"reports:  {before_file}\n          {after_file}\n")
    echo(f"database: {db_path}\nspecs:    {specs_dir}\n")
    return 0 if after.ok and not before.fingerprint.complete else 1


def _indent(text: str) -> str:
    return "".join("   " + line + "\n" for line in text.splitlines())
