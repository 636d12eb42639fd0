"""Database upkeep: `migrate` (retraining and versions live in `bot.cli.tuning`)."""

from __future__ import annotations

import typer

from bot.cli.common import console


def register(app: typer.Typer) -> None:
    app.command()(migrate)


def migrate() -> None:
    """Apply database migrations, then embed examples that lack vectors (safe on every deploy)."""
    from bot.cli.common import core
    from bot.cli.teach import progress_bar
    from bot.embeddings import EmbeddingError

    the_core = core()  # migrates
    console.print("Database is up to date.")
    knowledge = the_core.knowledge
    if knowledge.embedder is None:
        return
    backlog = knowledge.backlog()
    if not backlog:
        return
    try:
        with progress_bar(backlog, "embedding") as advance:
            done = knowledge.embed_backlog(progress=advance)
    except EmbeddingError as exc:  # a deploy must not fail on an unreachable embeddings API
        console.print(f"Could not embed the examples yet ({exc}); `afina embed` retries.")
        return
    console.print(f"Embedded {done} examples with {knowledge.embedder.tag}.")
