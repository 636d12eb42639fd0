"""Who is speaking (`CHANNEL:ID`) and whether they may teach the bot directly."""

from __future__ import annotations

import getpass

from bot.config import Settings
from bot.errors import BadInput

CHANNELS = ("console", "slack", "telegram", "web")


def parse_identity(value: str) -> tuple[str, str]:
    """Split `slack:U123` into (`slack`, `U123`), with a clear error for anything else."""
    channel, sep, user = value.strip().partition(":")
    if not sep or not user or channel not in CHANNELS:
        raise BadInput(
            f"'{value}' is not a user: write CHANNEL:ID with CHANNEL one of "
            f"{', '.join(CHANNELS)} (e.g. telegram:42)."
        )
    return channel, user


def speaker(given: str | None) -> str:
    """`--user` as given, checked (an empty one is refused), or you on the console when absent."""
    if given is None:
        return console_user()
    parse_identity(given)
    return given.strip()


def console_user() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "local"
    return f"console:{name}"


def is_reviewer(identity: str, settings: Settings) -> bool:
    channel, user = parse_identity(identity)
    if identity in settings.reviewers:
        return True
    if channel == "console":
        return settings.console_is_reviewer
    if channel == "slack":
        if settings.slack_reviewers:
            return user in settings.slack_reviewers
        return settings.slack_everyone_reviews
    if channel == "telegram":
        return user in settings.telegram_reviewers
    return False
