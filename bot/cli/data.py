"""The teaching material: `review`, `import`, `examples`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from bot import store
from bot.cli.common import console, core
from bot.db import session_scope
from bot.errors import BadInput
from bot.feedback import review as review_example
from bot.identity import speaker
from bot.importer import import_pairs, read_file
from bot.tables import Example, ExampleStatus


def register(app: typer.Typer) -> None:
    app.command()(review)
    app.command("import")(import_file)
    app.command()(examples)


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(rows: list[Example], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for name in ("id", "status", "source", "question", "answer", "by"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.status,
            row.source,
            _short(row.question),
            _short(row.answer),
            row.created_by,
        )
    return table


def review(
    approve: list[int] = typer.Option([], "--approve", "-a", help="Accept this pending example."),
    reject: list[int] = typer.Option([], "--reject", "-r", help="Reject this pending example."),
    interactive: bool = typer.Option(
        False, "--interactive", "-i", help="Go through pending items one by one."
    ),
    user: str = typer.Option(None, "--user", help="Reviewer identity, CHANNEL:ID."),
) -> None:
    """List pending corrections; approve or reject them."""
    the_core = core()
    reviewer = speaker(user)
    with session_scope(the_core.engine) as session:
        for example_id in approve:
            review_example(
                session, the_core.settings, example_id=example_id, reviewer=reviewer, approve=True
            )
            console.print(f"#{example_id} accepted: the bot uses it from now on.")
        for example_id in reject:
            review_example(
                session, the_core.settings, example_id=example_id, reviewer=reviewer, approve=False
            )
            console.print(f"#{example_id} rejected.")
        pending = list(store.list_examples(session, status=ExampleStatus.pending, limit=200))
    if approve or reject:
        return
    if not pending:
        console.print("Nothing waits for review.")
        return
    if not interactive or not sys.stdin.isatty():
        console.print(_table(pending, f"{len(pending)} pending"))
        console.print("[dim]afina review --approve ID / --reject ID, or --interactive[/dim]")
        return
    for example in pending:
        console.print(f"\n#{example.id} from {example.created_by}")
        console.print(f"Q: {example.question}")
        if example.rejected_answer:
            console.print(f"[red]bot said:[/red] {example.rejected_answer}")
        console.print(f"[green]suggested:[/green] {example.answer}")
        choice = typer.prompt("approve / reject / skip / quit", default="skip")[:1].lower()
        if choice == "q":
            break
        if choice in {"a", "r"}:
            with session_scope(the_core.engine) as session:
                review_example(
                    session,
                    the_core.settings,
                    example_id=example.id or 0,
                    reviewer=reviewer,
                    approve=choice == "a",
                )
            console.print("accepted" if choice == "a" else "rejected")


def import_file(
    path: Path = typer.Argument(
        ..., help="A .jsonl file (OpenAI chat format) or .csv (question,answer)."
    ),
) -> None:
    """Import examples from JSONL (OpenAI chat format) or CSV (question,answer)."""
    the_core = core()
    rows = list(read_file(path))
    with session_scope(the_core.engine) as session:
        report = import_pairs(session, rows, created_by=f"import:{path.name}")
    for number, reason in report.errors:
        console.print(f"{path.name}:{number}: skipped: {reason}")
    console.print(
        f"Imported {report.imported} examples; {report.duplicates} already known; "
        f"{len(report.errors)} lines skipped."
    )
    if report.errors and not report.imported and not report.duplicates:
        raise BadInput(f"No usable lines in {path.name}.")


def examples(
    search: str = typer.Argument(
        None, help="Only examples whose question or answer contains this."
    ),
    status: ExampleStatus = typer.Option(None, "--status", help="Only this status."),
    limit: int = typer.Option(50, "--limit", min=1, help="How many to show."),
) -> None:
    """List or search the examples the bot learns from."""
    the_core = core()
    with session_scope(the_core.engine) as session:
        rows = list(store.list_examples(session, status=status, search=search, limit=limit))
        total = store.count_examples(session)
    if not rows:
        console.print("No examples match.")
        return
    console.print(_table(rows, f"{len(rows)} of {total} examples"))
