"""`afina run`: the web server and the worker in one process, for a bot on one machine."""

from __future__ import annotations

import logging

import typer

from bot.cli.common import address, console, core, host_option, port_option
from bot.doctor import log_startup_report

logger = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command(name="run")(run)


def run(
    port: int = port_option(),
    host: str = host_option(),
) -> None:
    """Everything in one process: `afina serve` (one server process) plus `afina worker`."""
    from bot.cli.serve import run_uvicorn
    from bot.cli.worker import log_as_a_service
    from bot.web import check_channels, create_app, plan
    from bot.worker import Worker

    the_core = core()
    settings = the_core.settings
    log_startup_report(settings)
    log_as_a_service(settings.log_level)
    served = plan(settings)
    check_channels(the_core, served)
    host, port = address(settings, host, port)

    worker = Worker(the_core)
    for line in worker.describe():
        console.print(f"afina · run · {line}")
    # The worker's parts run on threads of their own, beside the server's event loop. Started
    # first, so a token Telegram refuses is one line here, not a traceback from uvicorn.
    worker.start()
    console.print(
        f"afina · run · serving {' '.join(served.paths)} on http://{host}:{port}. Ctrl-C stops."
    )
    try:
        run_uvicorn(create_app(settings, recover=False), host, port)  # the worker recovers
    finally:
        # The server has drained what it acknowledged; now the worker finishes what it holds.
        if not worker.stop():
            logger.warning("WORKER_STOP_TIMEOUT_S ran out; an unfinished run resumes on restart")
