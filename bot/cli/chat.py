"""Talking to the bot: `chat`, `ask`, `feedback`."""

from __future__ import annotations

import gc
import json
import sys

import typer

from bot.cli.common import console, core
from bot.errors import BadInput

USER_HELP = "Who is speaking, as CHANNEL:ID (e.g. telegram:42). Default: you, on the console."


def register(app: typer.Typer) -> None:
    app.command()(chat)
    app.command()(ask)
    app.command()(feedback)


def chat(
    user: str = typer.Option(None, "--user", help=USER_HELP),
) -> None:
    """Chat with the bot in the terminal and teach it with /good, /bad, /fix."""
    from bot.channels.console import HELP, ConsoleChat
    from bot.doctor import log_startup_report
    from bot.identity import parse_identity, speaker

    identity = speaker(user)
    channel, user_id = parse_identity(identity)
    if channel != "console":
        raise BadInput("The terminal chat speaks as a console:ID user.")
    the_core = core()
    log_startup_report(the_core.settings)
    the_core.warm_up()  # while the person types the first question
    session = ConsoleChat(core=the_core, user=user_id, write=console.print)
    console.print(
        f"afina · {the_core.settings.brand_name} · backend {the_core.settings.backend} · "
        f"{'reviewer' if the_core.settings.console_is_reviewer else 'not a reviewer'}"
    )
    console.print(HELP)
    while True:
        try:
            line = input("you › ") if sys.stdin.isatty() else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            break
        if line == "" and not sys.stdin.isatty():
            break  # end of piped input
        if not session.handle(line):
            break
    console.print("¡Hasta luego! 🌱")


def ask(
    text: str = typer.Argument(..., help="The question."),
    as_json: bool = typer.Option(
        False, "--json", help="Print a JSON object with reply_id and text."
    ),
    user: str = typer.Option(None, "--user", help=USER_HELP),
    chat_id: str = typer.Option(
        "cli", "--chat", help="Conversation id: the same id keeps history."
    ),
) -> None:
    """Ask one question and print the answer."""
    from bot.identity import parse_identity, speaker
    from bot.messages import Incoming

    channel, user_id = parse_identity(speaker(user))
    responder = core().responder
    # One question, then the process ends: nothing it makes needs collecting, and the index
    # loaded on the way (a few hundred thousand objects) would be scanned again and again.
    gc.disable()
    reply = responder.answer(Incoming(channel=channel, chat_id=chat_id, user_id=user_id, text=text))
    if as_json:
        payload = {
            "reply_id": reply.reply_id,
            "text": reply.text,
            "ok": reply.ok,
            "model": reply.model_id,
            "notice": reply.notice,
            "outcome": reply.outcome,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    if reply.notice:
        console.print(f"({reply.notice})")
    console.print(reply.text)
    console.print(
        f"[dim]reply #{reply.reply_id} · {reply.outcome} · "
        f"afina feedback {reply.reply_id} --good / --fix TEXT[/dim]"
    )


def feedback(
    reply_id: int = typer.Argument(..., help="The reply id shown under an answer."),
    good: bool = typer.Option(False, "--good", help="👍 This answer is right."),
    bad: bool = typer.Option(False, "--bad", help="👎 This answer is wrong."),
    fix: str = typer.Option(None, "--fix", help="✏️ The answer it should have given."),
    user: str = typer.Option(None, "--user", help=USER_HELP),
) -> None:
    """Rate or correct an answer: --good, --bad or --fix TEXT."""
    from bot.db import session_scope
    from bot.feedback import give
    from bot.identity import speaker
    from bot.kinds import FeedbackKind

    chosen = [
        kind
        for kind, on in (
            (FeedbackKind.approve, good),
            (FeedbackKind.reject, bad),
            (FeedbackKind.correct, fix is not None),
        )
        if on
    ]
    if len(chosen) != 1:
        raise BadInput("Give exactly one of --good, --bad or --fix TEXT.")
    the_core = core()
    with session_scope(the_core.engine) as session:
        outcome = give(
            session,
            the_core.settings,
            knowledge=the_core.knowledge,
            reply_id=reply_id,
            user=speaker(user),
            kind=chosen[0],
            corrected_text=fix,
        )
    console.print(outcome.message)
    if outcome.example_id:
        console.print(f"[dim]example #{outcome.example_id} · {outcome.result}[/dim]")
