"""Every HTTP endpoint in one ASGI app, as `afina serve` runs it (one or more processes).

- `POST /slack/events` when Slack is set up for HTTP (SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET),
- `POST /telegram/webhook` when TELEGRAM_WEBHOOK_URL is set,
- `GET /healthz`: 200 while the database answers, 503 with a short reason when it does not,
- `GET /metrics`: Prometheus text, totals read from the database, so every process agrees.
- `/console`: the reviewers' web console (`bot.console`), unless CONSOLE_ENABLED=false.

`create_app` is an app factory (`uvicorn bot.web:create_app --factory`): each worker
process builds its own core, bolt app and Telegram `Application` from the environment.

Stopping (SIGTERM): uvicorn stops accepting connections and lets the requests in
progress finish, so no event is acknowledged after that. Then the lifespan drains
what was acknowledged: Slack answers queued or running on the answer pool, and
Telegram updates in hand, for at most SHUTDOWN_GRACE_S; whatever is still unfinished
then is logged as abandoned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import Core, build_core
from bot.config import Settings, get_settings
from bot.db import ping
from bot.errors import BadInput
from bot.metrics import DatabaseCollector
from bot.pool import DrainingPool

if TYPE_CHECKING:  # the channels load only when they are served
    from telegram.ext import Application

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# A health check or a scrape that waits longer on the database than this gets a 503:
# a load balancer must hear "unhealthy" in time, not a hung request.
DATABASE_TIMEOUT_S = 5.0
# Threads for health checks and scrapes, apart from the answer pools: a database that hangs
# ties up at most these, and answers never queue behind a scrape (or the other way round).
DATABASE_THREADS = 4
# Slack answers mostly wait on the model; same reasoning as bot.channels.slack.app.WORKERS.
SLACK_ANSWER_WORKERS = 256
# An acknowledgement takes milliseconds: a request still being received this long after
# SIGTERM is stuck, and must not eat into the time left for answers.
REQUESTS_GRACE_S = 5


@dataclass(frozen=True)
class Plan:
    """Which channels this server takes, from settings alone (so the parent process knows)."""

    slack: bool
    telegram: bool
    notes: list[str] = field(default_factory=list)  # channels set up but served elsewhere
    with_console: bool = True

    @property
    def paths(self) -> list[str]:
        paths = []
        if self.slack:
            from bot.channels.slack.http import EVENTS_PATH

            paths.append(EVENTS_PATH)
        if self.telegram:
            from bot.channels.telegram.webhook import WEBHOOK_PATH

            paths.append(WEBHOOK_PATH)
        return [*paths, HEALTH_PATH, METRICS_PATH, *self.console]

    @property
    def console(self) -> list[str]:
        return ["/console"] if self.with_console else []


def plan(settings: Settings) -> Plan:
    """What to serve; a channel set up halfway is one clear `BadInput`, not a silent skip."""
    notes: list[str] = []
    slack = settings.slack_bot_token is not None
    if slack and settings.slack_signing_secret is None:
        if settings.slack_app_token is None:
            raise BadInput(
                "SLACK_SIGNING_SECRET is not set: /slack/events needs it to verify that "
                "requests come from Slack (or set SLACK_APP_TOKEN and run `afina slack` "
                "for Socket Mode)."
            )
        notes.append("Slack uses Socket Mode (SLACK_APP_TOKEN): `afina worker` runs it.")
        slack = False
    telegram = bool(settings.telegram_webhook_url)
    if telegram:
        from bot.channels.telegram.app import bot_token
        from bot.channels.telegram.webhook import webhook_secret

        bot_token(settings)
        webhook_secret(settings)
    elif settings.telegram_bot_token is not None:
        notes.append("Telegram has no TELEGRAM_WEBHOOK_URL, so it polls: `afina worker` runs it.")
    return Plan(slack=slack, telegram=telegram, notes=notes, with_console=settings.console_enabled)


def check_channels(core: Core, settings: Settings, served: Plan) -> None:
    """Ask Slack (auth.test) and Telegram (getMe) whether they accept the tokens, once, before
    any worker process starts: a refused token is one line here, not a crash in each worker."""
    if served.slack:
        from bot.channels.slack.app import build_slack_app, make_client

        build_slack_app(core, settings, make_client(settings))
    if served.telegram:
        from bot.channels.telegram.app import build_telegram_app, initialize

        application = build_telegram_app(core, settings)

        async def introduce() -> None:
            await initialize(application)
            await application.shutdown()

        asyncio.run(introduce())


def health_route(engine: Engine, threads: Executor) -> Route:
    """`GET /healthz`: `{"ok": true, "database": "ok"}`, or 503 naming what failed (no details:
    a driver's message can hold a host name or a user)."""

    async def healthz(_request: Request) -> Response:
        try:
            await _off_the_loop(threads, ping, engine)
        except TimeoutError:
            return JSONResponse({"ok": False, "database": "timeout"}, status_code=503)
        except Exception as exc:
            logger.warning("health check: the database is unreachable (%s)", type(exc).__name__)
            reason = f"unreachable ({type(exc).__name__})"
            return JSONResponse({"ok": False, "database": reason}, status_code=503)
        return JSONResponse({"ok": True, "database": "ok"})

    return Route(HEALTH_PATH, healthz, methods=["GET"])


def metrics_route(engine: Engine, threads: Executor) -> Route:
    """`GET /metrics`: the database's totals in Prometheus text format, read at each scrape."""
    # Our own registry, not the global one: it holds only these totals (no per-process
    # figures that would differ between workers), and a second app in one process
    # (tests) does not collide with the first.
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(engine))

    async def metrics(_request: Request) -> Response:
        try:
            body = await _off_the_loop(threads, generate_latest, registry)
        except Exception as exc:
            logger.warning("metrics: the database is unreachable (%s)", type(exc).__name__)
            return PlainTextResponse("database unreachable\n", status_code=503)
        return Response(body, headers={"content-type": CONTENT_TYPE_LATEST})

    return Route(METRICS_PATH, metrics, methods=["GET"])


async def _off_the_loop(threads: Executor, function: Callable[..., Any], *args: Any) -> Any:
    """Run blocking database work on `threads`, giving up after DATABASE_TIMEOUT_S.

    Starlette's `run_in_threadpool` cannot be abandoned: a timeout would wait for the thread."""
    work = asyncio.get_running_loop().run_in_executor(threads, function, *args)
    return await asyncio.wait_for(work, DATABASE_TIMEOUT_S)


def create_app(settings: Settings | None = None) -> Starlette:
    """The app for one server process: the core, the channels that are set up, health, metrics."""
    settings = settings or get_settings()
    served = plan(settings)
    core = build_core(settings)
    threads = ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="web-db")
    routes: list[BaseRoute] = [
        health_route(core.engine, threads),
        metrics_route(core.engine, threads),
    ]
    if settings.console_enabled:
        from bot import console

        routes.append(console.routes(core, settings))
    answers: DrainingPool | None = None
    if served.slack:
        from bot.channels.slack import build_slack_app, make_client, slack_route

        answers = DrainingPool(SLACK_ANSWER_WORKERS, "slack")
        app = build_slack_app(core, settings, make_client(settings), executor=answers)
        routes.append(slack_route(app))
    application: Application | None = None
    if served.telegram:
        from bot.channels.telegram import build_telegram_app, webhook_route
        from bot.channels.telegram.app import secrets_of
        from bot.channels.telegram.redact import protect_handlers
        from bot.channels.telegram.webhook import webhook_secret

        protect_handlers(secrets_of(settings))  # the token is in every Bot API URL
        application = build_telegram_app(core, settings)
        routes.append(webhook_route(application, webhook_secret(settings)))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        telegram: AbstractAsyncContextManager[None] | None = None
        if application is not None:
            from bot.channels.telegram import serving

            telegram = serving(application, settings)
            await telegram.__aenter__()
        logger.info("serving %s", " ".join(served.paths))
        try:
            yield
        finally:
            grace = settings.shutdown_grace_s
            await asyncio.gather(_drain_slack(answers, grace), _stop_telegram(telegram, grace))
            threads.shutdown(wait=False, cancel_futures=True)
            core.posts.close()
            core.engine.dispose()

    return Starlette(routes=routes, lifespan=lifespan)


async def _drain_slack(answers: DrainingPool | None, grace: float) -> None:
    """Write every Slack answer already acknowledged, within `grace` seconds."""
    if answers is None:
        return
    if answers.unfinished:
        logger.info("finishing %d Slack answers before stopping", answers.unfinished)
    left = await asyncio.to_thread(answers.drain, grace)
    if left:
        logger.warning(
            "SHUTDOWN_GRACE_S=%gs ran out; Slack answers abandoned: %d in progress, %d not started",
            grace,
            left.running,
            left.dropped,
        )


async def _stop_telegram(telegram: AbstractAsyncContextManager[None] | None, grace: float) -> None:
    """Answer every Telegram update in hand (PTB's `stop` waits for them), within `grace`."""
    if telegram is None:
        return
    try:
        await asyncio.wait_for(telegram.__aexit__(None, None, None), grace)
    except TimeoutError:
        logger.warning(
            "SHUTDOWN_GRACE_S=%gs ran out; Telegram updates still being answered are abandoned",
            grace,
        )
