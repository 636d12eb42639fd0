"""Playground: ask as a customer would, through the responder, on the `playground`
channel; see the answer with its prompt and the examples it used, and ask another
model version the same question side by side."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from bot import store
from bot.app import Core
from bot.console import actions
from bot.console.http import BASE, Ctx, page
from bot.console.used import Used, examples_used
from bot.db import session_scope
from bot.errors import AfinaError, NotFound
from bot.store.browse import PLAYGROUND
from bot.tables import Reply


def routes(core: Core) -> list[Route]:
    return [
        Route("/playground", page(core, show), methods=["GET"]),
        Route("/playground", page(core, ask), methods=["POST"]),
        Route("/playground/new", page(core, start_afresh), methods=["POST"]),
    ]


@dataclass(frozen=True)
class Answer:
    reply: Reply
    used: list[Used]
    version_label: str


def show(ctx: Ctx, *, error: str = "", status: int = 200, asked: str = "") -> Response:
    wanted = [n for n in (ctx.number("reply"), ctx.number("compare")) if n]
    with session_scope(ctx.core.engine) as session:
        versions = list(reversed(store.list_versions(session)))
        replies = []
        for reply_id in wanted:
            try:
                reply = store.get_reply(session, reply_id=reply_id)
            except NotFound:
                continue
            if reply.channel == PLAYGROUND:  # other channels are read on Conversations
                replies.append(reply)
        used = examples_used(session, replies)
        # The question is the prompt's last turn.
        question = str(replies[0].prompt[-1].get("content", "")) if replies else ""
    labels = {v.id: f"#{v.id} {v.model_id}" for v in versions}
    answers = [
        Answer(r, used.get(r.id or 0, []), labels.get(r.model_version_id, r.model_id))
        for r in replies
    ]
    return ctx.render(
        "playground.html",
        status=status,
        versions=versions,
        answers=answers,
        question=asked or question,
        compare=ctx.number("version"),
        error=error,
    )


def ask(ctx: Ctx) -> Response:
    text = ctx.form.get("question", "")
    other = ctx.form.get("compare", "")
    try:
        asked = actions.ask(
            ctx.core, user=ctx.user, text=text, compare_with=int(other) if other.isdigit() else None
        )
    except AfinaError as refused:
        return show(ctx, error=refused.message, status=400, asked=text)
    return ctx.redirect(
        f"{BASE}/playground", reply=asked.reply_id, compare=asked.compared_id, version=other
    )


def start_afresh(ctx: Ctx) -> Response:
    actions.forget_playground(ctx.core, user=ctx.user)
    return ctx.redirect(f"{BASE}/playground")
