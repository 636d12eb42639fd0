"""Every HTTP endpoint in one ASGI app, as `afina serve` runs it (one or more processes).

- `POST /slack/events` when Slack is set up for HTTP (SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET),
- `POST /telegram/webhook` when TELEGRAM_WEBHOOK_URL is set,
- `GET /healthz`: 200 while the database answers, 503 with a short reason when it does not,
- `GET /metrics`: Prometheus text, totals read from the database, so every process agrees.
- `/console`: the reviewers' web console (`bot.console`), unless CONSOLE_ENABLED=false.

Every body is bounded by MAX_REQUEST_BYTES (`bot.request_size`): 413 beyond it.

`create_app` is an app factory (`uvicorn bot.web:create_app --factory`): each worker
process builds its own core and the HTTP side of every channel served over HTTP
(`bot.channels.Channel.web`) from the environment.

Stopping (SIGTERM): uvicorn stops accepting connections and lets the requests in
progress finish, so no event is acknowledged after that. Then the lifespan has
every channel drain what it acknowledged (Slack answers queued or running on the
answer pool, Telegram updates in hand), all at once, for at most SHUTDOWN_GRACE_S;
whatever is still unfinished then is logged as abandoned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot import logsafe
from bot.app import Core, build_core
from bot.channels import Channel, Web, registered, served_over_http
from bot.config import Settings, get_settings
from bot.db import ping
from bot.metrics import DatabaseCollector
from bot.recovery import Recovering
from bot.request_size import RequestSizeLimit

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
OWN_PATHS = (HEALTH_PATH, METRICS_PATH)
# A health check or a scrape that waits longer on the database than this gets a 503:
# a load balancer must hear "unhealthy" in time, not a hung request.
DATABASE_TIMEOUT_S = 5.0
# Threads for health checks and scrapes, apart from the answer pools: a database that hangs
# ties up at most these, and answers never queue behind a scrape (or the other way round).
DATABASE_THREADS = 4
# An acknowledgement takes milliseconds: a request still being received this long after
# SIGTERM is stuck, and must not eat into the time left for answers.
REQUESTS_GRACE_S = 5


@dataclass(frozen=True)
class Plan:
    """Which channels this server takes, from settings alone (so the parent process knows)."""

    channels: list[Channel]
    notes: list[str] = field(default_factory=list)  # channels set up but served elsewhere
    with_console: bool = True

    @property
    def paths(self) -> list[str]:
        return [
            *(path for channel in self.channels for path in channel.paths),
            *OWN_PATHS,
            *self.console,
        ]

    @property
    def console(self) -> list[str]:
        return ["/console"] if self.with_console else []


def plan(settings: Settings) -> Plan:
    """What to serve; a channel set up halfway is one clear `BadInput`, not a silent skip."""
    notes = []
    for channel in registered():
        placement = channel.placement(settings)
        note = placement.web_note(channel.title) if placement is not None else None
        if note:
            notes.append(note)
    return Plan(
        channels=served_over_http(settings), notes=notes, with_console=settings.console_enabled
    )


def check_channels(core: Core, served: Plan) -> None:
    """Ask each platform (Slack's auth.test, Telegram's getMe) whether it accepts the token,
    once, before any worker process starts: a refused token is one line here, not a crash
    in each worker."""
    for channel in served.channels:
        channel.introduce(core)


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


def create_app(settings: Settings | None = None, *, recover: bool = True) -> Starlette:
    """The app for one server process: the core, the channels that are set up, health, metrics.

    `recover`: look for questions left unanswered (at start, then now and then); `afina run`
    leaves that to its worker's scheduler."""
    settings = settings or get_settings()
    logsafe.install(settings)  # a server process uvicorn started has not been through the CLI
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
    webs = [channel.web(core) for channel in served.channels]
    logger.info("serving %s", " ".join(served.paths))
    return web_app(
        core,
        webs,
        routes,
        closing=[lambda: threads.shutdown(wait=False, cancel_futures=True)],
        recovery=Recovering(core) if recover else None,
    )


def web_app(
    core: Core,
    webs: Sequence[Web],
    routes: Sequence[BaseRoute] = (),
    *,
    closing: Sequence[Callable[[], None]] = (),
    recovery: Recovering | None = None,
) -> Starlette:
    """Channels' HTTP sides (and any other routes) in one app: each channel starts before
    the first request and drains after the last (at most SHUTDOWN_GRACE_S, all at once);
    then `closing` runs and the core lets go of its database. `recovery` runs beside the
    server from its start to its end."""
    grace = core.settings.shutdown_grace_s

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        started: list[Web] = []
        try:
            for web in webs:
                await web.start()
                started.append(web)
            if recovery is not None:
                recovery.start()
            yield
        finally:
            if recovery is not None:
                recovery.halt()
            await asyncio.gather(*(web.drain(grace) for web in started))
            if recovery is not None:
                await asyncio.to_thread(recovery.wait, grace)
            for close in closing:
                close()
            core.posts.close()
            core.engine.dispose()

    channel_routes = [route for web in webs for route in web.routes]
    limit = Middleware(RequestSizeLimit, limit=core.settings.max_request_bytes)
    return Starlette(routes=[*routes, *channel_routes], lifespan=lifespan, middleware=[limit])
