"""Database upkeep: `migrate` (retraining and versions live in `bot.cli.tuning`)."""

from __future__ import annotations

import typer

from bot.cli.common import console


def register(app: typer.Typer) -> None:
    app.command()(migrate)


def migrate() -> None:
    """Apply database migrations (safe to run on every deploy)."""
    from bot.config import get_settings
    from bot.db import make_engine
    from bot.db import migrate as upgrade

    engine = make_engine(get_settings().resolved_database_url)
    upgrade(engine)
    engine.dispose()
    console.print("Database is up to date.")
