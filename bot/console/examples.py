"""Examples: search, filter by source and status, page through; open one with its origin.

Phase 2 adds edit and delete (kept as rejected) on the example page, through
issue 12's core functions.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot import store
from bot.app import Core
from bot.console.http import PER_PAGE, Ctx, page
from bot.console.used import conversation_of
from bot.db import session_scope
from bot.errors import NotFound
from bot.store import browse as store_browse
from bot.tables import ExampleSource, ExampleStatus

STATUSES = [s.value for s in ExampleStatus]
SOURCES = [s.value for s in ExampleSource]


def routes(core: Core) -> list[Route]:
    return [
        Route("/examples", page(core, listing), methods=["GET"]),
        Route("/examples/{id:int}", page(core, one), methods=["GET"]),
    ]


def listing(ctx: Ctx) -> Response:
    search = ctx.arg("q")[:200]
    status = ctx.arg("status")
    source = ctx.arg("source")
    number = ctx.page_number
    with session_scope(ctx.core.engine) as session:
        rows = store_browse.examples_page(
            session,
            search=search,
            status=ExampleStatus(status) if status in STATUSES else None,
            source=ExampleSource(source) if source in SOURCES else None,
            offset=(number - 1) * PER_PAGE,
            limit=PER_PAGE + 1,
        )
    return ctx.render(
        "examples.html",
        examples=rows[:PER_PAGE],
        has_next=len(rows) > PER_PAGE,
        page=number,
        query={"q": search, "status": status, "source": source},
        statuses=STATUSES,
        sources=SOURCES,
    )


def one(ctx: Ctx) -> Response:
    example_id = ctx.path_id()
    with session_scope(ctx.core.engine) as session:
        try:
            example = store.get_example(session, example_id=example_id)
        except NotFound as missing:
            return ctx.render(
                "problem.html", status=404, reason="not_found", detail=missing.message
            )
        reply = feedback = None
        if example.reply_id is not None:
            reply = store.get_reply(session, reply_id=example.reply_id)
            feedback = store_browse.feedback_on_reply(session, reply_id=example.reply_id)
    return ctx.render(
        "example.html",
        example=example,
        context=conversation_of(example.prompt),
        reply=reply,
        feedback=feedback or [],
    )
