"""The performance matrix's targets and its result tables (plain text and markdown).

``verdicts`` judges a ``matrix.py`` result against the targets below; ``text`` is what the
driver prints, ``markdown`` what ``--markdown FILE`` writes for docs/performance.md.
``python bench/matrix_report.py RESULTS.json`` prints the markdown of a saved ``--json`` run.
"""

from __future__ import annotations

from audit_bench import table_text

# Targets, whole process, best of the runs.
AUDIT_VS_ALEMBIC = 0.15      # at 1,000 tables and more
AUDIT_VS_PG_DUMP = 1.5       # at 1,000 tables and more
JUDGED_FROM_TABLES = 1000
VALIDATE_SECONDS = 0.35      # recon validate of the example specs
APPLY_SECONDS = 1.0          # 50 units on the 1,000-table schema
PER_UNIT_VS_PSQL = 1.5
PLAN_VS_AUDIT = 1.2
AUDIT_RSS_MB = 150.0
ROWS = {"plan": 2.5, "apply": 2.5, "replan": 1.5}  # PostgreSQL, 50,000 grants
DIALECT_NAMES = {"mysql": "mysql (on MariaDB)"}


def _target(name: str, value: float, limit: float, unit: str = "") -> dict:
    return {"name": name, "value": round(value, 4), "target": f"<= {limit:g}{unit}", "met": value <= limit}


def verdicts(r: dict) -> list[dict]:
    """Every target the run can judge: name, measured value, target, met."""
    out = [_target("recon validate of specs/ (s)", r["floor"]["validate_examples"]["seconds_best"], VALIDATE_SECONDS, " s")]
    for tables, s in r["sizes"].items():
        if int(tables) >= JUDGED_FROM_TABLES:
            out.append(_target(f"audit / Alembic @ {tables} tables", s["ratios"]["audit_vs_alembic"], AUDIT_VS_ALEMBIC, "x"))
            out.append(_target(f"audit / pg_dump @ {tables} tables", s["ratios"]["audit_vs_pg_dump"], AUDIT_VS_PG_DUMP, "x"))
        out.append(_target(f"plan / audit @ {tables} tables", s["ratios"]["plan_vs_audit"], PLAN_VS_AUDIT, "x"))
        out.append(_target(f"audit peak RSS @ {tables} tables (MB)", s["audit"]["peak_rss_mb"], AUDIT_RSS_MB, " MB"))
        fp = s["fingerprint"]
        out.append({"name": f"canaries passing @ {tables} tables", "value": f"{fp['passed']}/{fp['total']}",
                    "target": f"{fp['expected']}/{fp['expected']}", "met": fp["passed"] == fp["total"] == fp["expected"]})
        if "apply" in s:
            a = s["apply"]
            out.append(_target(f"apply {a['units']} units @ {tables} tables (s)", a["recon"][a["units"]]["seconds_best"], APPLY_SECONDS, " s"))
            if a["per_unit_ratio"] is not None:
                out.append(_target("apply per-unit cost / psql's", a["per_unit_ratio"], PER_UNIT_VS_PSQL, "x"))
                in_unit, psql_ms = a["in_process_per_unit"]["unit_transactions_ms"], a["per_unit_ms"]["psql"]
                if in_unit and psql_ms > 0:  # the same, with recon's side read in-process (no whole-process noise)
                    out.append(_target("apply per-unit cost / psql's, recon's unit transactions in-process", in_unit / psql_ms, PER_UNIT_VS_PSQL, "x"))
                timed = a["in_process_per_unit"].get("psql_timed_ms")
                if in_unit and timed:  # both sides timed statement by statement: no difference of two runs
                    out.append(_target("apply per-unit cost / psql's, both timed statement by statement", in_unit / timed, PER_UNIT_VS_PSQL, "x"))
    pg = r.get("rows", {}).get("dialects", {}).get("postgresql")
    if pg:
        for key, limit in ROWS.items():
            out.append(_target(f"rbac {r['rows']['grants']} grants: {key} on postgresql (s)", pg[key]["seconds"], limit, " s"))
    return out


def _s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def _met(flag: bool) -> str:
    return "yes" if flag else "**no**"


def header(r: dict) -> str:
    e = r["environment"]
    a = r["args"]
    return (f"Measured {r['generated_at']}: best of {a['runs']} whole-process run(s), Python {e['python']}, PostgreSQL "
            f"{e['postgresql']}, {e['cpus']} CPUs; load average (1 min) {e['load_avg_start'][0]:.2f} at the start, "
            f"{e['load_avg_end'][0]:.2f} at the end; matrix took {r['total_seconds']:.0f} s.")


def markdown(r: dict) -> str:
    """The tables docs/performance.md quotes."""
    parts = [header(r), "", *_md_sizes(r), "", *_md_audit_phases(r), "", *_md_floor(r), ""]
    apply = next((s["apply"] for s in r["sizes"].values() if "apply" in s), None)
    if apply:
        parts += [*_md_apply(apply), ""]
    if r.get("rows"):
        parts += [*_md_rows(r["rows"]), ""]
    parts += ["| target | measured | limit | met |", "|---|---|---|---|"]
    parts += [f"| {t['name']} | {t['value']} | {t['target']} | {_met(t['met'])} |" for t in r["targets"]]
    profiles = _md_profiles(r)
    if profiles:
        parts += ["", "Profiles (`--profile`: `-X importtime` and cProfile of one whole process each):", "", *profiles]
    return "\n".join(parts) + "\n"


def _md_sizes(r: dict) -> list[str]:
    head = ("| tables | canaries | recon audit | Alembic compare | pg_dump --schema-only | audit / Alembic | audit / pg_dump | "
            "recon plan (units) | plan / audit | audit peak RSS | audit statements | in-process load_specs + audit |")
    rows = [head, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for tables, s in r["sizes"].items():
        q, ip = s["ratios"], s["audit_in_process"]
        rows.append(f"| {int(tables):,} | {s['canaries']:,} | {_s(s['audit']['seconds_best'])} | {_s(s['alembic']['seconds_best'])} | "
                    f"{_s(s['pg_dump']['seconds_best'])} | {q['audit_vs_alembic']:.3f}x | {q['audit_vs_pg_dump']:.2f}x | "
                    f"{_s(s['plan']['seconds_best'])} ({s['units']}) | {q['plan_vs_audit']:.2f}x | {s['audit']['peak_rss_mb']:.0f} MB | "
                    f"{ip['statements']} | {ip['load_specs_seconds']:.3f} + {ip['audit_seconds']:.3f} s |")
    return rows


PHASE_COLUMNS = (("load_specs", None), ("YAML", "load_specs: read + parse YAML"),
                 ("validation", "load_specs: validation (JSON Schema, cross-references, model, lint)"), ("audit", None),
                 ("inspection", "audit: catalog inspection"), ("catalog queries", "- of which catalog queries (server, driver, rows)"),
                 ("building tables", "- of which building tables"), ("canaries", "audit: canaries"), ("report: JSON text", None))


def _md_audit_phases(r: dict) -> list[str]:
    """In-process, warm: where an audit's seconds go at each size (imports are in the profile)."""
    out = ["| in-process audit, warm | " + " | ".join(name for name, _ in PHASE_COLUMNS) + " |",
           "|---:|" + "---:|" * len(PHASE_COLUMNS)]
    for tables, s in r["sizes"].items():
        ph = s["audit_phases"]
        cells = [ph.get(name) if key is None else ph["phases"].get(key, {}).get("seconds") for name, key in PHASE_COLUMNS]
        out.append(f"| {int(tables):,} tables | " + " | ".join("" if c is None else f"{c:.3f}" for c in cells) + " |")
    return out


def _md_floor(r: dict) -> list[str]:
    f = r["floor"]
    return ["| start-up | best |", "|---|---:|",
            f"| `python -c 'import sqlalchemy.dialects.postgresql.psycopg'` | {_s(f['stack_import']['seconds_best'])} |",
            f"| `recon --version` | {_s(f['version']['seconds_best'])} |",
            f"| `recon validate --specs specs` (the example specs) | {_s(f['validate_examples']['seconds_best'])} |"]


def _md_apply(a: dict) -> list[str]:
    big, small = a["units"], a["small_units"]
    rb, rs = a["recon"][big]["seconds_best"], a["recon"][small]["seconds_best"]
    pb, ps = a["psql"][big]["seconds_best"], a["psql"][small]["seconds_best"]
    ratio = "n/a" if a["per_unit_ratio"] is None else f"{a['per_unit_ratio']:.2f}x"
    psql = (f"| `psql -f` (the same SQL, {a['psql'][big]['statements']} statements at {big} units) | {_s(ps)} | {_s(pb)} | "
            f"{a['per_unit_ms']['psql']:.1f} ms |")
    ip, per = a["in_process"], a["in_process_per_unit"]
    phases = "; ".join(f"{k} {v['seconds']:.3f} s" for k, v in ip["phases"].items())
    return [f"| apply on {a['tables']:,} tables | {small} units | {big} units | per unit: ({big} - {small}) / {big - small} |",
            "|---|---:|---:|---:|",
            f"| `recon apply plan.json` | {_s(rs)} | {_s(rb)} | {a['per_unit_ms']['recon']:.1f} ms |",
            psql,
            f"| recon / psql | {rs / ps:.1f}x | {rb / pb:.1f}x | {ratio} |",
            "",
            (f"Best of {a['runs']} runs each, every run on a fresh clone. In-process `engine.apply` of the {big} units: "
             f"{ip['apply_seconds']:.3f} s, {ip['statements']} statements; {phases}. Per unit in-process: "
             f"{per['statements']} statements (psql: {per['psql_statements']}), {per['unit_transactions_ms']} ms in the unit "
             f"transactions, {per['difference_ms']} ms by the {big} - {small} difference"
             + (f"; psql timed statement by statement (`\\timing`): {per['psql_timed_ms']} ms per unit." if per.get("psql_timed_ms") else "."))]


def _md_rows(rows: dict) -> list[str]:
    head = (f"| rbac, {rows['grants']:,} grants ({rows['roles']} roles, {rows['permissions']:,} permissions) | plan --out | apply | "
            "no-op re-plan | per-row loop | executemany floor | apply / loop |")
    out = [head, "|---|---:|---:|---:|---:|---:|---:|"]
    for dialect, d in rows["dialects"].items():
        p = d["peers"]
        out.append(f"| {DIALECT_NAMES.get(dialect, dialect)} | {_s(d['plan']['seconds'])} | {_s(d['apply']['seconds'])} | {_s(d['replan']['seconds'])} | "
                   f"{_s(p['loop']['seconds'])} | {_s(p['batch']['seconds'])} | {d['apply']['seconds'] / p['loop']['seconds']:.2f}x |")
    return out


def _md_profiles(r: dict) -> list[str]:
    out = []
    for tables, s in r["sizes"].items():
        for name, prof in s.get("profile", {}).items():
            out += _md_profile(f"{name} @ {int(tables):,} tables", prof)
        for name, prof in s.get("apply", {}).get("profile", {}).items():
            out += _md_profile(f"{name} ({s['apply']['units']} units) @ {int(tables):,} tables", prof)
    return out


def _md_profile(label: str, prof: dict) -> list[str]:
    imp, cp = prof["importtime"], prof["cprofile"]
    if "error" in cp:
        return [f"- {label}: cProfile failed"]
    packages = ", ".join(f"{k} {v:.3f}" for k, v in list(imp["packages"].items())[:8])
    areas = ", ".join(f"{k} {v:.3f}" for k, v in list(cp["self_by_area"].items())[:8])
    fns = ", ".join(f"`{e['function']}` {e['seconds']:.3f}" for e in cp["engine_cumulative"][:8])
    hot = ", ".join(f"`{e['function']}` {e['seconds']:.3f}" for e in cp["self_top"][:6])
    return [(f"- **{label}**: imports {imp['total_seconds']:.3f} s (-X importtime; {packages}); under cProfile "
             f"{cp['total_seconds']:.3f} s, of it {cp['imports_seconds']:.3f} s importing; self time by area: {areas}; "
             f"engine functions by cumulative time: {fns}; functions by self time: {hot}")]


def text(r: dict) -> str:
    """The plain-text result table the driver prints."""
    rows = []
    for tables, s in r["sizes"].items():
        rows += [(f"{tables} tables: recon audit / alembic / pg_dump",
                  f"{_s(s['audit']['seconds_best'])} / {_s(s['alembic']['seconds_best'])} / {_s(s['pg_dump']['seconds_best'])}", "", ""),
                 (f"{tables} tables: recon plan ({s['units']} units)", _s(s["plan"]["seconds_best"]), "", "")]
        if "apply" in s:
            a = s["apply"]
            for u in (a["small_units"], a["units"]):
                rows.append((f"{tables} tables: apply {u} units recon / psql",
                             f"{_s(a['recon'][u]['seconds_best'])} / {_s(a['psql'][u]['seconds_best'])}", "", ""))
            rows.append(("per unit recon / psql", f"{a['per_unit_ms']['recon']:.1f} / {a['per_unit_ms']['psql']:.1f} ms", "", ""))
    f = r["floor"]
    rows.append(("import stack / recon --version", f"{_s(f['stack_import']['seconds_best'])} / {_s(f['version']['seconds_best'])}", "", ""))
    for dialect, d in r.get("rows", {}).get("dialects", {}).items():
        rows.append((f"rbac {dialect}: plan / apply / re-plan / loop",
                     f"{_s(d['plan']['seconds'])} / {_s(d['apply']['seconds'])} / {_s(d['replan']['seconds'])} / {_s(d['peers']['loop']['seconds'])}", "", ""))
    rows += [(t["name"], str(t["value"]), t["target"], "ok" if t["met"] else "MISSED") for t in r["targets"]]
    footer = f"setup (s): {r['setup_seconds']}; step seconds: " + ", ".join(
        f"{k} tables {v['step_seconds']}" for k, v in r["sizes"].items()) + (f", rows {r['rows']['step_seconds']}" if r.get("rows") else "")
    return table_text("recon performance matrix. " + header(r), rows, footer)


def from_json(path: str) -> dict:
    """A result ``matrix.py --json`` wrote, with the unit counts back as numbers and the targets judged again."""
    import json

    with open(path, encoding="utf-8") as handle:
        r = json.load(handle)
    for s in r["sizes"].values():
        if "apply" in s:
            for tool in ("recon", "psql"):
                s["apply"][tool] = {int(u): v for u, v in s["apply"][tool].items()}
    r["targets"] = verdicts(r)
    return r


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python bench/matrix_report.py RESULTS.json  (the markdown tables of a matrix.py --json run, on stdout)")
    print(markdown(from_json(sys.argv[1])), end="")
