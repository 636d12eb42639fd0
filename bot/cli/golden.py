"""`afina golden record` and `afina golden show`: the answers later candidates are held to."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from bot.cli.common import console, core

golden = typer.Typer(
    help="The golden set: what the model answering today says to the reviewed and held-out "
    "questions, so a candidate on any provider is gated against what customers got before.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(golden, name="golden")


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn("asking"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("questions", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@golden.command("record")
def record(
    limit: int = typer.Option(
        None, "--limit", min=1, help="At most this many questions (default: EVAL_MAX_ITEMS)."
    ),
) -> None:
    """Ask the model answering today the reviewed and held-out questions; store its answers."""
    from tuning import golden as golden_set

    with _progress() as advance:
        number, count, model = golden_set.record(core(), limit=limit, progress=advance)
    console.print(
        f"Golden set #{number}: {count} answers by {model}. The gate now also holds candidates "
        "to them (EVAL_GOLDEN); `afina golden show` lists them."
    )


@golden.command("show")
def show(
    limit: int = typer.Option(20, "--limit", min=1, help="How many answers to list."),
    as_json: bool = typer.Option(False, "--json", help="Every answer of the set as JSON."),
) -> None:
    """List the newest golden set: question, the answer recorded, the approved reference."""
    from rich.table import Table

    from bot.db import session_scope
    from tuning import golden as golden_set

    with session_scope(core().engine) as session:
        rows = golden_set.latest(session)
    if as_json:
        keys = ("id", "example_id", "kind", "source", "context", "reference", "answer", "model_id")
        out = [{k: getattr(r, k) for k in keys} for r in rows]
        console.print_json(json.dumps(out, ensure_ascii=False))
        return
    if not rows:
        console.print("No golden set yet: `afina golden record` stores one.")
        return
    first = rows[0]
    version = f" (version {first.version_id})" if first.version_id else ""
    console.print(
        f"Golden set #{first.recording}: {len(rows)} answers by {first.model_id}{version}, "
        f"recorded {first.recorded_at:%Y-%m-%d %H:%M} UTC"
    )
    table = Table()
    for name in ("example", "kind"):
        table.add_column(name, no_wrap=True)
    for name in ("question", "recorded answer", "approved answer"):
        table.add_column(name, overflow="fold", ratio=1)
    for row in rows[:limit]:
        question = row.context[-1]["content"] if row.context else ""
        table.add_row(str(row.example_id or ""), row.kind, question, row.answer, row.reference)
    console.print(table)
    if len(rows) > limit:
        console.print(f"… and {len(rows) - limit} more (`--limit`, or `--json` for all).")
