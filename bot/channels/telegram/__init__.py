"""The Telegram channel: customers chat with the bot; staff teach it safely.

`build_telegram_app(core, settings)` assembles the `telegram.ext.Application`;
it runs with long polling (`afina telegram`) or behind `webhook_route` at
`/telegram/webhook`, mountable in any Starlette app.
"""

from bot.channels.telegram.app import ALLOWED_UPDATES, build_telegram_app
from bot.channels.telegram.webhook import WEBHOOK_PATH, serving, webhook_app, webhook_route

__all__ = [
    "ALLOWED_UPDATES",
    "WEBHOOK_PATH",
    "build_telegram_app",
    "serving",
    "webhook_app",
    "webhook_route",
]
