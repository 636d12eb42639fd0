"""`POST /telegram/webhook`: Telegram delivers updates here, as a route any Starlette app can mount.

Telegram sends the secret given to `setWebhook` in the
`X-Telegram-Bot-Api-Secret-Token` header; anything without it gets 403. A
good update is queued for the running `Application` and acknowledged once its
message is stored (`bot.channels.telegram.receipts`), not after the answer
(Telegram retries a delivery that is not answered quickly); a repeat is
dropped by the handlers, not here.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.app import Core
from bot.channels.telegram.app import ALLOWED_UPDATES, application_for, started
from bot.channels.telegram.channel import WEBHOOK_PATH
from bot.channels.telegram.receipts import receipts_of
from bot.channels.telegram.setup import webhook_secret
from bot.config import Settings
from bot.errors import BadInput

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(application: Application, secret: str) -> Route:
    """The `/telegram/webhook` route feeding `application`, which must be started."""
    if not secret:
        raise BadInput("The Telegram webhook needs a secret.")
    expected = secret.encode()
    receipts = receipts_of(application)

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
        receipts.expect(update.update_id)
        await application.update_queue.put(update)
        if not await receipts.stored(update.update_id):
            logger.warning(
                "update %s not stored in time; Telegram will send it again", update.update_id
            )
            return PlainTextResponse("not stored yet; send it again", status_code=503)
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


class TelegramWeb:
    """`/telegram/webhook` in a server process: the bot runs around the server's life."""

    def __init__(self, core: Core) -> None:
        self.settings = core.settings
        self.application = application_for(core)
        self.routes = [webhook_route(self.application, webhook_secret(self.settings))]
        self._serving: AbstractAsyncContextManager[None] | None = None

    async def start(self) -> None:
        self._serving = serving(self.application, self.settings)
        await self._serving.__aenter__()

    async def drain(self, grace: float) -> None:
        """Answer every update in hand (PTB's `stop` waits for them), within `grace`."""
        if self._serving is None:
            return
        try:
            await asyncio.wait_for(self._serving.__aexit__(None, None, None), grace)
        except TimeoutError:
            logger.warning(
                "SHUTDOWN_GRACE_S=%gs ran out; Telegram updates still being answered are abandoned",
                grace,
            )
