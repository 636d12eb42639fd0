"""`afina slack`, `afina telegram`, …: one channel on its own, one command per channel.

Each registered channel (`bot.channels.registered`) gets a command named after it.
It runs the channel's background side when its settings place it there (Slack
Socket Mode, Telegram long polling), else its HTTP side alone on HOST:PORT (Slack's
`/slack/events`, Telegram's webhook): the same parts `afina worker` and `afina serve`
run, with the same stop (SHUTDOWN_GRACE_S to finish what was acknowledged), and the
recovery of its questions left unanswered (`bot.recovery`).
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from bot.channels import Channel, registered
from bot.cli.common import address, console, core, host_option, port_option
from bot.config import get_settings
from bot.doctor import log_startup_report


def register(app: typer.Typer) -> None:
    for channel in registered():
        app.command(channel.name, help=channel.help)(_command(channel))


def _command(channel: Channel) -> Callable[..., None]:
    def run_channel(port: int = port_option(), host: str = host_option()) -> None:
        run_alone(channel, host, port)

    run_channel.__doc__ = channel.help
    return run_channel


def run_alone(channel: Channel, host: str | None, port: int | None) -> None:
    """Run one channel until SIGINT or SIGTERM; a missing setting is one line, before anything."""
    from bot.recovery import Recovering
    from bot.worker import Parts, run_until_signalled

    settings = get_settings()
    channel.require(settings)  # before the database: a missing token says only that
    placement = channel.placement(settings)
    the_core = core()
    log_startup_report(settings)
    title = channel.title
    if placement is not None and placement.background:
        alone = [channel.background(the_core), Recovering(the_core, [channel])]
        parts = Parts(the_core, alone, timeout=settings.shutdown_grace_s)
        run_until_signalled(
            parts,
            on_ready=lambda: console.print(f"afina · {title} · {placement.mode}. Ctrl-C stops."),
        )
        console.print("¡Hasta luego! 🌱")
        return

    from bot.cli.serve import run_uvicorn
    from bot.web import web_app

    channel.require_web(settings)
    web = channel.web(the_core)  # e.g. Slack's auth.test: a refused token stops it here
    host, port = address(settings, host, port)
    mode = placement.mode if placement is not None else "over HTTP"
    console.print(
        f"afina · {title} · {mode}, serving {' '.join(channel.paths)} on http://{host}:{port}. "
        "Ctrl-C stops."
    )
    run_uvicorn(web_app(the_core, [web], recovery=Recovering(the_core, [channel])), host, port)
