"""Conversations: every chat, newest first; one with its replies, the examples each used,
its feedback, and a form to correct a reply as the signed-in reviewer."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from bot import store
from bot.app import Core
from bot.console import actions
from bot.console.http import BASE, PER_PAGE, Ctx, page
from bot.console.used import Used, examples_used
from bot.db import session_scope
from bot.desk.tables import ReviewItem
from bot.errors import AfinaError, NotFound
from bot.feedback import Result
from bot.store import browse as store_browse
from bot.store import review as store_review
from bot.tables import Feedback, Message, Reply

DONE = {r.value for r in Result}


def routes(core: Core) -> list[Route]:
    return [
        Route("/conversations", page(core, listing), methods=["GET"]),
        Route("/conversations/{id:int}", page(core, one), methods=["GET"]),
        Route("/replies/{id:int}/correct", page(core, correct), methods=["POST"]),
    ]


def listing(ctx: Ctx) -> Response:
    channel = ctx.arg("channel")[:32]
    number = ctx.page_number
    with session_scope(ctx.core.engine) as session:
        rows = store_browse.conversations_page(
            session, channel=channel, offset=(number - 1) * PER_PAGE, limit=PER_PAGE + 1
        )
        channels = store_browse.conversation_channels(session)
    return ctx.render(
        "conversations.html",
        rows=rows[:PER_PAGE],
        has_next=len(rows) > PER_PAGE,
        page=number,
        query={"channel": channel},
        channels=channels,
    )


@dataclass(frozen=True)
class Turn:
    """One line of the timeline: a person's message, or a reply with what made it."""

    message: Message | None
    reply: Reply | None = None
    used: tuple[Used, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    item: ReviewItem | None = None  # its 👎 or unanswered item on the review desk


def one(ctx: Ctx) -> Response:
    done = ctx.arg("done")
    return show(
        ctx, ctx.path_id(), done=done if done in DONE else "", example=ctx.number("example")
    )


def show(
    ctx: Ctx,
    conversation_id: int,
    *,
    done: str = "",
    example: int = 0,
    error: str = "",
    status: int = 200,
) -> Response:
    with session_scope(ctx.core.engine) as session:
        try:
            conversation = store_browse.conversation(session, conversation_id=conversation_id)
        except NotFound as missing:
            return ctx.render(
                "problem.html", status=404, reason="not_found", detail=missing.message
            )
        found = store_browse.thread(session, conversation=conversation)
        replies = [r for rows in found.replies.values() for r in rows]
        used = examples_used(session, replies)
        items = store_review.items_of_replies(session, reply_ids=[r.id or 0 for r in replies])
    return ctx.render(
        "conversation.html",
        status=status,
        conversation=conversation,
        timeline=timeline(found, used, items),
        done=done,
        example=example,
        error=error,
    )


def timeline(
    found: store_browse.Thread, used: dict[int, list[Used]], items: dict[int, ReviewItem]
) -> list[Turn]:
    """Messages in order, each question followed by its replies. The responder also
    stores each reply as an assistant message; those echoes are left out."""
    turns: list[Turn] = []
    echoes = 0
    for message in found.messages:
        if message.role == "assistant" and echoes:
            echoes -= 1
            continue
        turns.append(Turn(message))
        replies = found.replies.get(message.id or 0, [])
        echoes += len(replies)
        for reply in replies:
            rid = reply.id or 0
            turns.append(
                Turn(
                    None,
                    reply,
                    tuple(used.get(rid, [])),
                    tuple(found.feedback.get(rid, [])),
                    items.get(rid),
                )
            )
    return turns


def correct(ctx: Ctx) -> Response:
    reply_id = ctx.path_id()
    with session_scope(ctx.core.engine) as session:
        try:
            conversation_id = store.get_reply(session, reply_id=reply_id).conversation_id
        except NotFound as missing:
            return ctx.render(
                "problem.html", status=404, reason="not_found", detail=missing.message
            )
    try:
        outcome = actions.correct(
            ctx.core, user=ctx.user, reply_id=reply_id, text=ctx.form.get("text", "")
        )
    except AfinaError as refused:  # e.g. an empty correction: the page again, saying why
        return show(ctx, conversation_id, error=refused.message, status=400)
    return ctx.redirect(
        f"{BASE}/conversations/{conversation_id}",
        done=str(outcome.result),
        example=outcome.example_id or "",
    )
