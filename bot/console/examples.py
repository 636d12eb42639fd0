"""Examples: search, filter by source and status, page through; open one with its origin
(the conversation and the feedback), edit its answer or take it back (kept as rejected),
through the same core functions as `afina examples edit|delete`."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot import store
from bot.app import Core
from bot.console import lessons
from bot.console.http import BASE, PER_PAGE, Ctx, page
from bot.console.used import conversation_of
from bot.db import session_scope
from bot.errors import AfinaError, NotFound
from bot.store import browse as store_browse
from bot.tables import ExampleSource, ExampleStatus

STATUSES = [s.value for s in ExampleStatus]
SOURCES = [s.value for s in ExampleSource]


def routes(core: Core) -> list[Route]:
    return [
        Route("/examples", page(core, listing), methods=["GET"]),
        Route("/examples/{id:int}", page(core, one), methods=["GET"]),
        Route("/examples/{id:int}/edit", page(core, edit), methods=["POST"]),
        Route("/examples/{id:int}/delete", page(core, delete), methods=["POST"]),
    ]


DONE = {"edited", "deleted"}


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
    done = ctx.arg("done")
    return show(ctx, ctx.path_id(), done=done if done in DONE else "")


def show(
    ctx: Ctx, example_id: int, *, done: str = "", error: str = "", status: int = 200
) -> Response:
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
        status=status,
        done=done,
        error=error,
        example=example,
        context=conversation_of(example.prompt),
        reply=reply,
        feedback=feedback or [],
    )


def edit(ctx: Ctx) -> Response:
    example_id = ctx.path_id()
    try:
        lessons.edit_example(
            ctx.core, user=ctx.user, example_id=example_id, answer=ctx.form.get("answer", "")
        )
    except NotFound as missing:
        return ctx.render("problem.html", status=404, reason="not_found", detail=missing.message)
    except AfinaError as refused:  # an empty answer, or one another example already has
        return show(ctx, example_id, error=refused.message, status=400)
    return ctx.redirect(f"{BASE}/examples/{example_id}", done="edited")


def delete(ctx: Ctx) -> Response:
    example_id = ctx.path_id()
    try:
        lessons.delete_example(ctx.core, user=ctx.user, example_id=example_id)
    except NotFound as missing:
        return ctx.render("problem.html", status=404, reason="not_found", detail=missing.message)
    except AfinaError as refused:  # already taken back
        return show(ctx, example_id, error=refused.message, status=400)
    return ctx.redirect(f"{BASE}/examples/{example_id}", done="deleted")
