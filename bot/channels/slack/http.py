"""`/slack/events` over HTTP: a Starlette route any ASGI app can mount, and the channel's web side.

Slack's signature is checked on the raw bytes before anything reads them: an
unsigned (or forged, or replayed) request gets 401 whatever its body holds, and
only a signed one is parsed; one that cannot be parsed gets 400, never a 500.
Bolt's dispatch is synchronous (middleware, ack); it runs in Starlette's thread
pool so the event loop keeps accepting requests while one is handled. The
answers themselves run on the bolt app's own worker pool; an event is answered
200 only once its message is stored (`bot.channels.slack.receipts`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.app import Core
from bot.channels.slack.app import answer_pool, build_slack_app, drain_answers
from bot.channels.slack.channel import EVENTS_PATH
from bot.channels.slack.receipts import receipts_of

logger = logging.getLogger(__name__)


def slack_route(app: App, path: str = EVENTS_PATH, *, signing_secret: str | None = None) -> Route:
    """A POST route for Slack's events, interactivity and URL verification.

    `signing_secret`: the app's own, when not given (an app built without one, for
    Socket Mode only, verifies nothing here either)."""
    secret = signing_secret or _secret_of(app)
    receipts = receipts_of(app)
    verifier = SignatureVerifier(secret) if secret else None

    async def events(request: Request) -> Response:
        body = await request.body()
        if verifier is not None and not verifier.is_valid_request(body, dict(request.headers)):
            return PlainTextResponse("invalid request signature", status_code=401)
        try:
            bolt_request = to_bolt_request(request, body)
        except Exception as exc:  # signed, yet not JSON / a form / UTF-8: nothing to act on
            logger.warning("a signed Slack request could not be read: %s", type(exc).__name__)
            return PlainTextResponse("unreadable request body", status_code=400)
        response = await run_in_threadpool(app.dispatch, bolt_request)
        event_id = bolt_request.body.get("event_id") if response.status == 200 else None
        if event_id and not await run_in_threadpool(receipts.stored, event_id):
            logger.warning("Slack event %s not stored in time; Slack will send it again", event_id)
            return PlainTextResponse("not stored yet; send it again", status_code=503)
        return to_starlette_response(response)

    return Route(path, events, methods=["POST"])


def _secret_of(app: App) -> str | None:
    # Bolt keeps the signing secret it verifies with; it offers no public accessor.
    secret: Any = getattr(app, "_signing_secret", None)
    return str(secret) if secret else None


def slack_asgi(app: App) -> Starlette:
    """An ASGI app serving only `/slack/events` (what `afina slack` runs in HTTP mode)."""
    return Starlette(routes=[slack_route(app)])


class SlackWeb:
    """`/slack/events` in a server process, its answers on a pool the stop drains."""

    def __init__(self, core: Core) -> None:
        self.answers = answer_pool()
        app = build_slack_app(core, executor=self.answers)  # asks Slack's auth.test
        secret = core.settings.slack_signing_secret
        self.routes = [
            slack_route(app, signing_secret=secret.get_secret_value() if secret else None)
        ]

    async def start(self) -> None:
        """Nothing to start: Slack posts to the route."""

    async def drain(self, grace: float) -> None:
        deadline = f"SHUTDOWN_GRACE_S={grace:g}s"
        await asyncio.to_thread(drain_answers, self.answers, grace, deadline)
