"""Database upkeep: `migrate` (retraining and versions live in `bot.cli.tuning`)."""

from __future__ import annotations

import typer

from bot.cli.common import console


def register(app: typer.Typer) -> None:
    app.command()(migrate)


def migrate() -> None:
    """Apply database migrations (safe to run on every deploy)."""
    from bot.config import get_settings
    from bot.db import engine_for
    from bot.db import migrate as upgrade

    engine = engine_for(get_settings())
    upgrade(engine)
    engine.dispose()
    console.print("Database is up to date.")
