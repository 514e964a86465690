"""Fleets: ``--targets FILE`` on audit, plan and apply, shards and ``report merge``, fleet plans.

Driven as the installed ``recon`` process on throwaway databases of each dialect (several per
test, created and dropped here), plus a fleet that mixes the three; stored ledger rows and
the JSON documents are checked, not only exit codes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import html5lib
import pytest
import sqlalchemy as sa
from conftest import MYSQL_URL, POSTGRES_URL, TestDB, _server_engine, _with_driver
from support import RECON_VARIABLES, stored_rows, write

DIALECTS = ["sqlite", "postgresql", "mysql"]
UNREACHABLE = "postgresql://fleet:s3cr3t-pw@127.0.0.1:9/nowhere"  # nothing listens on port 9


def recon(*args, cwd=None, env=None) -> tuple[int, str, str]:
    """The installed ``recon`` console script as its own process: (exit code, stdout, stderr)."""
    exe = shutil.which("recon", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert exe, "the recon console script is not installed in this environment"
    clean = {k: v for k, v in os.environ.items() if k not in RECON_VARIABLES} | (env or {})
    done = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=clean, cwd=cwd, stdin=subprocess.DEVNULL, timeout=300)
    return done.returncode, done.stdout, done.stderr


@contextmanager
def databases(dialect: str, count: int, tmp_path: Path):
    """``count`` fresh databases of ``dialect``, dropped afterwards."""
    if dialect == "sqlite":
        made = []
        for _ in range(count):
            path = tmp_path / f"fleet_{uuid.uuid4().hex[:8]}.db"
            sa.create_engine(f"sqlite:///{path}").connect().close()
            made.append(TestDB(f"sqlite:///{path}", "sqlite"))
        yield made
        return
    server = POSTGRES_URL if dialect == "postgresql" else MYSQL_URL
    eng = _server_engine(server, "PostgreSQL" if dialect == "postgresql" else "MariaDB/MySQL")
    quote = '"{}"' if dialect == "postgresql" else "`{}`"
    names = [f"recon_f_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    try:
        with eng.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"CREATE DATABASE {quote.format(name)}")
        base = sa.engine.make_url(_with_driver(server))
        yield [TestDB(base.set(database=n).render_as_string(hide_password=False), dialect) for n in names]
    finally:
        with eng.connect() as conn:
            for name in names:
                force = " WITH (FORCE)" if dialect == "postgresql" else ""
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote.format(name)}{force}")
        eng.dispose()


def write_specs(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    write(folder, "fingerprint", """
        kind: fingerprint
        name: app
        checks:
          - table: items
          - column: items.label
    """)
    write(folder, "unit", """
        kind: migration
        id: T-1-items
        ticket: T-1
        scope: schema
        description: the items table
        rollback:
          notes: nothing reads it yet
          operations:
            - drop_table: {table: items}
        operations:
          - create_table:
              table: items
              columns:
                - {name: id, type: integer, primary_key: true}
                - {name: label, type: text}
    """)
    return folder


def targets_file(path: Path, named: dict[str, str]) -> Path:
    path.write_text("".join(f"- name: {n}\n  url: '{u}'\n" for n, u in named.items()), encoding="utf-8")
    return path


def rows_by_name(document: dict) -> dict[str, dict]:
    return {row["name"]: row for row in document["targets"]}


def has_ledger(db: TestDB) -> bool:
    eng = db.engine()
    try:
        return sa.inspect(eng).has_table("recon_ledger")
    finally:
        eng.dispose()


def ledger(db: TestDB) -> list[tuple]:
    return stored_rows(db, "SELECT unit, status, plan_id FROM recon_ledger ORDER BY seq")


def test_a_targets_file_is_checked_with_file_line_and_key(tmp_path):
    bad = tmp_path / "targets.yaml"
    bad.write_text("- {name: a, url: 'sqlite:///a.db'}\n- {name: b, url: 'sqlite:///b.db', url_env: B_URL}\n"
                   "- {url: 'sqlite:///c.db'}\n- {name: a, url_env: A_URL, colour: red}\n", encoding="utf-8")
    code, out, err = recon("audit", "--specs", write_specs(tmp_path / "specs"), "--targets", bad)
    assert code == 1 and out == ""
    assert "4 problems in the targets file" in err and "Traceback" not in err
    assert "targets.yaml:2: [1]: give exactly one of url" in err
    assert "targets.yaml:3: [2].name: missing" in err
    assert "targets.yaml:4: [3].colour: unknown key" in err
    assert "targets.yaml:4: name: target 'a' is declared twice (first at" in err and "targets.yaml:1)" in err


def test_fleet_options_are_refused_where_they_do_not_fit(tmp_path):
    specs = write_specs(tmp_path / "specs")
    targets = targets_file(tmp_path / "t.yaml", {"a": "sqlite:///nowhere.db"})
    code, _, err = recon("audit", "--specs", specs, "--db", "sqlite:///x.db", "--targets", targets)
    assert code == 1 and "drop --db" in err
    code, _, err = recon("plan", "--specs", specs, "--db", "sqlite:///x.db", "--parallel", "2")
    assert code == 1 and "--parallel goes with --targets FILE" in err
    code, _, err = recon("audit", "--specs", specs, "--targets", targets, "--shard", "3/2")
    assert code == 1 and "1 <= K <= N" in err
    code, _, err = recon("apply", "--specs", specs, "--targets", targets)
    assert code == 1 and "--auto-approve" in err


@pytest.mark.parametrize("dialect", DIALECTS)
def test_fleet_audit_keeps_going_past_an_unreachable_target_and_exits_with_the_worst_code(dialect, tmp_path):
    specs = write_specs(tmp_path / "specs")
    with databases(dialect, 2, tmp_path) as (good, bare):
        assert recon("apply", "--specs", specs, "--db", good.url, "--auto-approve")[0] == 0
        targets = targets_file(tmp_path / "targets.yaml", {"good": good.url, "bare": bare.url, "down": UNREACHABLE})
        code, out, err = recon("audit", "--specs", specs, "--targets", targets, "--strict", "--format", "json", "--parallel", "3")
        assert code == 2, err  # good 0, down 1, bare 2: the highest
        document = json.loads(out)
        assert document["format"] == "recon.fleet/v1" and document["command"] == "audit"
        assert [r["name"] for r in document["targets"]] == ["bare", "down", "good"]
        rows = rows_by_name(document)
        assert rows["good"]["exit_code"] == 0 and rows["good"]["report"]["fingerprint"]["passed"] == 2
        assert rows["good"]["report"]["format"] == "recon.audit/v1" and rows["good"]["target"]["dialect"] == dialect
        assert rows["bare"]["exit_code"] == 2 and rows["bare"]["report"]["fingerprint"]["passed"] == 0
        assert rows["down"]["exit_code"] == 1 and rows["down"]["report"] is None and "cannot connect" in rows["down"]["error"]
        assert document["totals"] == {"targets": 3, "exit_codes": {"0": 1, "1": 1, "2": 1}, "exit_code": 2,
                                      "failed": ["down"], "refused": []}
        assert "s3cr3t-pw" not in out + err
        code, text, _ = recon("audit", "--specs", specs, "--targets", targets, "--format", "markdown")
        assert code == 1 and "| ❌ | `down` |" in text and "| ✅ | `good` |" in text and "s3cr3t-pw" not in text
        assert "| ⚠️ | `bare` |" in text  # exit 0 without --strict, but its checks fail: not shown as passing
        code, page, _ = recon("audit", "--specs", specs, "--targets", targets, "--format", "html")
        assert code == 1 and "s3cr3t-pw" not in page
        tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)  # a parse error raises
        rows = [["".join(c.itertext()) for c in tr] for tr in tree.find(".//table").iter("tr")][1:]  # the table of targets
        assert [(r[0], r[2]) for r in rows] == [("bare", "0"), ("down", "1"), ("good", "0")]
        assert [h.text.strip() for h in tree.iter("h2")][1:] == ["bare", "down", "good"]
        assert "Fingerprint 2/2" in "".join(tree.find(".//body").itertext())
        (tmp_path / "fleet.json").write_text(recon("audit", "--specs", specs, "--targets", targets, "--format", "json")[1])
        code, merged, _ = recon("report", "merge", tmp_path / "fleet.json", "--format", "html")
        assert code == 1 and html5lib.HTMLParser(strict=True).parse(merged) is not None and "down" in merged


def test_shards_cover_the_fleet_exactly_once_and_merge_joins_them(tmp_path):
    specs = write_specs(tmp_path / "specs")
    with databases("sqlite", 7, tmp_path) as dbs:
        named = {f"t{i}": db.url for i, db in zip((5, 1, 3, 0, 6, 2, 4), dbs)}
        targets = targets_file(tmp_path / "targets.yaml", named)
        parts = []
        for k in (1, 2, 3):
            code, _, err = recon("audit", "--specs", specs, "--targets", targets, "--shard", f"{k}/3", "--report", tmp_path / f"s{k}.json")
            assert code == 0, err
            parts.append(json.loads((tmp_path / f"s{k}.json").read_text()))
        names = [[r["name"] for r in p["targets"]] for p in parts]
        assert names == [["t0", "t3", "t6"], ["t1", "t4"], ["t2", "t5"]]  # every 3rd of the name order
        code, out, err = recon("report", "merge", *(tmp_path / f"s{k}.json" for k in (1, 2, 3)), "--format", "json", "--out", tmp_path / "all.json")
        assert code == 0, err
        merged = json.loads(out)
        assert [r["name"] for r in merged["targets"]] == sorted(named) and merged["shards"] == ["1/3", "2/3", "3/3"]
        assert merged["totals"]["targets"] == 7 and json.loads((tmp_path / "all.json").read_text()) == merged
        code, _, err = recon("report", "merge", tmp_path / "s1.json", tmp_path / "all.json")
        assert code == 1 and "target t0 is in both" in err
        code, _, err = recon("report", "merge", tmp_path / "s1.json", tmp_path / "s2.json")  # its 3rd shard died
        assert code == 1 and "shard 3/3 missing: its job may have failed" in err
        code, out, err = recon("report", "merge", tmp_path / "s1.json", tmp_path / "s2.json", "--partial", "--format", "json")
        assert code == 0 and json.loads(out)["shards"] == ["1/3", "2/3"] and json.loads(out)["totals"]["targets"] == 5
        code, _, _ = recon("plan", "--specs", specs, "--targets", targets, "--shard", "1/3", "--format", "json")
        assert code == 0
        (tmp_path / "p.json").write_text(recon("plan", "--specs", specs, "--targets", targets, "--shard", "2/3", "--format", "json")[1])
        code, _, err = recon("report", "merge", tmp_path / "s1.json", tmp_path / "p.json")
        assert code == 1 and "a fleet plan report" in err and "same command" in err


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_fleet_plan_groups_matching_targets_and_apply_refuses_a_drifted_one_by_name(dialect, tmp_path):
    specs = write_specs(tmp_path / "specs")
    with databases(dialect, 4, tmp_path) as (a, b, c, other):
        other.run("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)")  # already there: another planned state
        targets = targets_file(tmp_path / "targets.yaml", {"a": a.url, "b": b.url, "c": c.url, "other": other.url})
        code, _, err = recon("plan", "--specs", specs, "--targets", targets, "--out", tmp_path / "fleet.json")
        assert code == 0, err
        fleet = json.loads((tmp_path / "fleet.json").read_text())
        assert fleet["format"] == "recon.fleet-plan/v1"
        groups = [[m["name"] for m in g["targets"]] for g in fleet["groups"]]
        assert groups == [["a", "b", "c"], ["other"]]
        same, alone = fleet["groups"]
        assert same["plan"]["format"] == "recon.plan/v1" and same["state_digest"] == same["plan"]["state_digest"]
        assert alone["state_digest"] != same["state_digest"] and len({m["target_id"] for m in same["targets"]}) == 3
        assert [a["status"] for a in alone["plan"]["actions"]] == ["present"]
        c.run("CREATE TABLE items (id INTEGER PRIMARY KEY)")  # c drifts after review
        code, out, err = recon("apply", tmp_path / "fleet.json", "--targets", targets, "--format", "json")
        assert code == 3, err
        rows = rows_by_name(json.loads(out))
        assert {n: r["exit_code"] for n, r in rows.items()} == {"a": 0, "b": 0, "c": 3, "other": 0}
        assert "plan is stale" in rows["c"]["error"] and "items" in rows["c"]["error"]
        plan_ids = {m["name"]: m["plan_id"] for g in fleet["groups"] for m in g["targets"]}
        assert len(set(plan_ids.values())) == 4  # each target its own plan id
        for name, db in (("a", a), ("b", b), ("other", other)):
            assert ledger(db) == [("T-1-items", "applied", plan_ids[name])]
            assert rows[name]["report"]["plan_id"] == plan_ids[name]
        assert not has_ledger(c)
        code, _, err = recon("apply", tmp_path / "fleet.json", "--targets", targets)
        assert code == 3 and "already applied" in err + _


def test_a_fleet_plan_refuses_an_edited_file_a_target_it_does_not_hold_and_another_database(tmp_path):
    specs = write_specs(tmp_path / "specs")
    with databases("sqlite", 3, tmp_path) as (a, b, stranger):
        targets = targets_file(tmp_path / "targets.yaml", {"a": a.url, "b": b.url})
        assert recon("plan", "--specs", specs, "--targets", targets, "--out", tmp_path / "fleet.json")[0] == 0
        edited = json.loads((tmp_path / "fleet.json").read_text())
        edited["groups"][0]["targets"].pop()
        (tmp_path / "edited.json").write_text(json.dumps(edited))
        code, _, err = recon("apply", tmp_path / "edited.json", "--targets", targets)
        assert code == 3 and "fleet_digest does not match" in err
        swapped = targets_file(tmp_path / "swapped.yaml", {"a": stranger.url, "b": b.url, "new": a.url})
        code, out, err = recon("apply", tmp_path / "fleet.json", "--targets", swapped, "--format", "json")
        rows = rows_by_name(json.loads(out))
        assert code == 3 and rows["b"]["exit_code"] == 0
        assert rows["a"]["exit_code"] == 3 and "is another database" in rows["a"]["error"]
        assert rows["new"]["exit_code"] == 3 and "target new is not in" in rows["new"]["error"]
        assert [r[:2] for r in ledger(b)] == [("T-1-items", "applied")]
        assert not has_ledger(a)  # neither a (under another name) nor stranger ran
        assert not has_ledger(stranger)
        assert recon("plan", "--specs", specs, "--db", a.url, "--out", tmp_path / "one.json")[0] == 0
        code, _, err = recon("apply", tmp_path / "one.json", "--targets", targets)
        assert code == 1 and "a plan for one target" in err


def test_a_fleet_of_three_dialects_plans_in_three_groups_and_applies_each(tmp_path):
    specs = write_specs(tmp_path / "specs")
    with ExitStack() as stack:
        dbs = {d: stack.enter_context(databases(d, 1, tmp_path))[0] for d in DIALECTS}
        targets = targets_file(tmp_path / "targets.yaml", {d: db.url for d, db in dbs.items()})
        code, out, err = recon("plan", "--specs", specs, "--targets", targets, "--out", tmp_path / "fleet.json", "--detailed-exitcode")
        assert code == 2, err
        assert "group 1 (mysql" in out and "group 3 (sqlite" in out
        fleet = json.loads((tmp_path / "fleet.json").read_text())
        assert [[m["name"] for m in g["targets"]] for g in fleet["groups"]] == [["mysql"], ["postgresql"], ["sqlite"]]
        code, out, err = recon("apply", tmp_path / "fleet.json", "--targets", targets, "--parallel", "3")
        assert code == 0, out + err
        assert "fleet apply: 3 target(s), 3 exit 0; exit code 0" in out
        for db in dbs.values():
            assert [r[:2] for r in ledger(db)] == [("T-1-items", "applied")]
        code, out, err = recon("audit", "--specs", specs, "--targets", targets, "--strict", "--format", "json")
        assert code == 0 and all(r["report"]["ok"] for r in json.loads(out)["targets"])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_apply_targets_without_a_plan_applies_target_by_target(dialect, tmp_path):
    specs = write_specs(tmp_path / "specs")
    with databases(dialect, 2, tmp_path) as (a, b):
        targets = targets_file(tmp_path / "targets.yaml", {"a": a.url, "b": b.url, "down": UNREACHABLE})
        code, out, err = recon("apply", "--specs", specs, "--targets", targets, "--auto-approve", "--format", "json")
        assert code == 1, err
        rows = rows_by_name(json.loads(out))
        assert rows["down"]["exit_code"] == 1 and "s3cr3t-pw" not in out + err
        for name, db in (("a", a), ("b", b)):
            assert rows[name]["report"]["format"] == "recon.apply/v1"
            assert ledger(db) == [("T-1-items", "applied", rows[name]["report"]["plan_id"])]


def test_env_gives_every_target_its_gates_and_a_gate_refusal_stops_the_whole_fleet_apply(tmp_path):
    specs = write_specs(tmp_path / "specs")
    write(specs, "environments", """
        kind: environments
        environments:
          - name: frozen
            database_url_env: FROZEN_URL
            mode: detect-only
    """)
    with databases("sqlite", 2, tmp_path) as (a, b):
        targets = targets_file(tmp_path / "targets.yaml", {"a": a.url, "b": b.url})
        code, out, err = recon("plan", "--specs", specs, "--targets", targets)
        assert code == 1 and out == "" and err.count("the specs declare environments") == 1  # once, not per target
        code, out, err = recon("plan", "--specs", specs, "--targets", targets, "--env", "frozen", "--out", tmp_path / "fleet.json", "--format", "json")
        assert code == 0, err
        assert all(r["report"]["environment"]["environment"] == "frozen" for r in json.loads(out)["targets"])
        code, out, err = recon("apply", tmp_path / "fleet.json", "--targets", targets, "--env", "frozen")
        assert code == 3 and out == "" and "group 1 (a, b)" in err and "detect-only" in err
        assert not has_ledger(a) and not has_ledger(b)


def test_unit_and_exclude_select_the_same_work_on_every_target_of_a_fleet(tmp_path):
    """--unit and --exclude go through to each target's plan; a saved fleet plan carries its selection."""
    specs = write_specs(tmp_path / "specs")
    write(specs, "later", """
        kind: migration
        id: T-2-tags
        scope: schema
        depends_on: [T-1-items]
        operations:
          - create_table: {table: tags, columns: [{name: id, type: integer, primary_key: true}]}
    """)
    with databases("sqlite", 2, tmp_path) as (a, b):
        targets = targets_file(tmp_path / "targets.yaml", {"a": a.url, "b": b.url})
        code, out, err = recon("plan", "--specs", specs, "--targets", targets, "--unit", "T-1-items", "--format", "json")
        assert code == 0, err
        assert {r["name"]: [u["id"] for u in r["report"]["units"]] for r in json.loads(out)["targets"]} == {
            "a": ["T-1-items"], "b": ["T-1-items"]}
        code, out, err = recon("plan", "--specs", specs, "--targets", targets, "--exclude", "T-1-items", "--format", "json")
        rows = json.loads(out)["targets"]  # each target's selection is its own (what its ledger holds): refused on each
        assert code == 1 and [r["exit_code"] for r in rows] == [1, 1] and all("T-2-tags depends on it" in r["error"] for r in rows)
        code, _, err = recon("plan", "--specs", specs, "--targets", targets, "--unit", "T-1-items", "--out", tmp_path / "f.json")
        assert code == 0, err
        code, _, err = recon("apply", tmp_path / "f.json", "--targets", targets, "--unit", "T-1-items")
        assert code == 1 and "carries its selection" in err
        code, _, err = recon("apply", tmp_path / "f.json", "--targets", targets)
        assert code == 0, err
        for db in (a, b):
            assert [r[0] for r in stored_rows(db, "SELECT unit FROM recon_ledger ORDER BY seq")] == ["T-1-items"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_target_with_nothing_to_apply_is_a_row_not_a_crash(dialect, tmp_path):
    """A fleet where one tenant is current: the others apply, the current one says nothing to apply, exit 0."""
    specs = write_specs(tmp_path / "specs")
    with databases(dialect, 2, tmp_path) as (done, fresh):
        assert recon("apply", "--specs", specs, "--db", done.url, "--auto-approve")[0] == 0
        targets = targets_file(tmp_path / "targets.yaml", {"done": done.url, "fresh": fresh.url})
        code, _, err = recon("plan", "--specs", specs, "--targets", targets, "--out", tmp_path / "fleet.json")
        assert code == 0, err
        code, out, err = recon("apply", tmp_path / "fleet.json", "--targets", targets, "--format", "json")
        assert code == 0 and "Traceback" not in err and "internal error" not in err, out + err
        rows = rows_by_name(json.loads(out))
        assert rows["done"]["exit_code"] == 0 and rows["done"]["report"]["units"] == []
        assert rows["done"]["report"]["target"]["dialect"] == dialect and rows["fresh"]["report"]["units"][0]["status"] == "applied"
        assert [r[0] for r in ledger(fresh)] == ["T-1-items"] and len(ledger(done)) == 1
        code, out, err = recon("apply", "--specs", specs, "--targets", targets, "--auto-approve")
        assert code == 0 and "nothing to apply" in out, out + err
