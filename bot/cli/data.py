"""The teaching material: `review` and `import` (the examples themselves: `bot.cli.teach`)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from bot import store, teaching
from bot.cli import desk
from bot.cli.common import console, core
from bot.cli.teach import example_table, progress_bar, short
from bot.db import session_scope
from bot.errors import BadInput
from bot.feedback import review as review_example
from bot.identity import speaker
from bot.importer import import_pairs, read_file, undo_batch
from bot.tables import Example, ExampleStatus


def register(app: typer.Typer) -> None:
    app.command()(review)
    app.command("import")(import_file)


def _replaced(older: list[Example]) -> str:
    if not older:
        return ""
    return " It replaces " + ", ".join(f"#{row.id} «{short(row.question, 40)}»" for row in older)


def review(
    approve: list[int] = typer.Option([], "--approve", "-a", help="Accept this pending example."),
    reject: list[int] = typer.Option(
        [], "--reject", "-r", help="Reject this example, pending or accepted (kept as rejected)."
    ),
    conflicts: bool = typer.Option(
        False,
        "--conflicts",
        help="List accepted examples that answer the same question differently.",
    ),
    interactive: bool = typer.Option(
        False, "--interactive", "-i", help="Go through pending items one by one."
    ),
    user: str = typer.Option(None, "--user", help="Reviewer identity, CHANNEL:ID."),
    item: int = typer.Option(
        None, "--item", help="A review desk item (unanswered, rated 👎) to answer or dismiss."
    ),
    text: str = typer.Option(
        None, "--text", help="With --item: the answer (it goes to the customer too)."
    ),
    dismiss: bool = typer.Option(False, "--dismiss", help="With --item: nothing to teach."),
) -> None:
    """List pending corrections, unanswered questions and 👎'd answers; act on them."""
    the_core = core()
    reviewer = speaker(user)
    if conflicts:
        _conflicts()
        return
    if item is not None:
        if (text is not None) != dismiss:
            console.print(desk.handle(the_core, item_id=item, text=text, reviewer=reviewer))
            return
        raise BadInput("With --item, give the answer with --text, or --dismiss.")
    with session_scope(the_core.engine) as session:
        for example_id, yes in [(i, True) for i in approve] + [(i, False) for i in reject]:
            example, older = review_example(
                session,
                the_core.settings,
                example_id=example_id,
                reviewer=reviewer,
                approve=yes,
                knowledge=the_core.knowledge,
            )
            what = "accepted: the bot uses it from now on." if yes else "rejected: not used."
            console.print(f"#{example_id} «{short(example.question, 60)}» {what}{_replaced(older)}")
        pending = list(store.list_examples(session, status=ExampleStatus.pending, limit=200))
    if approve or reject:
        return
    waiting = desk.open_items(the_core)
    if not pending and not waiting:
        console.print("Nothing waits for review.")
        return
    if waiting:
        for line in desk.items_lines(waiting):
            console.print(line, markup=False)
        console.print("[dim]afina review --item ID --text ANSWER (or --dismiss)[/dim]")
    if not pending:
        return
    if not interactive or not sys.stdin.isatty():
        console.print(example_table(pending, f"{len(pending)} pending"))
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
                    knowledge=the_core.knowledge,
                )
            console.print("accepted" if choice == "a" else "rejected")


def _conflicts() -> None:
    knowledge = core().knowledge
    knowledge.refresh()
    with progress_bar(len(knowledge.examples), "comparing") as advance:
        found = list(teaching.conflicts(knowledge, progress=advance))
    if not found:
        console.print("No accepted examples answer the same question differently.")
        return
    table = Table(title=f"{len(found)} conflicting pairs")
    for name in ("example", "question", "answer"):
        table.add_column(name, overflow="fold")
    for pair in found:
        for known in (pair.first, pair.second):
            table.add_row(f"#{known.example_id}", short(known.question, 50), short(known.answer))
        table.add_section()
    console.print(table)
    console.print("[dim]keep one: afina examples delete ID (or edit ID --answer TEXT)[/dim]")


def import_file(
    path: Path = typer.Argument(
        None, help="A .csv (question,answer), .md / .txt FAQ, or .jsonl (OpenAI chat) file."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be imported; store nothing."
    ),
    undo: int = typer.Option(None, "--undo", help="Take back every example of this batch."),
    batches: bool = typer.Option(False, "--batches", help="List the imports, newest first."),
    user: str = typer.Option(None, "--user", help="Who imports, CHANNEL:ID."),
) -> None:
    """Import examples from CSV (`,` or `;`), a Markdown / text FAQ, or JSONL; each is a batch."""
    the_core = core()
    who = speaker(user)
    if undo is not None:
        with session_scope(the_core.engine) as session:
            taken = undo_batch(session, batch_id=undo, by=who)
        console.print(
            f"Import batch #{undo} undone: {taken} examples taken out (kept as rejected)."
        )
        return
    if batches:
        _batches()
        return
    if path is None:
        raise BadInput("Name a file to import (or use --undo BATCH / --batches).")
    rows = list(read_file(path))

    def bad(number: int, reason: str) -> None:
        console.print(f"{path.name}:{number}: skipped: {reason}")

    with (
        session_scope(the_core.engine) as session,
        progress_bar(len(rows) * (1 if dry_run else 2), "importing") as advance,
    ):
        report = import_pairs(
            session,
            rows,
            created_by=who,
            batch_name=path.name,
            embedder=None if dry_run else the_core.knowledge.embedder,
            dry_run=dry_run,
            on_error=bad,
            progress=advance,
        )
        if dry_run:
            session.rollback()
    if dry_run:
        for example in report.examples:
            console.print(f"+ Q: {short(example.question)}\n  A: {short(example.answer)}")
        console.print(
            f"Would import {report.imported} examples; {report.duplicates} already known; "
            f"{len(report.errors)} lines skipped. Nothing was stored."
        )
    else:
        console.print(
            f"Imported {report.imported} examples as batch #{report.batch_id} (in use now; "
            f"`afina import --undo {report.batch_id}` takes them out); "
            f"{report.duplicates} already known; {len(report.errors)} lines skipped."
        )
    if report.errors and not report.imported and not report.duplicates:
        raise BadInput(f"No usable lines in {path.name}.")


def _batches() -> None:
    with session_scope(core().engine) as session:
        rows = list(store.list_import_batches(session))
    if not rows:
        console.print("Nothing was imported yet.")
        return
    for row in rows:
        undone = f" · undone by {row.undone_by}" if row.undone_at else ""
        console.print(
            f"#{row.id} {row.name} · {row.imported} examples · by {row.created_by} · "
            f"{row.created_at:%Y-%m-%d %H:%M} UTC{undone}"
        )
