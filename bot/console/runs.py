"""Runs: each retrain's state and story, its loss curve, the gate's verdict with both
models' answers per held-out question; promote a version and roll back, as the CLI does."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot import store
from bot.app import Core
from bot.console import actions
from bot.console.charts import loss_curve
from bot.console.http import BASE, Ctx, page
from bot.db import session_scope
from bot.errors import AfinaError, NotFound
from bot.store import browse as store_browse
from bot.store import console as store_console

RUNS_PER_PAGE = 20
ANSWERS_PER_PAGE = 20


def routes(core: Core) -> list[Route]:
    return [
        Route("/runs", page(core, listing), methods=["GET"]),
        Route("/runs/{id:int}", page(core, one), methods=["GET"]),
        Route("/versions/{id:int}/promote", page(core, promote), methods=["POST"]),
        Route("/rollback", page(core, rollback), methods=["POST"]),
    ]


def listing(ctx: Ctx, *, error: str = "", status: int = 200) -> Response:
    number = ctx.page_number
    with session_scope(ctx.core.engine) as session:
        runs = store_browse.runs_page(
            session, offset=(number - 1) * RUNS_PER_PAGE, limit=RUNS_PER_PAGE + 1
        )
        versions = list(reversed(store.list_versions(session)))
    active = next((v for v in versions if v.active), None)
    return ctx.render(
        "runs.html",
        status=status,
        runs=runs[:RUNS_PER_PAGE],
        has_next=len(runs) > RUNS_PER_PAGE,
        page=number,
        versions=versions,
        can_roll_back=active is not None and active.parent_id is not None,
        done=ctx.arg("done") if ctx.arg("done") in {"promoted", "rolled_back"} else "",
        version=ctx.number("version"),
        error=error,
    )


def one(ctx: Ctx) -> Response:
    run_id = ctx.path_id()
    number = ctx.page_number
    with session_scope(ctx.core.engine) as session:
        try:
            run = store.get_run(session, run_id=run_id)
        except NotFound as missing:
            return ctx.render(
                "problem.html", status=404, reason="not_found", detail=missing.message
            )
        events = store.run_events(session, run_id=run_id)
        version = store.version_for_run(session, run_id=run_id)
        answers = store_console.gate_answers(
            session,
            run_id=run_id,
            offset=(number - 1) * ANSWERS_PER_PAGE,
            limit=ANSWERS_PER_PAGE + 1,
        )
    job = run.metrics.get("job") or {}
    return ctx.render(
        "run.html",
        run=run,
        events=events,
        version=version,
        curve=loss_curve(job.get("loss_per_step") or []),
        job=job,
        scores=run.scores,
        answers=answers[:ANSWERS_PER_PAGE],
        has_next=len(answers) > ANSWERS_PER_PAGE,
        page=number,
    )


def promote(ctx: Ctx) -> Response:
    version_id = ctx.path_id()
    try:
        actions.promote(ctx.core, user=ctx.user, version_id=version_id)
    except AfinaError as refused:
        return listing(ctx, error=refused.message, status=400)
    return ctx.redirect(f"{BASE}/runs", done="promoted", version=version_id)


def rollback(ctx: Ctx) -> Response:
    try:
        _was, now = actions.rollback(ctx.core, user=ctx.user)
    except AfinaError as refused:
        return listing(ctx, error=refused.message, status=400)
    return ctx.redirect(f"{BASE}/runs", done="rolled_back", version=now)
