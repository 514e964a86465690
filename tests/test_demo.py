"""recon demo: the 6/7 incident and its fix, with golden reports."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.demo import run_demo

GOLDEN = Path(__file__).resolve().parent / "golden" / "demo"
VOLATILE = ("generated_at",)


def normalise(report: dict, root: Path) -> dict:
    """The report without what changes from run to run (time, paths, versions, counters)."""
    data = json.loads(json.dumps(report).replace(str(root) + os.sep, "<demo>/"))
    for key in VOLATILE:
        data.pop(key)
    data["target"]["url"] = "sqlite:///<demo>/incident.db"
    data["target"]["server_version"] = "<sqlite>"
    data.pop("stats")
    data["specs_digest"] = "<digest>"
    return data


def check_golden(name: str, actual: dict) -> None:
    path = GOLDEN / name
    if os.environ.get("RECON_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    assert actual == json.loads(path.read_text(encoding="utf-8"))


def test_demo_reproduces_and_resolves_the_incident(tmp_path):
    out: list[str] = []
    assert run_demo(str(tmp_path), echo=out.append) == 0
    text = "".join(out)
    assert "fingerprint 6/7 (missing: products.product_name)" in text
    assert "did you mean products.nameCanonical?" in text
    assert "fingerprint 7/7" in text
    # act 2: plan, apply, converge, roll back
    assert "fingerprint 6/7 (missing: products.nameCanonical)" in text
    assert '+ add_column products.nameCanonical' in text and "fingerprint 6/7 -> 7/7 (fixes: products.nameCanonical)" in text
    assert "applied TER-173-products-name-canonical (2 statements" in text
    assert "No changes. The database matches the specs and the ledger." in text
    assert "- drop_column products.nameCanonical" in text and "DESTRUCTIVE RC102" in text
    assert "rolled back TER-173-products-name-canonical" in text and "fingerprint 7/7 -> 6/7" in text
    assert re.search(r"rolled_back +TER-173-products-name-canonical", text)
    # act 3: drifted rows restored row by row, the operator's value kept
    assert "invariants 4/7 (failing: required-roles, rbac:core:roles-exist, rbac:core:critical-granted)" in text
    assert "+ insert_rows settings  # 1 row is missing" in text and "--   'currency', 'EUR'" in text
    assert "+ grant role_permissions  # 3 grants are missing" in text and "--   'admin', 'users.manage'" in text
    assert "theme" not in text.split("12. recon plan")[1].split("13. recon apply")[0]
    assert "applied rbac:core (2 statements" in text and "invariants 4/7 -> 7/7" in text  # a role and three grants: two batches
    drift = json.loads((tmp_path / "drift-plan.json").read_text())
    assert [u["id"] for u in drift["units"]] == ["seed:default-settings", "rbac:core"]
    assert drift["summary"] == {"create": 5, "update": 0, "delete": 0}
    before = json.loads((tmp_path / "before.json").read_text())
    after = json.loads((tmp_path / "after.json").read_text())
    assert (before["fingerprint"]["passed"], before["fingerprint"]["total"]) == (6, 7)
    assert (after["fingerprint"]["passed"], after["fingerprint"]["total"]) == (7, 7)
    assert after["ok"] is True
    check_golden("before.json", normalise(before, tmp_path))
    check_golden("after.json", normalise(after, tmp_path))


def test_demo_runs_from_any_folder_through_the_console_script(tmp_path):
    recon = shutil.which("recon") or str(Path(sys.executable).parent / "recon")
    if not os.path.exists(recon):
        pytest.skip("recon console script not installed in this environment")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("RECON_SPECS", "RECON_DATABASE_URL")}
    proc = subprocess.run([recon, "demo", "--dir", str(tmp_path / "run")], cwd=elsewhere, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "fingerprint 6/7 (missing: products.product_name)" in proc.stdout
    assert "fingerprint 7/7" in proc.stdout
    assert (tmp_path / "run" / "after.json").is_file()
    assert os.listdir(elsewhere) == []  # the demo writes only its own folder


def test_every_engine_package_is_installed():
    """pyproject lists packages one by one (schemas/ and specs/ are mapped in): none may be forgotten."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(root).parts) for p in (root / "engine").rglob("__init__.py")}
    assert on_disk <= listed, f"add to pyproject [tool.setuptools] packages: {sorted(on_disk - listed)}"


def test_demo_never_touches_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mine.yaml").write_text("kind: fingerprint\n")
    from engine.errors import UsageError

    with pytest.raises(UsageError, match="not empty and was not made by recon demo"):
        run_demo(str(tmp_path), echo=lambda s: None)
    assert (tmp_path / "specs" / "mine.yaml").read_text() == "kind: fingerprint\n"
    again = tmp_path / "demo"
    assert run_demo(str(again), echo=lambda s: None) == 0
    assert run_demo(str(again), echo=lambda s: None) == 0  # its own folder can be reused
