"""Retraining and model versions: `train`, `models`."""

from __future__ import annotations

import typer
from rich.table import Table

from bot import store
from bot.cli.common import console, core
from bot.db import session_scope
from bot.errors import BadInput


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(models)
    app.command()(migrate)


def train(
    provider: str = typer.Option(None, "--provider", help="examples (default: TUNING_PROVIDER)."),
) -> None:
    """Retrain from the accepted examples and make the result the active model version."""
    the_core = core()
    chosen = provider or the_core.settings.tuning_provider
    if chosen != "examples":
        raise BadInput(f"Unknown provider '{chosen}'. Available: examples.")
    from tuning.examples import train_examples

    run, version = train_examples(the_core)
    console.print(f"Run #{run.id}: {run.n_train} accepted examples → {version.model_id} (active).")


def models() -> None:
    """List model versions; the active one is marked with *."""
    the_core = core()
    with session_scope(the_core.engine) as session:
        versions = list(store.list_versions(session))
    if not versions:
        console.print(
            f"No versions yet: answering with the {the_core.settings.backend} backend default. "
            "Run `afina train` to create one."
        )
        return
    table = Table()
    for name in ("", "id", "provider", "model", "parent", "run", "created", "note"):
        table.add_column(name)
    for v in versions:
        table.add_row(
            "*" if v.active else "",
            str(v.id),
            v.provider,
            v.model_id,
            str(v.parent_id or ""),
            str(v.run_id or ""),
            f"{v.created_at:%Y-%m-%d %H:%M}",
            v.note,
        )
    console.print(table)


def migrate() -> None:
    """Apply database migrations (safe to run on every deploy)."""
    from bot.config import get_settings
    from bot.db import make_engine
    from bot.db import migrate as upgrade

    engine = make_engine(get_settings().resolved_database_url)
    upgrade(engine)
    engine.dispose()
    console.print("Database is up to date.")
