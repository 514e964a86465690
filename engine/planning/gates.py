"""Environment gates: the settings a plan carries from its environment, and their checks.

``Gates`` is what ``recon plan --env NAME`` copies from the environments spec into the plan
file: mode, windows, ``promote_from`` (and the variable naming its URL), required rollback
notes, the ledger table, the lock timeout and ``plan_max_age``. ``recon apply PLANFILE``
checks them from the plan alone, however the URL is given, and refuses (exit 3) naming the
gate and what to do next. ``describe`` gives their state at plan time, for the reviewer.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, timezone

from ..errors import SafetyRefusal
from ..spec.model import Environment, Window

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_MAX_AGE = "24h"


def clock() -> datetime:
    """Now, in UTC (the one place gates read the time; tests replace it)."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Gates:
    """The environment a plan was made for and the gates apply checks; ``environment`` None: none."""

    environment: str | None = None
    no_env: bool = False  # made with --no-env: outside every environment, on purpose, shown to the reviewer
    database_url_env: str | None = None
    mode: str = "apply"
    windows: tuple[Window, ...] = ()
    promote_from: str | None = None
    promote_url_env: str | None = None  # the variable naming promote_from's URL
    promote_ledger_table: str | None = None
    require_rollback_notes: bool = False
    ledger_table: str | None = None
    lock_timeout: str | None = None
    plan_max_age: str | None = None  # None: the plan does not expire
    lock_retries: int = 0  # for units that set none
    approvals_required: int = 0  # signatures apply needs where allowed signers are set (at least 1 there)

    @classmethod
    def of(cls, env: Environment | None, environments=(), no_env: bool = False) -> "Gates":
        """The gates of ``env`` (None: a plan outside every environment)."""
        if env is None:
            return cls(no_env=no_env)
        source = next((e for e in environments if e.name == env.promote_from), None)
        return cls(env.name, False, env.database_url_env, env.mode, env.windows, env.promote_from,
                   source.database_url_env if source else None, source.ledger_table if source else None,
                   env.require_rollback_notes, env.ledger_table, env.lock_timeout, env.plan_max_age or DEFAULT_MAX_AGE,
                   env.lock_retries or 0, env.approvals_required or 0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Gates":
        if not data:
            return cls()
        return replace(cls(**{**data, "windows": ()}), windows=tuple(Window(tuple(w["days"]), w["start"], w["end"], w["timezone"]) for w in data["windows"]))


# -- checks at apply -----------------------------------------------------------------------

def check(plan, now: datetime | None = None, override_reason: str | None = None) -> None:
    """Every gate of the plan's environment; a plan outside every environment has none."""
    gates = plan.gates
    if gates.environment is None:
        return
    now = now or clock()
    check_expiry(plan, now)
    if override_reason is None:
        check_window(gates, now)
    check_rollback_notes(plan)
    check_promotion(plan)


def seconds(duration: str) -> float:
    """``500ms``, ``5s``, ``2min``, ``24h``, ``7d`` -> seconds."""
    import re

    value, unit = re.fullmatch(r"(\d+)(ms|s|min|h|d)", duration).groups()
    return int(value) * {"ms": 0.001, "s": 1, "min": 60, "h": 3600, "d": 86400}[unit]


def expires(plan) -> datetime | None:
    """When the plan stops being applicable, or None (no environment, or made with --no-env)."""
    if plan.gates.environment is None or not plan.gates.plan_max_age:
        return None
    return datetime.fromisoformat(plan.created_at) + timedelta(seconds=seconds(plan.gates.plan_max_age))


def check_expiry(plan, now: datetime) -> None:
    """Refuse a plan older than its environment's ``plan_max_age``."""
    end = expires(plan)
    if end is not None and now > end:
        raise SafetyRefusal(f"plan_max_age gate of environment {plan.gates.environment!r}: plan {plan.plan_id} was made "
                            f"{plan.created_at} and expired at {end:%Y-%m-%d %H:%M %Z} (plan_max_age {plan.gates.plan_max_age}); "
                            "make a new plan, review it, then apply that one")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _local(window: Window, moment: datetime) -> datetime:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(window.timezone or "UTC"))


def in_window(window: Window, moment: datetime) -> bool:
    """Whether ``moment`` falls in ``window`` (an end before the start crosses midnight)."""
    local = _local(window, moment)
    start, end, now = _minutes(window.start), _minutes(window.end), local.hour * 60 + local.minute
    today, yesterday = DAYS[local.weekday()], DAYS[(local.weekday() - 1) % 7]
    if start <= end:
        return today in window.days and start <= now < end
    return (today in window.days and now >= start) or (yesterday in window.days and now < end)


def window_state(gates: Gates, now: datetime) -> tuple[bool, str]:
    """Whether a window is open now, and a sentence saying so in each window's own time zone."""
    if not gates.windows:
        return True, "no windows: open at any time"
    if any(in_window(w, now) for w in gates.windows):
        return True, "open now"
    spans = "; ".join(f"{','.join(w.days)} {w.start}-{w.end} {w.timezone}" for w in gates.windows)
    first = gates.windows[0]
    opens = next_opening(gates, now)
    when = f"; the next window opens {opens:%a %Y-%m-%d %H:%M} {opens.tzinfo}" if opens else ""
    return False, f"closed ({spans}); it is now {_local(first, now):%a %H:%M} {first.timezone}{when}"


def check_window(gates: Gates, now: datetime) -> None:
    """Refuse outside every declared window (no windows: always open)."""
    open_, text = window_state(gates, now)
    if not open_:
        raise SafetyRefusal(f"window gate of environment {gates.environment!r}: outside the apply window: {text}. "
                            "Apply inside the window, or pass --override-window --reason TEXT (recorded in the ledger)")


def next_opening(gates: Gates, now: datetime) -> datetime | None:
    """When the next declared window opens, within a week, in that window's time zone."""
    candidates = []
    for w in gates.windows:
        for day in range(8):
            local = _local(w, now + timedelta(days=day))
            start = local.replace(hour=_minutes(w.start) // 60, minute=_minutes(w.start) % 60, second=0, microsecond=0)
            if DAYS[start.weekday()] in w.days and start > now:
                candidates.append(start)
    return min(candidates, default=None)


def _forward_units(plan) -> list:
    return [u for u in plan.units if u.kind == "apply"]  # rollbacks and seed rows are not promoted


def missing_notes(plan) -> list[str]:
    return [u.id for u in _forward_units(plan) if not (u.rollback_notes or "").strip()] if plan.gates.require_rollback_notes else []


def check_rollback_notes(plan) -> None:
    """Refuse units without rollback notes where the environment requires them."""
    missing = missing_notes(plan)
    if missing:
        raise SafetyRefusal(f"require_rollback_notes gate of environment {plan.gates.environment!r}: missing on: {', '.join(missing)}; "
                            "write rollback.notes in those units, then plan again")


def promotion_gaps(plan) -> tuple[list[str] | None, str]:
    """Units not yet applied (with the same checksum) in ``promote_from``, each saying which way;
    None when that cannot be read (its URL variable is not set), with the reason."""
    gates = plan.gates
    url = os.environ.get(gates.promote_url_env or "")
    if not url:
        return None, f"not checked: ${gates.promote_url_env} is not set"
    from ..ledger.history import history
    from ..ledger.table import applied

    done = applied(history(url, gates.promote_ledger_table or plan.ledger_table))
    gaps = []
    for u in _forward_units(plan):
        if u.id not in done:
            gaps.append(f"{u.id} (not applied there)")
        elif done[u.id].checksum != u.checksum:
            gaps.append(f"{u.id} (applied there with another checksum: {done[u.id].checksum[:19]}, this plan has {u.checksum[:19]})")
    return gaps, ""


def check_promotion(plan) -> None:
    """Refuse units not yet applied (with the same checksum) in ``promote_from``."""
    gates = plan.gates
    if not gates.promote_from or not _forward_units(plan):
        return
    gaps, why = promotion_gaps(plan)
    if gaps is None:
        raise SafetyRefusal(f"promote_from gate of environment {gates.environment!r}: it promotes from {gates.promote_from!r}, "
                            f"whose ${gates.promote_url_env} is not set: cannot check what was applied there (set it and apply again)")
    if gaps:
        raise SafetyRefusal(f"promote_from gate of environment {gates.environment!r}: not yet applied in {gates.promote_from!r}: "
                            f"{', '.join(gaps)}; apply the plan there first")


# -- state at plan time, for the reviewer ---------------------------------------------------

def describe(plan, now: datetime | None = None) -> list[str]:
    """The gates apply will check, with their state now: what a reviewer should know before the window."""
    gates = plan.gates
    if gates.environment is None:
        return ["this plan is outside every environment (--no-env): apply checks no environment gate"] if gates.no_env else []
    now = now or clock()
    lines = [f"environment {gates.environment} (URL from ${gates.database_url_env})"]
    if gates.mode == "detect-only":
        lines.append("mode: detect-only: this plan is for review only; apply refuses it")
    lines.append(f"window: {window_state(gates, now)[1]}")
    if gates.promote_from:
        gaps, why = promotion_gaps(plan) if _forward_units(plan) else ([], "")
        state = why if gaps is None else (f"not yet applied there: {', '.join(gaps)}" if gaps else "every unit is applied there")
        lines.append(f"promote_from {gates.promote_from}: {state}")
    if gates.require_rollback_notes:
        missing = missing_notes(plan)
        lines.append(f"rollback notes: {'missing on ' + ', '.join(missing) if missing else 'present on every unit'}")
    if gates.approvals_required:
        lines.append(f"approvals: {gates.approvals_required} required, by distinct principals of the allowed signers where apply runs")
    end = expires(plan)
    if end is not None:
        lines.append(f"expires: {end:%Y-%m-%d %H:%M} UTC (plan_max_age {gates.plan_max_age})")
    return lines
