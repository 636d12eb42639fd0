"""What the Slack settings must be: the rules every start enforces, stated once.

`afina slack`, `afina serve`, the bolt app and `afina doctor` all ask these, so
a rule and its message never differ between them.
"""

from __future__ import annotations

from bot.config import Settings
from bot.errors import BadInput

NO_BOT_TOKEN = "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…)."
NO_SIGNING_SECRET = (
    "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify that requests come "
    "from Slack (or set SLACK_APP_TOKEN for Socket Mode)."
)
NO_APP_TOKEN = "SLACK_APP_TOKEN is not set: create an app-level token (xapp-…)."


def bot_token(settings: Settings) -> str:
    """SLACK_BOT_TOKEN, which every mode needs."""
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise BadInput(NO_BOT_TOKEN)
    return settings.slack_bot_token.get_secret_value()


def signing_secret_problem(settings: Settings) -> str | None:
    """HTTP mode verifies every request with the signing secret; only Socket Mode goes without."""
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        return NO_SIGNING_SECRET
    return None


def secrets_of(settings: Settings) -> list[str]:
    found = [settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret]
    return [s.get_secret_value() for s in found if s is not None and s.get_secret_value()]
