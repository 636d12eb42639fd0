"""`afina doctor`: check the setup, one line per check, exit 1 when anything is broken."""

from __future__ import annotations

import json

import typer
from rich.markup import escape

from bot.checks import DEFAULT_TIMEOUT_S
from bot.cli.common import console

SYMBOLS = {"ok": "[green]✓[/green]", "warn": "[yellow]![/yellow]", "fail": "[red]✗[/red]"}


def register(app: typer.Typer) -> None:
    app.command()(doctor)


def doctor(
    offline: bool = typer.Option(
        False,
        "--offline",
        help="Don't contact the model endpoint, Slack, Telegram or the LoRA server.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object with every check."),
    timeout: float = typer.Option(
        DEFAULT_TIMEOUT_S, "--timeout", min=0.1, help="Seconds to wait for each service."
    ),
) -> None:
    """Check channels, backend, tuning provider and database; secrets stay masked."""
    from bot.config import get_settings
    from bot.doctor import diagnose, summary_line

    settings = get_settings()
    checks = diagnose(settings, reach=not offline, timeout_s=timeout)
    failed = any(c.status == "fail" for c in checks)
    if as_json:
        payload = {"ok": not failed, "checks": [c.as_dict() for c in checks]}
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        width = max(len(c.name) for c in checks)
        for check in checks:
            # Messages quote settings, which may hold `[`: print them as text, not markup.
            console.print(f"{SYMBOLS[check.status]} {check.name:<{width}}  {escape(check.message)}")
        console.print(f"[dim]{escape(summary_line(settings, checks, hint=False))}[/dim]")
    if failed:
        raise typer.Exit(1)
