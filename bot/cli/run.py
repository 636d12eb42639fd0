"""`afina run`: the web server and the worker in one process, for a bot on one machine."""

from __future__ import annotations

import logging
import signal

import typer

from bot.cli.common import console, core
from bot.doctor import log_startup_report

logger = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command(name="run")(run)


def run(
    port: int = typer.Option(None, "--port", help="HTTP port (default: PORT)."),
    host: str = typer.Option(None, "--host", help="HTTP interface (default: HOST)."),
) -> None:
    """Everything in one process: `afina serve` (one server process) plus `afina worker`."""
    import uvicorn

    from bot.cli.serve import exit_cleanly, log_config
    from bot.cli.worker import log_as_a_service
    from bot.web import REQUESTS_GRACE_S, check_channels, create_app, plan
    from bot.worker import Worker

    the_core = core()
    settings = the_core.settings
    log_startup_report(settings)
    log_as_a_service(settings.log_level)
    served = plan(settings)
    check_channels(the_core, settings, served)
    host = host or settings.host
    port = settings.port if port is None else port

    worker = Worker(the_core)
    for line in worker.describe():
        console.print(f"afina · run · {line}")
    # The worker's parts run on threads of their own, beside the server's event loop. Started
    # first, so a token Telegram refuses is one line here, not a traceback from uvicorn.
    worker.start()
    console.print(
        f"afina · run · serving {' '.join(served.paths)} on http://{host}:{port}. Ctrl-C stops."
    )
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, exit_cleanly)
    level = logging.getLogger().getEffectiveLevel()
    try:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            lifespan="on",
            log_config=log_config(level),
            log_level=level,
            access_log=False,
            timeout_graceful_shutdown=REQUESTS_GRACE_S,
        )
    finally:
        # The server has drained what it acknowledged; now the worker finishes what it holds.
        if not worker.stop():
            logger.warning("WORKER_STOP_TIMEOUT_S ran out; an unfinished run resumes on restart")
