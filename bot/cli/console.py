"""`afina console-link`: a one-time link into the web console for a reviewer."""

from __future__ import annotations

import typer

from bot.cli.common import console, core


def register(app: typer.Typer) -> None:
    app.command(name="console-link")(console_link)


def console_link(
    user: str = typer.Option(
        None, "--user", help="The reviewer, as CHANNEL:ID (default: you, as console:NAME)."
    ),
) -> None:
    """Print a one-time sign-in link to the web console (valid CONSOLE_LINK_TTL_S seconds)."""
    from bot.identity import speaker
    from bot.signin import console_link as make_link

    the_core = core()
    link = make_link(the_core, speaker(user))
    minutes = max(1, the_core.settings.console_link_ttl_s // 60)
    console.print(link, soft_wrap=True)
    console.print(f"[dim]Works once, for {minutes} minutes.[/dim]", highlight=False)
