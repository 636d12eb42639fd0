"""Unanswered: what customers asked that the bot could not answer (the review desk's open
`unanswered` items: the reply's outcome was abstained or error), grouped by similar
questions, most asked first, each group answerable in place.

An answer goes through the desk (`bot.desk.actions.act`), once per ticked question:
it becomes an accepted example at once, and each customer who asked gets it in their
own chat (the desk's handoff), exactly as from the Slack desk.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response
from starlette.routing import Route

from bot.app import Core
from bot.console import lessons
from bot.console.grouping import Question, group_questions
from bot.console.http import BASE, Ctx, page
from bot.db import session_scope
from bot.desk.actions import AlreadyHandled
from bot.desk.tables import ItemAction
from bot.errors import AfinaError
from bot.store import review as store_review
from bot.tables import utcnow

GROUPS_PER_PAGE = 20
MOST_QUESTIONS = 1000  # grouped at once: the newest of the window
ACTIONS = {"answered": ItemAction.answered, "dismissed": ItemAction.dismissed}


def routes(core: Core) -> list[Route]:
    return [
        Route("/unanswered", page(core, listing), methods=["GET"]),
        Route("/unanswered", page(core, answer), methods=["POST"]),
    ]


def listing(ctx: Ctx, *, error: str = "", status: int = 200) -> Response:
    number = ctx.page_number
    channel = ctx.arg("channel")[:32]
    days = ctx.core.settings.console_unanswered_days
    with session_scope(ctx.core.engine) as session:
        items = store_review.open_unanswered(
            session, since=utcnow() - timedelta(days=days), limit=MOST_QUESTIONS
        )
        channels = sorted({item.channel for item in items})
    questions = [
        Question(
            item.id or 0, item.reply_id, item.channel, item.asked_by, item.question, item.created_at
        )
        for item in items
        if not channel or item.channel == channel
    ]
    groups = group_questions(questions)
    start = (number - 1) * GROUPS_PER_PAGE
    done = ctx.arg("done")
    return ctx.render(
        "unanswered.html",
        status=status,
        groups=groups[start : start + GROUPS_PER_PAGE],
        total=len(questions),
        has_next=len(groups) > start + GROUPS_PER_PAGE,
        page=number,
        days=days,
        query={"channel": channel},
        channels=channels,
        done=done if done in ACTIONS else "",
        count=ctx.number("n"),
        error=error,
    )


def answer(ctx: Ctx) -> Response:
    """Answer (or dismiss) the ticked questions of one group, each through the desk."""
    action = ACTIONS.get(ctx.form.get("do", "answered"))
    ids = [int(k[5:]) for k, v in ctx.form.items() if k.startswith("item-") and k[5:].isdigit()]
    text = ctx.form.get("answer", "")
    if action is None or not ids:
        return listing(ctx, error=ctx.t("unanswered_none_ticked"), status=400)
    if action == ItemAction.answered and not text.strip():
        return listing(ctx, error=ctx.t("unanswered_write_first"), status=400)
    done = 0
    for item_id in sorted(ids):
        try:
            lessons.act(ctx.core, user=ctx.user, item_id=item_id, action=action, text=text)
        except AlreadyHandled:  # a colleague was quicker: theirs stands
            continue
        except AfinaError as refused:
            return listing(ctx, error=refused.message, status=400)
        done += 1
    return ctx.redirect(f"{BASE}/unanswered", done=action.value, n=done)
