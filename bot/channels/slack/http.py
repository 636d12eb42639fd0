"""`/slack/events` over HTTP: a Starlette route any ASGI app can mount, and the channel's web side.

Bolt's dispatch is synchronous (signature check, middleware, ack); it runs in
Starlette's thread pool so the event loop keeps accepting requests while one
is verified. The answers themselves run on the bolt app's own worker pool.
"""

from __future__ import annotations

import asyncio

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.app import Core
from bot.channels.slack.app import answer_pool, build_slack_app, drain_answers
from bot.channels.slack.channel import EVENTS_PATH


def slack_route(app: App, path: str = EVENTS_PATH) -> Route:
    """A POST route for Slack's events, interactivity and URL verification."""

    async def events(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    return Route(path, events, methods=["POST"])


def slack_asgi(app: App) -> Starlette:
    """An ASGI app serving only `/slack/events` (what `afina slack` runs in HTTP mode)."""
    return Starlette(routes=[slack_route(app)])


class SlackWeb:
    """`/slack/events` in a server process, its answers on a pool the stop drains."""

    def __init__(self, core: Core) -> None:
        self.answers = answer_pool()
        app = build_slack_app(core, executor=self.answers)  # asks Slack's auth.test
        self.routes = [slack_route(app)]

    async def start(self) -> None:
        """Nothing to start: Slack posts to the route."""

    async def drain(self, grace: float) -> None:
        deadline = f"SHUTDOWN_GRACE_S={grace:g}s"
        await asyncio.to_thread(drain_answers, self.answers, grace, deadline)
