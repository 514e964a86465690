"""Signed approvals: ``recon approve`` signs a saved plan, apply counts the signatures its allowed signers trust.

Keys are real ed25519 keys made by ``ssh-keygen`` in the test's folder; ``recon approve`` and
``recon apply --allowed-signers`` run as the installed ``recon`` process. Every refusal is exit
3 with nothing applied (no table, no ledger); accepted approvals are recorded on the ledger rows
of that apply and shown by ``recon history``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from support import RECON_VARIABLES, recon_bin, stored_rows, write

# Skipped without ssh-keygen, unless the servers are required (.ci/run, which installs openssh-client): then it fails.
pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None and os.environ.get("RECON_REQUIRE_SERVERS") != "1",
                                reason="ssh-keygen (openssh-client) is not installed")

UNIT = """
kind: migration
id: U1-things
scope: schema
operations:
  - create_table:
      table: things
      columns: [{name: id, type: integer, primary_key: true}]
"""

ENVS = """
kind: environments
environments:
  - name: production
    database_url_env: PRODUCTION_URL
    {extra}
"""


def run(*args, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    """The installed ``recon`` with ``args``, recon's own variables cleared but for ``env``."""
    clean = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES}
    return subprocess.run([recon_bin(), *map(str, args)], capture_output=True, text=True, env={**clean, **(env or {})},
                          cwd=cwd, timeout=120, stdin=subprocess.DEVNULL, check=False)


def keypair(folder: Path, name: str) -> Path:
    """A new ed25519 key without passphrase: the private key's path (the public one beside it, ``.pub``)."""
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True, timeout=30)
    return key


def allowed(folder: Path, *signers: tuple[str, Path]) -> Path:
    """An allowed-signers file: one ``principal namespaces="recon-plan" key`` line per (principal, key)."""
    path = folder / "allowed_signers"
    lines = [f'{who} namespaces="recon-plan" {" ".join(key.with_suffix(".pub").read_text().split()[:2])}' for who, key in signers]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def keys(tmp_path):
    folder = tmp_path / "keys"
    folder.mkdir()
    return {name: keypair(folder, name) for name in ("alice", "bob", "mallory")}


def saved_plan(tmp_path: Path, db, required: int | None = None) -> Path:
    """Specs with one unit and a production environment (``approvals: {required: N}``), planned into a file."""
    specs = tmp_path / "specs"
    specs.mkdir(exist_ok=True)
    write(specs, "units", UNIT)
    write(specs, "envs", ENVS.format(extra=f"approvals: {{required: {required}}}" if required is not None else ""))
    plan = tmp_path / "plan.json"
    done = run("plan", "--specs", specs, "--env", "production", "--out", plan, env={"PRODUCTION_URL": db.url})
    assert done.returncode == 0, done.stderr
    return plan


def approve(plan: Path, key: Path) -> subprocess.CompletedProcess:
    done = run("approve", plan, "--key", key)
    assert done.returncode == 0, done.stderr
    return done


def apply(plan: Path, db, signers: Path | None, *extra, env: dict | None = None) -> subprocess.CompletedProcess:
    flag = ("--allowed-signers", signers) if signers else ()
    return run("apply", plan, "--db", db.url, *flag, *extra, env=env)


def tables(db) -> set[str]:
    if db.dialect == "sqlite":
        return {r[0] for r in stored_rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    schema = "current_schema()" if db.dialect == "postgresql" else "DATABASE()"
    return {r[0] for r in stored_rows(db, f"SELECT table_name FROM information_schema.tables WHERE table_schema = {schema}")}


def refused(done: subprocess.CompletedProcess, db, *said: str) -> str:
    """Exit 3, each of ``said`` in the message, and nothing applied: no table, no ledger."""
    assert done.returncode == 3, done.stdout + done.stderr
    for text in said:
        assert text in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert tables(db) == set()
    return done.stderr


# -- recon approve ------------------------------------------------------------------------------

def test_approve_signs_the_content_digest_into_an_owner_only_sidecar(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db)
    first = approve(plan, keys["alice"])
    data = json.loads(plan.read_text())
    sidecar = Path(f"{plan}.approvals")
    assert f"approved plan {data['plan_id']} ({data['plan_digest']})" in first.stdout
    assert f"{sidecar}: 1 signature;" in first.stdout
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600
    approve(plan, keys["bob"])
    held = json.loads(sidecar.read_text())
    assert held["format"] == "recon.approvals/v1"
    assert [(a["plan_id"], a["digest"]) for a in held["approvals"]] == [(data["plan_id"], data["plan_digest"])] * 2
    fingerprints = [subprocess.run(["ssh-keygen", "-l", "-f", str(keys[n].with_suffix(".pub"))], capture_output=True, text=True,
                                   check=True).stdout.split()[1] for n in ("alice", "bob")]
    assert [a["key"] for a in held["approvals"]] == fingerprints
    assert all(a["signature"].startswith("-----BEGIN SSH SIGNATURE-----") for a in held["approvals"])
    assert "alice" not in sidecar.read_text()  # no identity: the deploy side names the principals
    as_json = json.loads(run("approve", plan, "--key", keys["alice"], "--format", "json").stdout)
    assert (as_json["format"], as_json["signatures"], as_json["sidecar"]) == ("recon.approve/v1", 3, str(sidecar))


def test_approve_errors_are_exit_1_with_a_message(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db)
    missing = run("approve", plan, "--key", tmp_path / "nokey")
    assert missing.returncode == 1 and f"--key {tmp_path / 'nokey'}: no such key file" in missing.stderr
    not_a_key = run("approve", plan, "--key", plan)
    assert not_a_key.returncode == 1 and "ssh-keygen could not sign with it" in not_a_key.stderr
    other = tmp_path / "report.json"
    other.write_text('{"format": "recon.audit/v1"}')
    not_plan = run("approve", other, "--key", keys["alice"])
    assert not_plan.returncode == 1 and "report.json: not a recon plan" in not_plan.stderr
    no_tool = run("approve", plan, "--key", keys["alice"], env={"PATH": str(Path(recon_bin()).parent)})
    assert no_tool.returncode == 1 and "ssh-keygen is not installed" in no_tool.stderr and "openssh-client" in no_tool.stderr
    for done in (missing, not_a_key, not_plan, no_tool):
        assert "Traceback" not in done.stderr
    assert not Path(f"{plan}.approvals").exists()


# -- refusals, on SQLite --------------------------------------------------------------------------

def test_no_approvals_is_refused_where_allowed_signers_are_set(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db)
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]))
    err = refused(apply(plan, sqlite_db, signers), sqlite_db, "has 0 valid of 1 required", "it has no approvals file",
                  "recon approve PLANFILE --key KEY", "nothing was applied")
    assert str(signers) in err
    by_variable = apply(plan, sqlite_db, None, "--format", "json", env={"RECON_ALLOWED_SIGNERS": str(signers)})
    refused(by_variable, sqlite_db, "has 0 valid of 1 required")
    document = json.loads(by_variable.stdout)
    assert document["refused"] is True and "0 valid of 1 required" in document["error"]


def test_too_few_approvals_are_refused(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db, required=2)
    approve(plan, keys["alice"])
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]), ("bob@example.com", keys["bob"]))
    refused(apply(plan, sqlite_db, signers), sqlite_db, "has 1 valid of 2 required", "counted: alice@example.com")


def test_one_signer_twice_counts_once(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db, required=2)
    approve(plan, keys["alice"])
    approve(plan, keys["alice"])
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]), ("bob@example.com", keys["bob"]))
    refused(apply(plan, sqlite_db, signers), sqlite_db, "has 1 valid of 2 required", "alice@example.com signed more than once: counted once")


def test_two_keys_of_one_principal_count_once(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db, required=2)
    approve(plan, keys["alice"])
    approve(plan, keys["bob"])
    signers = allowed(tmp_path, ("ops@example.com", keys["alice"]), ("ops@example.com", keys["bob"]))
    refused(apply(plan, sqlite_db, signers), sqlite_db, "has 1 valid of 2 required", "ops@example.com signed more than once")


def test_an_unknown_signer_is_refused(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db)
    approve(plan, keys["mallory"])
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]))
    fingerprint = json.loads(Path(f"{plan}.approvals").read_text())["approvals"][0]["key"]
    refused(apply(plan, sqlite_db, signers), sqlite_db, "has 0 valid of 1 required",
            f"signer with key {fingerprint} is unknown: not in the allowed signers {signers}")


def test_a_plan_edited_after_signing_is_refused_even_with_its_digest_recomputed(tmp_path, sqlite_db, keys):
    from engine.planning.planfile import content_digest

    plan = saved_plan(tmp_path, sqlite_db)
    approve(plan, keys["alice"])
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]))
    data = json.loads(plan.read_text())
    signed = data["plan_digest"]
    for action in data["actions"]:
        action["sql"] = [s.replace("things", "stuff") for s in action["sql"]]
    body = {k: v for k, v in data.items() if k != "plan_digest"}
    plan.write_text(json.dumps({**body, "plan_digest": content_digest(body)}))  # edited and sealed again
    edited = json.loads(plan.read_text())["plan_digest"]
    refused(apply(plan, sqlite_db, signers), sqlite_db, "has 0 valid of 1 required",
            "signature of alice@example.com (key ", f"does not match this plan: it was made for {signed}, "
            f"this plan's content is {edited} (the plan changed after signing)")
    unsealed = dict(body, plan_digest=signed)  # edited, the old seal kept: the seal refuses it first
    plan.write_text(json.dumps(unsealed))
    refused(apply(plan, sqlite_db, signers), sqlite_db, "plan_digest does not match")


def test_a_sidecar_entry_rewritten_to_the_new_digest_still_does_not_verify(tmp_path, sqlite_db, keys):
    """The sidecar's own ``digest`` is not trusted: the signature is checked against the plan's content."""
    from engine.planning.planfile import content_digest

    plan = saved_plan(tmp_path, sqlite_db)
    approve(plan, keys["alice"])
    data = json.loads(plan.read_text())
    data["warnings"] = ["edited"]
    body = {k: v for k, v in data.items() if k != "plan_digest"}
    plan.write_text(json.dumps({**body, "plan_digest": content_digest(body)}))
    sidecar = Path(f"{plan}.approvals")
    held = json.loads(sidecar.read_text())
    held["approvals"][0]["digest"] = content_digest(body)
    sidecar.write_text(json.dumps(held))
    refused(apply(plan, sqlite_db, allowed(tmp_path, ("alice@example.com", keys["alice"]))), sqlite_db,
            "does not match this plan: ssh-keygen: ")


def test_a_missing_allowed_signers_file_is_an_error_not_a_pass(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db)
    approve(plan, keys["alice"])
    done = apply(plan, sqlite_db, None, env={"RECON_ALLOWED_SIGNERS": str(tmp_path / "gone")})
    assert done.returncode == 1 and f"$RECON_ALLOWED_SIGNERS names {tmp_path / 'gone'}, which is not a file" in done.stderr
    assert tables(sqlite_db) == set()


def test_a_plan_made_on_the_spot_is_refused_where_allowed_signers_are_set(tmp_path, sqlite_db, keys):
    specs = tmp_path / "specs"
    specs.mkdir()
    write(specs, "units", UNIT)
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]))
    done = run("apply", "--specs", specs, "--db", sqlite_db.url, "--auto-approve", "--allowed-signers", signers)
    refused(done, sqlite_db, "a plan made on the spot has no approvals: save it with `recon plan --out FILE`")


def test_without_allowed_signers_apply_is_as_before_and_says_approvals_are_unchecked(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db, required=2)
    approve(plan, keys["alice"])
    done = apply(plan, sqlite_db, None)
    assert done.returncode == 0, done.stderr
    assert "approvals: not checked (1 approval(s) in " in done.stdout and "no allowed signers" in done.stdout
    assert stored_rows(sqlite_db, "SELECT unit, approvers FROM recon_ledger") == [("U1-things", None)]


# -- accepted and recorded, on every dialect --------------------------------------------------------

def test_valid_approvals_are_accepted_and_recorded_in_the_ledger(tmp_path, db, keys):
    plan = saved_plan(tmp_path, db, required=2)
    approve(plan, keys["bob"])
    approve(plan, keys["alice"])
    approve(plan, keys["mallory"])  # unknown here: not counted, and not needed
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]), ("bob@example.com", keys["bob"]))
    done = apply(plan, db, signers, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["approvals"]["approvers"] == ["bob@example.com", "alice@example.com"]
    assert (report["approvals"]["required"], report["approvals"]["checked"]) == (2, True)
    assert len(report["approvals"]["problems"]) == 1 and "is unknown" in report["approvals"]["problems"][0]
    assert "things" in tables(db)
    rows = stored_rows(db, "SELECT unit, status, approvers FROM recon_ledger ORDER BY seq")
    assert rows == [("U1-things", "applied", '["bob@example.com", "alice@example.com"]')]
    shown = run("history", "--db", db.url)
    assert shown.returncode == 0 and "approved by: bob@example.com, alice@example.com" in shown.stdout, shown.stderr
    as_json = json.loads(run("history", "--db", db.url, "--format", "json").stdout)
    assert [r["approvers"] for r in as_json] == [["bob@example.com", "alice@example.com"]]
    assert "password" not in done.stdout + shown.stdout


def test_text_report_names_the_approvers(tmp_path, sqlite_db, keys):
    plan = saved_plan(tmp_path, sqlite_db)
    approve(plan, keys["alice"])
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]))
    done = apply(plan, sqlite_db, None, env={"RECON_ALLOWED_SIGNERS": str(signers)})
    assert done.returncode == 0, done.stderr
    assert f"approved by alice@example.com (1 of 1 required; allowed signers {signers})" in done.stdout
    assert "applied U1-things" in done.stdout


def test_an_older_ledger_gains_the_approvers_column(tmp_path, sqlite_db, keys):
    from engine.ledger.table import COLUMNS, create_statement

    older = create_statement("recon_ledger", "sqlite").replace(', "approvers" TEXT', "").replace(", approvers TEXT", "")
    assert "approvers" not in older and len(COLUMNS) > 1
    sqlite_db.run(older)
    plan = saved_plan(tmp_path, sqlite_db)
    approve(plan, keys["alice"])
    done = apply(plan, sqlite_db, allowed(tmp_path, ("alice@example.com", keys["alice"])))
    assert done.returncode == 0, done.stderr
    assert stored_rows(sqlite_db, "SELECT unit, approvers FROM recon_ledger") == [("U1-things", '["alice@example.com"]')]


# -- fleet plans ---------------------------------------------------------------------------------

def test_a_fleet_plan_is_approved_as_a_whole_and_each_target_records_the_approvers(tmp_path, keys):
    import sqlalchemy as sa
    from conftest import TestDB

    dbs = {}
    for name in ("a", "b"):
        path = tmp_path / f"{name}.db"
        sa.create_engine(f"sqlite:///{path}").connect().close()
        dbs[name] = TestDB(f"sqlite:///{path}", "sqlite")
    specs = tmp_path / "specs"
    specs.mkdir()
    write(specs, "units", UNIT)
    targets = tmp_path / "targets.yaml"
    targets.write_text("".join(f"- name: {n}\n  url: '{d.url}'\n" for n, d in dbs.items()))
    fleet = tmp_path / "fleet.json"
    done = run("plan", "--specs", specs, "--targets", targets, "--out", fleet)
    assert done.returncode == 0, done.stderr
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]))
    unsigned = run("apply", fleet, "--targets", targets, "--allowed-signers", signers)
    assert unsigned.returncode == 3 and "approvals: the fleet plan has 0 valid of 1 required" in unsigned.stderr
    assert all(tables(d) == set() for d in dbs.values())
    approve(fleet, keys["alice"])
    done = run("apply", fleet, "--targets", targets, "--allowed-signers", signers, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    for d in dbs.values():
        assert stored_rows(d, "SELECT unit, approvers FROM recon_ledger") == [("U1-things", '["alice@example.com"]')]


def test_the_python_api_signs_checks_and_reports_the_approvers(tmp_path, sqlite_db, keys):
    import engine
    from engine import report as views

    plan = saved_plan(tmp_path, sqlite_db)
    signed = engine.approve(str(plan), str(keys["alice"]))
    assert (signed.signatures, signed.sidecar) == (1, f"{plan}.approvals")
    loaded = engine.load_plan(str(plan))
    assert [a.key for a in loaded.approvals.entries] == [signed.approval.key] and loaded.digest == signed.approval.digest
    signers = allowed(tmp_path, ("alice@example.com", keys["alice"]))
    with pytest.raises(engine.SafetyRefusal, match="has 0 valid of 1 required"):
        engine.apply(engine.Plan.from_dict(json.loads(plan.read_text())), sqlite_db.url,
                     allowed_signers=str(signers))  # the plan without its sidecar
    assert tables(sqlite_db) == set()
    result = engine.apply(loaded, sqlite_db.url, allowed_signers=str(signers))
    assert result.approvals.approvers == ("alice@example.com",)
    said = f"approved by alice@example.com (1 of 1 required; allowed signers {signers})"
    assert said in views.apply_markdown(result)
    assert said in views.apply_html(result, loaded)
