"""Running the Slack bot: `afina slack`."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import typer

from bot.cli.common import address, console, core, host_option, port_option
from bot.doctor import log_startup_report

if TYPE_CHECKING:  # slack_bolt loads only when this command runs
    from slack_bolt import App

    from bot.config import Settings

logger = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command(name="slack")(slack)


def slack(
    port: int = port_option(),
    host: str = host_option(),
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP at /slack/events."""
    from bot.channels.slack import EVENTS_PATH, build_slack_app, make_client
    from bot.channels.slack.app import WORKERS
    from bot.pool import DrainingPool

    the_core = core()
    settings = the_core.settings
    log_startup_report(settings)
    client = make_client(settings)
    answers = DrainingPool(WORKERS, "slack")
    app = build_slack_app(the_core, settings, client, executor=answers)
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _stop)
    try:
        if settings.slack_app_token is not None:
            _socket_mode(app, settings)
        else:
            _http(app, *address(settings, host, port), EVENTS_PATH)
    finally:
        # Slack was told "200" for every queued event and will not send it again:
        # write them all, within SHUTDOWN_GRACE_S.
        left = answers.drain(settings.shutdown_grace_s)
        if left:
            logger.warning(
                "SHUTDOWN_GRACE_S ran out: %d answers in progress, %d not started, abandoned",
                left.running,
                left.dropped,
            )
        the_core.posts.close()


def _stop(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C or SIGTERM: leave the server loop through `finally`, exit 0, no traceback.

    uvicorn shuts down gracefully on these signals and then raises them again; this
    handler turns that into a clean exit after the answers in flight are written."""
    raise SystemExit(0)


def _socket_mode(app: App, settings: Settings) -> None:
    from bot.channels.slack.socket_mode import socket_mode_handler

    handler = socket_mode_handler(app, settings)
    handler.connect()
    console.print("afina · Slack · Socket Mode (no public URL needed). Ctrl-C stops.")
    try:
        threading.Event().wait()
    finally:
        handler.close()


def _http(app: App, host: str, port: int, path: str) -> None:
    import uvicorn

    from bot.channels.slack import slack_asgi

    console.print(f"afina · Slack · HTTP on http://{host}:{port}{path}. Ctrl-C stops.")
    level = "info" if logging.getLogger().isEnabledFor(logging.INFO) else "warning"
    uvicorn.run(slack_asgi(app), host=host, port=port, log_level=level, access_log=False)
