"""Home: where the bot stands, at a glance."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from bot import store
from bot.app import Core
from bot.console.charts import weekly_bars
from bot.console.http import Ctx, page
from bot.db import session_scope
from bot.responder import choose_target
from bot.store import browse as store_browse
from bot.store import desk as store_desk
from bot.tables import utcnow


def routes(core: Core) -> list[Route]:
    return [Route("/", page(core, home), methods=["GET"])]


def home(ctx: Ctx) -> Response:
    return ctx.render("home.html", **overview(ctx.core))


def overview(core: Core) -> dict[str, Any]:
    """What the home page shows; the scheduler's next run times come from its job store,
    read as `afina status` reads them, so no worker needs to be asked."""
    from bot.scheduler import stored_jobs
    from tuning.schedule import RETRAIN_JOB, new_examples

    settings = core.settings
    now = utcnow()
    with session_scope(core.engine) as session:
        active = store.active_version(session)
        counts = store_browse.examples_by_status(session)
        weeks = store_browse.feedback_by_week(session, now=now)
        last = next(iter(store.list_runs(session, limit=1)), None)
        unanswered = store_browse.unanswered_since(session, since=store_browse.week_start(now))
        open_items = store_desk.count_open(session)
    return {
        "active": active,
        "target": choose_target(settings, active),
        "counts": counts,
        "weeks": weeks,
        "bars": weekly_bars(weeks),
        "any_feedback": any(w.good or w.bad or w.corrected for w in weeks),
        "last_run": last,
        "next_retrain": stored_jobs(core.engine).get(RETRAIN_JOB),
        "new_examples": new_examples(core, settings.tuning_provider),
        "needed": settings.retrain_min_new_examples,
        "cron": settings.retrain_cron,
        # The review desk's open items, by kind (suggestion, rejected, unanswered).
        "open_items": open_items,
        "open_total": sum(open_items.values()),
        # Questions answered "I don't know" since Monday (`reply.outcome`).
        "unanswered_this_week": unanswered,
    }
