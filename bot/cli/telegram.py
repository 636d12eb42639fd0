"""`afina telegram`: run the Telegram bot (long polling, or a webhook on PORT)."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import typer

from bot.cli.common import console, core
from bot.config import get_settings
from bot.doctor import log_startup_report

if TYPE_CHECKING:
    from telegram.ext import Application


def register(app: typer.Typer) -> None:
    app.command("telegram")(telegram)


def telegram() -> None:
    """Run the Telegram bot: long polling, or a webhook on PORT when TELEGRAM_WEBHOOK_URL is set."""
    from bot.channels.telegram import build_telegram_app, webhook_app
    from bot.channels.telegram.app import bot_token, secrets_of
    from bot.channels.telegram.redact import protect_handlers
    from bot.channels.telegram.webhook import WEBHOOK_PATH, webhook_secret

    settings = get_settings()
    bot_token(settings)  # fail before anything starts when it is missing
    if settings.telegram_webhook_url:
        webhook_secret(settings)
    protect_handlers(secrets_of(settings))
    application = build_telegram_app(core(), settings)
    log_startup_report(settings)
    if not settings.telegram_webhook_url:
        console.print("afina · Telegram · long polling · Ctrl+C stops")
        asyncio.run(_poll_until_signal(application))
        console.print("¡Hasta luego! 🌱")
        return

    import uvicorn

    console.print(
        f"afina · Telegram · webhook {settings.telegram_webhook_url} "
        f"served on {settings.host}:{settings.port}{WEBHOOK_PATH}"
    )
    # log_config=None: uvicorn logs through our handlers, which mask the token.
    uvicorn.run(
        webhook_app(application, settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        lifespan="on",
    )


async def _poll_until_signal(application: Application) -> None:
    from bot.channels.telegram.app import poll

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await poll(application, stop)
