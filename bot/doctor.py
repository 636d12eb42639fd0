"""`afina doctor`: every part's checks, in the order a person would fix them, masked.

`diagnose(settings)` runs each part's checks (they live next to that part's own
rules: see `bot.checks`) on one `Diagnosis`, keeps a crash in one part from hiding
the others, and scrubs every message of every configured secret as a last guard.
It reads settings and, when asked, knocks on doors (the database, the model
endpoint, the LoRA server, each channel's platform) with a short timeout; it
never changes anything.

`log_startup_report(settings)` is the same diagnosis without network calls,
logged once when a long-running process starts.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from bot.checks import DEFAULT_TIMEOUT_S, Check, Diagnosis, plural, scrubbed, value
from bot.config import Settings

logger = logging.getLogger(__name__)

Step = Callable[[Diagnosis], None]


def steps() -> list[tuple[str, Step]]:
    """Each part's checks, in the order a person would fix them: nothing works without the
    database, then what answers (and how it finds what was taught), what retrains, the
    channels, the schedule."""
    from bot import cron, db_checks, embeddings_checks
    from bot.backends import checks as backends
    from bot.channels import registered
    from tuning import checks as tuning

    return [
        ("database", db_checks.checks),
        ("backend", backends.backend),
        ("embeddings", embeddings_checks.checks),
        ("tuning", tuning.checks),
        ("local model", backends.local_model),
        *((channel.name, channel.checks) for channel in registered()),
        ("schedule", cron.checks),
    ]


def diagnose(
    settings: Settings, *, reach: bool = True, timeout_s: float = DEFAULT_TIMEOUT_S
) -> list[Check]:
    """Every check, in the order a person would fix them.

    `reach=False` skips the calls to outside services (model endpoint, Slack,
    Telegram, LoRA server); the database is always checked, with a short timeout,
    because nothing works without it."""
    diagnosis = Diagnosis(settings, reach=reach, timeout_s=timeout_s)
    for name, step in steps():
        try:
            step(diagnosis)
        except Exception as exc:  # a bug in one check must not hide the others
            logger.debug("doctor check %s crashed", name, exc_info=True)
            diagnosis.add(name, "fail", f"could not be checked ({type(exc).__name__})")
    hidden = secrets(settings)
    return [scrubbed(check, hidden) for check in diagnosis.checks]


def secrets(settings: Settings) -> list[str]:
    """Every configured secret, longest first (so one that holds another is masked whole)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from bot.channels import registered

    found = [value(settings.openai_api_key)]
    found += [value(settings.tuning_api_key), value(settings.together_api_key)]
    for channel in registered():
        found.extend(channel.secrets(settings))
    with contextlib.suppress(ArgumentError):
        found.append(make_url(settings.resolved_database_url).password or "")
    # Short ones are left alone: a password such as `afina` would garble every "afina
    # migrate" hint, and no message is built from a password anyway.
    return sorted((f for f in found if len(f) >= 8), key=len, reverse=True)


def log_startup_report(settings: Settings) -> list[Check]:
    """Log each problem (warning or error) and one summary line; no calls to outside services.

    Call it once the core is built (the database is migrated by then), so a fresh
    database does not read as a problem."""
    checks = diagnose(settings, reach=False)
    for check in checks:
        if check.status == "fail":
            logger.error("%s: %s", check.name, check.message)
        elif check.status == "warn":
            logger.warning("%s: %s", check.name, check.message)
    logger.info("%s", summary_line(settings, checks))
    return checks


def summary_line(settings: Settings, checks: list[Check], *, hint: bool = True) -> str:
    """`backend openai · tuning local · slack, telegram · 1 problem, 2 warnings (afina doctor)`."""
    from bot.channels import configured

    channels = [channel.name for channel in configured(settings)]
    fails = sum(c.status == "fail" for c in checks)
    warns = sum(c.status == "warn" for c in checks)
    health = "all good"
    if fails or warns:
        health = f"{plural(fails, 'problem')}, {plural(warns, 'warning')}"
        health += " (see `afina doctor`)" if hint else ""
    return (
        f"afina · backend {settings.backend} · tuning {settings.tuning_provider} · "
        f"channels {', '.join(channels) or 'terminal only'} · {health}"
    )
