"""What the bot has learned, to see and undo: `examples`, `demo`, `embed`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from bot.cli.common import console, core, errors
from bot.kinds import ExampleStatus

if TYPE_CHECKING:
    from rich.table import Table

    from bot.tables import Example

USER_HELP = "Who does it, as CHANNEL:ID. Default: you, on the console."


class _ListByDefault(TyperGroup):
    """`afina examples [SEARCH]` lists; `afina examples show|edit|delete ID` act on one."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors click
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


examples_app = typer.Typer(
    cls=_ListByDefault,
    help="List, search, show, edit or take back the examples the bot answers from.",
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(examples_app, name="examples")
    app.command()(demo)
    app.command()(embed)


@contextmanager
def progress_bar(total: int, what: str) -> Iterator[Callable[[int], None]]:
    """A bar on stderr for long work; `advance(n)` moves it on."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=errors, transient=True, disable=total < 50) as bar:
        task = bar.add_task(what, total=total)
        yield lambda n: bar.advance(task, n)


def short(text: str, width: int = 70) -> str:
    from bot import teaching

    return teaching.short(text, width)


def example_table(rows: list[Example], title: str) -> Table:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for name in ("id", "status", "source", "question", "answer", "by"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.status,
            row.source,
            short(row.question),
            short(row.answer),
            row.created_by,
        )
    return table


@examples_app.command("list")
def list_examples(
    search: str = typer.Argument(
        None, help="Only examples whose question or answer contains this."
    ),
    status: ExampleStatus = typer.Option(None, "--status", help="Only this status."),
    limit: int = typer.Option(50, "--limit", min=1, help="How many to show."),
) -> None:
    """List or search the examples the bot learns from (newest first)."""
    from bot import store
    from bot.db import session_scope

    the_core = core()
    with session_scope(the_core.engine) as session:
        rows = list(store.list_examples(session, status=status, search=search, limit=limit))
        total = store.count_examples(session)
    if not rows:
        console.print("No examples match.")
        return
    console.print(example_table(rows, f"{len(rows)} of {total} examples"))
    console.print("[dim]afina examples show ID · edit ID --answer TEXT · delete ID[/dim]")


@examples_app.command("show")
def show(example_id: int = typer.Argument(..., help="The example's id.")) -> None:
    """Everything about one example: question, phrasings, answer, who taught it and when."""
    from bot import store
    from bot.db import session_scope

    with session_scope(core().engine) as session:
        example = store.get_example(session, example_id=example_id)
    when = f"{example.created_at:%Y-%m-%d %H:%M}"
    console.print(f"#{example.id} · {example.status} · {example.source} · by {example.created_by}")
    console.print(f"created {when} UTC" + _reviewed(example))
    if example.import_batch_id:
        console.print(f"import batch #{example.import_batch_id}")
    console.print(f"\nQ: {example.question}")
    for wording in example.phrasings:
        console.print(f"   also: {wording}")
    console.print(f"A: {example.answer}")
    if example.rejected_answer:
        console.print(f"[red]the bot had said:[/red] {example.rejected_answer}")


def _reviewed(example: Example) -> str:
    if not example.reviewed_by:
        return ""
    when = f" {example.reviewed_at:%Y-%m-%d %H:%M} UTC" if example.reviewed_at else ""
    return f" · reviewed by {example.reviewed_by}{when}"


@examples_app.command("edit")
def edit(
    example_id: int = typer.Argument(..., help="The example's id."),
    answer: str = typer.Option(..., "--answer", help="The new answer."),
    user: str = typer.Option(None, "--user", help=USER_HELP),
) -> None:
    """Give an example a new answer; the bot uses it from the next question on."""
    from bot import teaching
    from bot.db import session_scope
    from bot.identity import console_user
    from bot.text import clean_message

    the_core = core()
    text = clean_message(answer, max_chars=the_core.settings.max_message_chars * 4).text
    with session_scope(the_core.engine) as session:
        example = teaching.edit_answer(
            session,
            the_core.knowledge,
            example_id=example_id,
            answer=text,
            by=user or console_user(),
        )
    console.print(f"#{example.id} «{short(example.question, 60)}» now answers: {short(text)}")


@examples_app.command("delete")
def delete(
    example_id: int = typer.Argument(..., help="The example's id."),
    user: str = typer.Option(None, "--user", help=USER_HELP),
) -> None:
    """Take a lesson back: the bot stops using it at once (kept as rejected, with who and when)."""
    from bot import teaching
    from bot.db import session_scope
    from bot.identity import console_user

    with session_scope(core().engine) as session:
        example = teaching.take_back(session, example_id=example_id, by=user or console_user())
    console.print(
        f"#{example.id} «{short(example.question, 60)}» taken back: the bot no longer uses it."
    )


def demo(
    remove: bool = typer.Option(
        False, "--remove", help="Take every demo example out again (kept as rejected)."
    ),
    offer: bool = typer.Option(
        False, "--offer", help="Only on an empty database, and only if you say yes (a terminal)."
    ),
) -> None:
    """Load the demo shop (Verdalia, vegan cosmetics) to try the bot; --remove takes it out."""
    from bot import store
    from bot.db import session_scope
    from bot.demo import load_demo, remove_demo
    from bot.identity import console_user

    the_core = core()
    with session_scope(the_core.engine) as session:
        if remove:
            taken = remove_demo(session, by=console_user())
            console.print(f"Took {taken} demo examples out; the bot no longer uses them.")
            return
        if offer and not _wanted(store.count_examples(session)):
            return
        report = load_demo(session, embedder=the_core.knowledge.embedder)
    console.print(
        f"Loaded {report.imported} demo examples (Verdalia, a vegan-cosmetics shop) as import "
        f"batch #{report.batch_id}; {report.duplicates} were already there. "
        "`afina demo --remove` takes them out again."
    )


def _wanted(examples: int) -> bool:
    """`--offer`: ask on an empty database, in a terminal only (never blocks a script or CI)."""
    if examples:
        return False
    if not sys.stdin.isatty():
        console.print("The database is empty: `afina demo` loads a demo shop to try the bot.")
        return False
    return typer.confirm(
        "This database is empty. Load the demo shop (Verdalia, vegan cosmetics) to try the bot?",
        default=False,
    )


def embed() -> None:
    """Compute the vectors of examples that have none from the configured embedder yet."""
    the_core = core()
    knowledge = the_core.knowledge
    if knowledge.embedder is None:
        console.print("EMBEDDINGS_BACKEND=none: examples are found by their words only.")
        return
    with progress_bar(knowledge.backlog(), "embedding") as advance:
        done = knowledge.embed_backlog(progress=advance)
    console.print(f"Embedded {done} examples with {knowledge.embedder.tag}.")
