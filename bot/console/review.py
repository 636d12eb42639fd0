"""Review: the review desk's items in the browser, with the Slack desk's actions (approve,
edit, reject, answer, correct, dismiss) and filters by channel, kind and status.

Every action goes through `bot.desk.actions.act`, so the rules, the race between two
reviewers and the handoff to the customer are the desk's own; the cards posted in
Slack and Telegram are updated to show who handled the item here.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.app import Core
from bot.console import lessons
from bot.console.http import BASE, Ctx, page
from bot.db import session_scope
from bot.desk.actions import AlreadyHandled
from bot.desk.tables import ItemAction, ItemKind, ItemStatus
from bot.desk.views import CHOICES, NEEDS_TEXT, ItemCard
from bot.errors import AfinaError, NotFound
from bot.store import review as store_review

ITEMS_PER_PAGE = 20
KINDS = [k.value for k in ItemKind]
STATUSES = {"open": ItemStatus.open, "handled": ItemStatus.handled, "all": None}


def routes(core: Core) -> list[Route]:
    return [
        Route("/review", page(core, listing), methods=["GET"]),
        Route("/review/{id:int}", page(core, act), methods=["POST"]),
    ]


def listing(ctx: Ctx, *, error: str = "", status: int = 200) -> Response:
    number = ctx.page_number
    kind = ctx.arg("kind") if ctx.arg("kind") in KINDS else ""
    channel = ctx.arg("channel")[:32]
    shown = ctx.arg("status") if ctx.arg("status") in STATUSES else "open"
    with session_scope(ctx.core.engine) as session:
        items = store_review.items_page(
            session,
            status=STATUSES[shown],
            kind=ItemKind(kind) if kind else None,
            channel=channel,
            offset=(number - 1) * ITEMS_PER_PAGE,
            limit=ITEMS_PER_PAGE + 1,
        )
        page_items = items[:ITEMS_PER_PAGE]
        ids = [item.id or 0 for item in page_items]
        handoffs = store_review.handoffs_of_items(session, item_ids=ids)
        cards = [ItemCard.of(item, handoffs.get(item.id or 0)) for item in page_items]
        channels = store_review.item_channels(session)
    done = ctx.arg("done")
    return ctx.render(
        "review.html",
        status=status,
        cards=cards,
        has_next=len(items) > ITEMS_PER_PAGE,
        page=number,
        query={"kind": kind, "channel": channel, "status": shown},
        kinds=KINDS,
        channels=channels,
        statuses=list(STATUSES),
        choices={kind: [a.value for a in actions] for kind, actions in CHOICES.items()},
        needs_text={a.value for a in NEEDS_TEXT},
        done=done if done in {a.value for a in ItemAction} else "",
        item=ctx.number("item"),
        error=error,
    )


def act(ctx: Ctx) -> Response:
    item_id = ctx.path_id()
    wanted = ctx.form.get("do", "")
    if wanted not in {a.value for a in ItemAction} or wanted == ItemAction.resolved:
        return listing(ctx, error=ctx.t("review_unknown_action"), status=400)
    try:
        lessons.act(
            ctx.core,
            user=ctx.user,
            item_id=item_id,
            action=ItemAction(wanted),
            text=ctx.form.get("text", ""),
        )
    except NotFound as missing:
        return ctx.render("problem.html", status=404, reason="not_found", detail=missing.message)
    except AlreadyHandled as late:  # a colleague was quicker: theirs stands
        return listing(ctx, error=late.message, status=409)
    except AfinaError as refused:  # no words, or not an action for this kind
        return listing(ctx, error=refused.message, status=400)
    back = {k: ctx.form.get(k, "") for k in ("kind", "channel", "status")}
    return ctx.redirect(f"{BASE}/review", done=wanted, item=item_id, **back)
