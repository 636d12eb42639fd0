"""Unanswered: what customers asked that the bot could not answer (the review desk's open
`unanswered` items: the reply's outcome was abstained or error), grouped by similar
questions, most asked first, each group answerable in place.

An answer goes through the desk (`bot.desk.actions.act`), once per ticked question:
it becomes an accepted example at once, and each customer who asked gets it in their
own chat (the desk's handoff), exactly as from the Slack desk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import timedelta

from starlette.responses import Response
from starlette.routing import Route

from bot.app import Core
from bot.console import lessons
from bot.console.grouping import Group, group_questions
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
KEPT = 8  # groupings remembered: one per database, channel filter and state

_groupings: OrderedDict[tuple[object, ...], tuple[int, list[Group]]] = OrderedDict()
_lock = threading.Lock()


def grouped(core: Core, *, days: int, channel: str) -> tuple[int, list[Group]]:
    """How many questions wait, and their groups. Grouping a thousand questions takes
    ~100 ms, so a grouping is kept until the set of waiting questions changes (a
    new one, one handled: `unanswered_state`, one indexed query)."""
    since = utcnow() - timedelta(days=days)
    with session_scope(core.engine) as session:
        key = (id(core.engine), days, channel, *store_review.unanswered_state(session, since=since))
        with _lock:
            kept = _groupings.get(key)
        if kept is not None:
            return kept
        asked = store_review.open_unanswered(session, since=since, limit=MOST_QUESTIONS)
    questions = [q for q in asked if not channel or q.channel == channel]
    found = (len(questions), group_questions(questions))
    with _lock:
        _groupings[key] = found
        while len(_groupings) > KEPT:
            _groupings.popitem(last=False)
    return found


def routes(core: Core) -> list[Route]:
    return [
        Route("/unanswered", page(core, listing), methods=["GET"]),
        Route("/unanswered", page(core, answer), methods=["POST"]),
    ]


def listing(ctx: Ctx, *, error: str = "", status: int = 200) -> Response:
    number = ctx.page_number
    channel = ctx.arg("channel")[:32]
    days = ctx.core.settings.console_unanswered_days
    total, groups = grouped(ctx.core, days=days, channel=channel)
    channels = sorted(
        {q.channel for g in grouped(ctx.core, days=days, channel="")[1] for q in g.questions}
    )
    start = (number - 1) * GROUPS_PER_PAGE
    done = ctx.arg("done")
    return ctx.render(
        "unanswered.html",
        status=status,
        groups=groups[start : start + GROUPS_PER_PAGE],
        total=total,
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
