"""Views of drift findings (``drift.Drift``) for the plan, the audit and the history: no decisions here."""

from __future__ import annotations

import json

HINT = "  (accept the live state for a unit with `recon repair UNIT --reason TEXT`; restore what is gone with a new unit)"


def drift_lines(found, style=None, checksums: bool = True) -> list[str]:
    """Drift of applied units as text warnings, then what the operator can do about it; ``checksums=False``
    leaves out changed checksums (a plan lists them among its warnings already)."""
    shown = [d for d in found if checksums or d.kind != "checksum_changed"]
    if not shown:
        return []
    paint = style.paint if style is not None else (lambda text, *a, **k: text)
    return [paint(f"warning: drift of {d.unit}: {d.detail}", "yellow") for d in shown] + [HINT]


def drift_markdown(found) -> list[str]:
    """Drift of applied units as a list under a pull-request comment."""
    if not found:
        return []
    return ["", "**Drift of applied units:**", ""] + [f"- ⚠️ `{_md(d.unit)}` {d.kind}: {_md(d.detail)}" for d in found]


def accepted(row) -> list[str]:
    """The drift a ``repaired`` ledger row accepts (``Drift.key`` strings, sorted); [] for any other row."""
    if row.status != "repaired" or not row.accepted:
        return []
    return sorted(json.loads(row.accepted))


def repair_text(result) -> str:
    """What ``recon repair`` recorded (``repairs.RepairResult``), or that there was nothing to accept."""
    if result.seq is None:
        return f"nothing to repair: unit {result.unit} has no drift that is not accepted already (nothing written)\n"
    lines = [f"repaired {result.unit} (ledger #{result.seq}, actor {result.actor}, checksum {result.checksum[:19]})"]
    lines += [f"  accepted {d.kind}: {d.detail}" for d in result.findings]
    return "\n".join(lines + [f"reason: {result.reason}"]) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
