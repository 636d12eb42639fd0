"""`afina serve`: Slack events, the Telegram webhook, health and metrics in one HTTP server."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Any

import typer

from bot.cli.common import address, console, core, host_option, port_option

# The CLI's own format (bot.cli._setup); worker processes are set up from this dict.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn's parent pings each worker and replaces one that does not answer within this
# many seconds (its default is 5). A worker only starts answering after it has imported
# the bot (seconds: SQLAlchemy, numpy, scipy), so on a busy machine or a small dyno the
# default kills workers that are merely starting, over and over.
WORKER_HEALTHCHECK_S = 60


def register(app: typer.Typer) -> None:
    app.command(name="serve")(serve)


def serve(
    workers: int = typer.Option(
        None, "--workers", "-w", min=1, help="Server processes (default: WEB_CONCURRENCY, else 1)."
    ),
    port: int = port_option(),
    host: str = host_option(),
) -> None:
    """Serve /slack/events, /telegram/webhook, /healthz and /metrics over HTTP (uvicorn)."""
    from bot.doctor import log_startup_report
    from bot.web import check_channels, plan

    # Everything that can be wrong is found here, once, as one line: settings, the
    # database (migrated and seeded before any worker starts, so workers never race to
    # do it), a channel set up halfway, a token Slack or Telegram refuses.
    the_core = core()
    settings = the_core.settings
    log_startup_report(settings)
    served = plan(settings)
    check_channels(the_core, served)
    the_core.engine.dispose()  # each server process opens its own connections
    workers = workers or settings.web_concurrency
    host, port = address(settings, host, port)

    for note in served.notes:
        console.print(note)
    processes = "1 process" if workers == 1 else f"{workers} processes"
    console.print(
        f"afina · serving {' '.join(served.paths)} on http://{host}:{port} · {processes}. "
        "Ctrl-C stops."
    )
    # An import string and a factory, so that every worker process builds its own app.
    run_uvicorn(
        "bot.web:create_app",
        host,
        port,
        factory=True,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )


def run_uvicorn(app: Any, host: str, port: int, **options: Any) -> None:
    """uvicorn as every afina server runs it: our log format and level, a bounded graceful
    stop for requests in progress, and exit 0 after a SIGINT/SIGTERM stop."""
    import uvicorn

    from bot.web import REQUESTS_GRACE_S

    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, exit_cleanly)
    level = logging.getLogger().getEffectiveLevel()
    uvicorn.run(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=log_config(level),
        log_level=level,
        access_log=False,
        timeout_graceful_shutdown=REQUESTS_GRACE_S,
        **options,
    )


def exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again: exit 0 then."""
    raise SystemExit(0)


def log_config(level: int) -> dict[str, Any]:
    """Logging for each server process: uvicorn applies it again in every worker it starts."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
    }
