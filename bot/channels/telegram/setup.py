"""What the Telegram settings must be: the rules every start enforces, stated once.

`afina telegram`, `afina serve`, the worker and `afina doctor` all ask these, so a
rule and its message never differ between them.
"""

from __future__ import annotations

import re

from bot.config import Settings
from bot.errors import BadInput

SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts


def bot_token(settings: Settings) -> str:
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise BadInput("Set TELEGRAM_BOT_TOKEN (from @BotFather) to run the Telegram bot.")
    return settings.telegram_bot_token.get_secret_value()


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, checked: webhook mode never runs without one."""
    secret = settings.telegram_webhook_secret
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        raise BadInput(
            "Webhook mode needs TELEGRAM_WEBHOOK_SECRET: Telegram sends it with every update "
            "and anything without it is refused. Set it (letters, digits, _ or -), or unset "
            "TELEGRAM_WEBHOOK_URL to use long polling."
        )
    if not SECRET_FORMAT.match(value):
        raise BadInput(secret_shape_problem())
    return value


def secret_shape_problem() -> str:
    return "TELEGRAM_WEBHOOK_SECRET may only use letters, digits, _ and - (1-256 characters)."


def secrets_of(settings: Settings) -> list[str]:
    found = [settings.telegram_bot_token, settings.telegram_webhook_secret]
    return [s.get_secret_value() for s in found if s is not None and s.get_secret_value()]
