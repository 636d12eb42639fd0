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


def register(app: typer.Typer) -> None:
    for channel in registered():
        app.command(channel.name, help=channel.help)(_command(channel))


def _command(channel: Channel) -> Callable[..., None]:
    def run_channel(port: int = port_option(), host: str = host_option()) -> None:
        run_alone(channel, host, port)

    run_channel.__doc__ = channel.help
    return run_channel


def run_alone(channel: Channel, host: str | None, port: int | None) -> None:
    """Run one channel until SIGINT or SIGTERM; a missing setting is one line, before anything.

    The platform is asked first (`Channel.reach`), before the core loads: a token it
    refuses is one line within a second, and the startup report follows once it is in."""
    from bot.config import get_settings

    settings = get_settings()
    channel.require(settings)  # before the database: a missing token says only that
    placement = channel.placement(settings)
    background = placement is not None and placement.background
    if not background:
        channel.require_web(settings)
    channel.reach(settings)

    from bot.doctor import log_startup_report
    from bot.recovery import Recovering
    from bot.worker import Parts, run_until_signalled

    the_core = core()
    title = channel.title
    if placement is not None and background:
        # Long polling and Socket Mode: the platform keeps what people send until the
        # channel connects, so what answering needs loads from now on, beside the
        # connecting (an HTTP side listens first, and loads it then: Slack does not wait).
        the_core.warm_up()
        alone = [channel.background(the_core), Recovering(the_core, [channel])]
        parts = Parts(the_core, alone, timeout=settings.shutdown_grace_s)

        def ready() -> None:
            log_startup_report(settings)
            console.print(f"afina · {title} · {placement.mode}. Ctrl-C stops.")

        run_until_signalled(parts, on_ready=ready)
        console.print("¡Hasta luego! 🌱")
        return

    from bot.cli.serve import run_uvicorn
    from bot.web import web_app

    web = channel.web(the_core)
    log_startup_report(settings)
    host, port = address(settings, host, port)
    mode = placement.mode if placement is not None else "over HTTP"
    console.print(
        f"afina · {title} · {mode}, serving {' '.join(channel.paths)} on http://{host}:{port}. "
        "Ctrl-C stops."
    )
    run_uvicorn(web_app(the_core, [web], recovery=Recovering(the_core, [channel])), host, port)
