"""recon init: a commented example of every spec kind, each naming its schema for editors.

What init writes must validate cleanly (also under --strict), hold together on a real
database (apply it, audit N/N, plan again: nothing), and point each file at a schema that
exists and is that kind's. A folder that is not empty is refused unless --force.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import RECON_VARIABLES

import engine
from engine.errors import UsageError
from engine.spec import resources
from engine.spec.combined import combined_schema
from engine.spec.loader import load_sources
from engine.spec.scaffold import SCHEMA_FOLDER, TEMPLATES, init_specs

ROOT = Path(__file__).resolve().parent.parent
MODELINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n# \$schema: (\S+)\n")


def installed_recon() -> str:
    recon = shutil.which("recon") or str(Path(sys.executable).parent / "recon")
    if not os.path.exists(recon):
        pytest.skip("recon console script not installed in this environment")
    return recon


def run_recon(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    return subprocess.run([installed_recon(), *map(str, args)], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def spec_paths(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.yaml"))


def test_init_writes_an_example_of_every_kind(tmp_path):
    result = init_specs(tmp_path / "specs")
    docs = load_sources(tmp_path / "specs").documents
    assert sorted({d.data["kind"] for d in docs}) == resources.kinds()
    assert {w.path for w in result.specs} == set(spec_paths(tmp_path / "specs"))
    assert sorted(w.path.name for w in result.schemas) == sorted([f"{k}.schema.json" for k in resources.kinds()] + ["recon.schema.json"])
    assert not any(w.replaced for w in result.files)
    # the rollback of every unit has notes, and every key set in a file is explained by a comment there
    units = [d.data for d in docs if d.data["kind"] == "migration"]
    assert len(units) >= 2 and all(u["rollback"]["notes"] and u["rollback"]["operations"] for u in units)
    for path in spec_paths(tmp_path / "specs"):
        comments = [line for line in path.read_text().splitlines()[2:] if "#" in line]
        assert len(comments) >= 4, f"{path.name}: too few comments to explain its keys"


def test_each_file_names_the_schema_of_its_kind(tmp_path):
    folder = tmp_path / "specs"
    init_specs(folder)
    for path in spec_paths(folder):
        text = path.read_text(encoding="utf-8")
        match = MODELINE.match(text)
        assert match, f"{path}: first lines are not the schema modelines: {text[:120]!r}"
        assert match.group(1) == match.group(2)  # VS Code's and JetBrains' line name the same file
        schema_path = (path.parent / match.group(1)).resolve()
        assert schema_path.parent == (folder / SCHEMA_FOLDER).resolve()
        (kind,) = {d.data["kind"] for d in load_sources(path).documents}
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        assert schema == resources.schema(kind), f"{path}: {match.group(1)} is not the {kind} schema"
    combined = json.loads((folder / SCHEMA_FOLDER / "recon.schema.json").read_text(encoding="utf-8"))
    assert combined == combined_schema()


def test_validate_of_a_fresh_init_is_clean_and_strict(tmp_path, recon):
    init_specs(tmp_path / "specs")
    specs = engine.load_specs(tmp_path / "specs")
    assert specs.warnings == ()
    assert (len(specs.fingerprints), len(specs.units), len(specs.rbac), len(specs.seeds), len(specs.environments)) == (1, 2, 1, 1, 2)
    code, out, err = recon("validate", "--specs", tmp_path / "specs", "--strict", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] is True and report["diagnostics"] == []


def test_a_folder_that_is_not_empty_is_refused_unless_forced(tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "rbac.yaml").write_text("kind: rbac\n", encoding="utf-8")
    with pytest.raises(UsageError, match="folder is not empty"):
        init_specs(folder)
    assert os.listdir(folder) == ["rbac.yaml"] and (folder / "rbac.yaml").read_text() == "kind: rbac\n"
    result = init_specs(folder, force=True)
    assert [w.path.name for w in result.files if w.replaced] == ["rbac.yaml"]
    assert (folder / "rbac.yaml").read_text().startswith("# yaml-language-server: $schema=.schemas/rbac.schema.json\n")
    (folder / ".schemas" / "seed.schema.json").write_text("{}", encoding="utf-8")
    (folder / "fingerprint.yaml").write_text("# mine\n", encoding="utf-8")
    refreshed = init_specs(folder, schemas_only=True)
    assert refreshed.specs == () and len(refreshed.schemas) == len(resources.kinds()) + 1
    assert json.loads((folder / ".schemas" / "seed.schema.json").read_text()) == resources.schema("seed")
    assert (folder / "fingerprint.yaml").read_text() == "# mine\n"  # --schemas-only leaves the specs alone


def test_a_file_in_the_way_is_an_error(tmp_path):
    (tmp_path / "specs").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="not a folder"):
        init_specs(tmp_path / "specs", force=True)


def test_the_installed_recon_inits_validates_and_refuses(tmp_path):
    done = run_recon("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "recon init: wrote 7 spec files and 7 schemas to specs" in done.stdout
    assert "specs/migrations/APP-1-core-tables.yaml  (migration)" in done.stdout
    assert sorted(p.relative_to(tmp_path / "specs").as_posix() for p in spec_paths(tmp_path / "specs")) == \
        sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.yaml"))
    done = run_recon("validate", "--strict", cwd=tmp_path)  # --specs defaults to specs
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("specs valid: specs (1 fingerprints, 7 canaries, 2 units") and "warning" not in done.stdout
    before = (tmp_path / "specs" / "rbac.yaml").read_text()
    (tmp_path / "specs" / "rbac.yaml").write_text(before + "# edited\n")
    done = run_recon("init", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: specs: folder is not empty") and "Traceback" not in done.stderr
    assert (tmp_path / "specs" / "rbac.yaml").read_text() == before + "# edited\n"
    done = run_recon("init", "specs", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "specs/rbac.yaml  (rbac, replaced)" in done.stdout
    assert (tmp_path / "specs" / "rbac.yaml").read_text() == before
    done = run_recon("init", "--db", "sqlite:///x.db", cwd=tmp_path)
    assert done.returncode == 1 and "--db" in done.stderr  # init takes no database


def test_the_examples_hold_together_on_a_real_database(db, tmp_path):
    """Apply the scaffold (installed recon), then audit it N/N and plan again: nothing left."""
    run_recon("init", "specs", cwd=tmp_path)
    done = run_recon("apply", "--specs", "specs", "--db", db.url, "--no-env", "--auto-approve", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "applied APP-1-core-tables" in done.stdout and "applied rbac:core" in done.stdout
    done = run_recon("audit", "--specs", "specs", "--db", db.url, "--strict", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    audit = json.loads(done.stdout)
    assert (audit["fingerprint"]["passed"], audit["fingerprint"]["total"]) == (7, 7)
    assert audit["invariants"]["passed"] == audit["invariants"]["total"] == 7
    done = run_recon("plan", "--specs", "specs", "--db", db.url, "--no-env", "--detailed-exitcode", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No changes." in done.stdout
    assert db.scalar("SELECT count(*) FROM role_permissions") == 4 + 3 + 1  # admin: all 4, analyst: 3, viewer: 1


def test_the_templates_ship_in_the_package():
    """pyproject's package-data for engine.spec carries every template (pip install . copies only those)."""
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["engine.spec"]
    shipped = {p for pattern in patterns for p in (ROOT / "engine" / "spec").glob(pattern)}
    assert set(TEMPLATES.rglob("*.yaml")) <= shipped
