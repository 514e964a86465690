"""Environment gates: an apply window, rollback notes, promotion from another environment.

These come from the selected environment (``--env NAME``) and refuse with exit
3 before anything connects for writing. Mode (detect-only), the lock, the
staleness check and destructive codes are checked by ``apply`` itself.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from .errors import SafetyRefusal
from .model import Environment, Window

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check(plan, env: Environment | None, environments=(), now: datetime | None = None) -> None:
    """Every gate of ``env`` for ``plan``; no environment selected means no environment gates."""
    if env is None:
        return
    check_window(env, now or datetime.now(timezone.utc))
    check_rollback_notes(plan, env)
    check_promotion(plan, env, environments)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def in_window(window: Window, moment: datetime) -> bool:
    """Whether ``moment`` falls in ``window`` (an end before the start crosses midnight)."""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(window.timezone or "UTC"))
    start, end, now = _minutes(window.start), _minutes(window.end), local.hour * 60 + local.minute
    today, yesterday = DAYS[local.weekday()], DAYS[(local.weekday() - 1) % 7]
    if start <= end:
        return today in window.days and start <= now < end
    return (today in window.days and now >= start) or (yesterday in window.days and now < end)


def check_window(env: Environment, now: datetime) -> None:
    """Refuse outside every declared window (no windows: always open)."""
    if not env.windows or any(in_window(w, now) for w in env.windows):
        return
    spans = "; ".join(f"{','.join(w.days)} {w.start}-{w.end} {w.timezone}" for w in env.windows)
    opens = next_opening(env, now)
    hint = f"; the next window opens {opens:%a %Y-%m-%d %H:%M %Z}" if opens else ""
    raise SafetyRefusal(f"outside the apply window of environment {env.name!r} ({spans}); it is now {now.astimezone(timezone.utc):%a %H:%M} UTC{hint}")


def check_rollback_notes(plan, env: Environment) -> None:
    """Refuse units without rollback notes where the environment requires them."""
    if not env.require_rollback_notes:
        return
    missing = [u.id for u in plan.units if u.kind == "apply" and not (u.rollback_notes or "").strip()]
    if missing:
        raise SafetyRefusal(f"environment {env.name!r} requires rollback notes; missing on: {', '.join(missing)}")


def check_promotion(plan, env: Environment, environments) -> None:
    """Refuse units not yet applied (with the same checksum) in ``promote_from``."""
    if not env.promote_from or not any(u.kind == "apply" for u in plan.units):
        return  # rollbacks are not promoted
    from .history import history
    from .ledger import applied

    source = next(e for e in environments if e.name == env.promote_from)
    url = os.environ.get(source.database_url_env)
    if not url:
        raise SafetyRefusal(f"environment {env.name!r} promotes from {source.name!r}, whose ${source.database_url_env} is not set: cannot check what was applied there")
    done = applied(history(url, source.ledger_table or plan.ledger_table))
    missing = [u.id for u in plan.units if u.kind == "apply" and (u.id not in done or done[u.id].checksum != u.checksum)]
    if missing:
        raise SafetyRefusal(f"not yet applied in {source.name!r} (promote_from): {', '.join(missing)}")


def next_opening(env: Environment, now: datetime) -> datetime | None:
    """When the next declared window opens, within a week."""
    from zoneinfo import ZoneInfo

    candidates = []
    for w in env.windows:
        for day in range(8):
            local = (now + timedelta(days=day)).astimezone(ZoneInfo(w.timezone or "UTC"))
            start = local.replace(hour=_minutes(w.start) // 60, minute=_minutes(w.start) % 60, second=0, microsecond=0)
            if DAYS[start.weekday()] in w.days and start > now:
                candidates.append(start)
    return min(candidates, default=None)
