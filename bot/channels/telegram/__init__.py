"""The Telegram channel: customers chat with the bot; staff teach it safely.

`CHANNEL` is what the processes use (`bot.channels.Channel`).
`build_telegram_app(core, settings)` assembles the `telegram.ext.Application`;
it runs with long polling (`afina telegram`) or behind `webhook_route` at
`/telegram/webhook`, mountable in any Starlette app. Those load
python-telegram-bot, so they are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot.channels.telegram.channel import CHANNEL, WEBHOOK_PATH

if TYPE_CHECKING:
    from bot.channels.telegram.app import ALLOWED_UPDATES, build_telegram_app
    from bot.channels.telegram.webhook import serving, webhook_app, webhook_route

_LAZY = {
    "ALLOWED_UPDATES": "bot.channels.telegram.app",
    "build_telegram_app": "bot.channels.telegram.app",
    "serving": "bot.channels.telegram.webhook",
    "webhook_app": "bot.channels.telegram.webhook",
    "webhook_route": "bot.channels.telegram.webhook",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALLOWED_UPDATES",
    "CHANNEL",
    "WEBHOOK_PATH",
    "build_telegram_app",
    "serving",
    "webhook_app",
    "webhook_route",
]
