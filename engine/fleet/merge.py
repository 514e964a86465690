"""``recon report merge``: the ``recon.fleet/v1`` reports of a sharded run joined into one.

The reports must be of the same command and the same specs, and no target may appear in two
of them (two shards of one targets file never overlap; an overlap means the same target ran
twice, and neither row can be preferred). The merged report holds every row in name order,
the shards it covers, and totals (the worst exit code of all) computed again.
"""

from __future__ import annotations

from ..errors import ReportError, UsageError
from .run import FLEET_FORMAT, FleetEntry, FleetReport


def fleet_report(data, source: str) -> FleetReport:
    """A ``recon.fleet/v1`` document read back (its rows keep their reports as documents)."""
    if not isinstance(data, dict) or data.get("format") != FLEET_FORMAT:
        raise ReportError(f"{source}: not a recon fleet report (expected format {FLEET_FORMAT!r})")
    try:
        entries = [FleetEntry.from_dict(e) for e in data["targets"]]
        return FleetReport(data["command"], entries, data["generated_at"], data.get("specs_digest"), tuple(data.get("shards") or ()))
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"{source}: malformed fleet report ({exc})") from None


def merge(reports: list[tuple[str, FleetReport]], partial: bool = False) -> FleetReport:
    """One report of ``(source, report)`` pairs; mismatched commands or specs, or a repeated target, refused,
    and so are shards of different splits, or (unless ``partial``) a split with a shard missing."""
    if not reports:
        raise UsageError("report merge needs at least one fleet report")
    first_source, first = reports[0]
    seen: dict[str, str] = {}
    for source, report in reports:
        if report.command != first.command:
            raise UsageError(f"{source} is a fleet {report.command} report and {first_source} a fleet {first.command} report: "
                             "merge reports of the same command")
        if report.specs_digest != first.specs_digest:
            raise UsageError(f"{source} and {first_source} were made from different specs (specs_digest differs): "
                             "merge the shards of one run")
        for entry in report.entries:
            if entry.name in seen:
                raise UsageError(f"target {entry.name} is in both {seen[entry.name]} and {source}: shards of one run never overlap")
            seen[entry.name] = source
    entries = sorted((e for _, r in reports for e in r.entries), key=lambda e: e.name)
    shards = tuple(s for _, r in reports for s in r.shards)
    _check_shards(shards, partial)
    generated = max(r.generated_at for _, r in reports)
    return FleetReport(first.command, entries, generated, first.specs_digest, shards)


def _check_shards(shards: tuple[str, ...], partial: bool) -> None:
    """The shards ``K/N`` of one split, all of them: a missing one (its job died before writing its
    report) would make the merged report look clean."""
    if not shards:
        return
    parts = [tuple(int(x) for x in s.split("/")) for s in shards]
    splits = {n for _, n in parts}
    if len(splits) > 1:
        raise UsageError(f"the reports are shards of different splits ({', '.join(shards)}): merge the shards of one run")
    total = splits.pop()
    missing = [f"{k}/{total}" for k in range(1, total + 1) if k not in {k for k, _ in parts}]
    if missing and not partial:
        raise UsageError(f"shard{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing: its job may have failed before "
                         "writing its report, and a merged report without it would look clean. Merge every shard, or pass --partial")
