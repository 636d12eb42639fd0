"""`POST /telegram/webhook`: Telegram delivers updates here, as a route any Starlette app can mount.

Telegram sends the secret given to `setWebhook` in the
`X-Telegram-Bot-Api-Secret-Token` header; anything without it gets 403. A
good update is queued for the running `Application` and acknowledged at once
(Telegram retries a delivery that is not answered quickly); a repeat is
dropped by the handlers, not here.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.channels.telegram.app import ALLOWED_UPDATES, started
from bot.config import Settings
from bot.errors import BadInput

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts


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
    if not _SECRET_FORMAT.match(value):
        raise BadInput(
            "TELEGRAM_WEBHOOK_SECRET may only use letters, digits, _ and - (1-256 characters)."
        )
    return value


def webhook_route(application: Application, secret: str) -> Route:
    """The `/telegram/webhook` route feeding `application`, which must be started."""
    if not secret:
        raise BadInput("The Telegram webhook needs a secret.")
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            payload = await request.json()
            update = Update.de_json(payload, application.bot)
        except Exception as exc:  # not JSON, or not an update
            logger.warning("webhook body is not a Telegram update: %s", type(exc).__name__)
            return PlainTextResponse("not a Telegram update", status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return Route(WEBHOOK_PATH, receive, methods=["POST"])


@asynccontextmanager
async def serving(application: Application, settings: Settings) -> AsyncIterator[None]:
    """Run `application` and register the webhook with Telegram; stop cleanly on exit."""
    secret = webhook_secret(settings)
    url = settings.telegram_webhook_url
    async with started(application):
        if url:
            await application.bot.set_webhook(
                url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )
            logger.info("Telegram webhook set to %s", url)
        yield


def webhook_app(application: Application, settings: Settings) -> Starlette:
    """A Starlette app serving only `/telegram/webhook` (what `afina telegram` runs)."""
    route = webhook_route(application, webhook_secret(settings))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with serving(application, settings):
            yield

    return Starlette(routes=[route], lifespan=lifespan)
