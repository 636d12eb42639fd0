"""RETRAIN_CRON, read one way: for the scheduler, `afina status` and `afina doctor`.

RETRAIN_CRON is standard crontab (five fields, UTC; weekday 0 or 7 is Sunday).
APScheduler 3 counts weekday 0 as Monday, so `CronTrigger.from_crontab('0 3 * * 1')`
fires on Tuesdays: numeric weekdays are turned into names, which it reads as
crontab does. Every reader goes through `trigger`, so the doctor's "next retrain",
the stored job `afina status` shows and the tick the scheduler fires agree.

(The settings class does not refuse a bad RETRAIN_CRON on load, so that `afina
doctor` can still run and name it; the worker refuses to start with it.)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.checks import Diagnosis
from bot.errors import BadInput

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NUMERIC_DAYS = re.compile(r"(\*|\d+(?:-\d+)?)(?:/(\d+))?")
EXAMPLE = "(e.g. '0 3 * * 1', Mondays at 03:00 UTC)"


class CronError(ValueError):
    """Why a line is not a crontab expression, in words that follow its quoted value."""


def _weekdays(field: str) -> str:
    """Crontab weekdays (0 or 7 = Sunday) as names, which APScheduler 3 reads the same way."""
    if field in {"*", "?"}:
        return "*"
    names: list[str] = []
    for part in field.split(","):
        match = _NUMERIC_DAYS.fullmatch(part)
        if match is None:  # names (mon-fri) and APScheduler's own forms pass as they are
            names.append(part)
            continue
        span, step = match.group(1), int(match.group(2) or 1)
        low, _, high = span.partition("-")
        first, last = (0, 6) if span == "*" else (int(low), int(high or low))
        if last > 7 or first > last or step < 1:
            raise ValueError(f"weekday '{part}' is out of 0-7")
        names.extend(_DAY_NAMES[n % 7] for n in range(first, last + 1, step))
    return ",".join(dict.fromkeys(names))


def read(expr: str) -> Any:
    """A `CronTrigger` in UTC for a standard five-field crontab line; `CronError` if it is not."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise CronError(f"needs five fields: minute hour day month weekday {EXAMPLE}.")
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_weekdays(weekday),
            timezone=UTC,
        )
    except ValueError as exc:
        raise CronError(f"is not a cron expression: {exc}") from None


def trigger(expr: str) -> Any:
    """`read` for RETRAIN_CRON, failing as one line that names the setting."""
    try:
        return read(expr)
    except CronError as exc:
        raise BadInput(f"RETRAIN_CRON '{expr}' {exc}") from None


def next_fire(expr: str, after: datetime | None = None) -> datetime | None:
    """When RETRAIN_CRON fires next after `after` (now); None for a line that never fires."""
    fire: datetime | None = trigger(expr).get_next_fire_time(None, after or datetime.now(UTC))
    return fire


def checks(diagnosis: Diagnosis) -> None:
    """`afina doctor`'s schedule line: when the next retrain is, or why RETRAIN_CRON is wrong."""
    settings = diagnosis.settings
    expression = settings.retrain_cron
    try:
        read(expression)
    except CronError as exc:
        diagnosis.add("schedule", "fail", f"RETRAIN_CRON={expression!r} {exc}")
        return
    upcoming = next_fire(expression)
    when = f"next {upcoming:%A %Y-%m-%d %H:%M %Z}" if upcoming else "never fires"
    diagnosis.add(
        "schedule",
        "ok",
        f"retrain at RETRAIN_CRON={expression!r} ({when}) when "
        f"{settings.retrain_min_new_examples}+ examples are new",
    )
