"""Audit: who did what, when, on what — every console action and sign-in, newest first."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.app import Core
from bot.console.http import PER_PAGE, Ctx, page
from bot.db import session_scope
from bot.store import console as store_console


def routes(core: Core) -> list[Route]:
    return [Route("/audit", page(core, listing), methods=["GET"])]


def listing(ctx: Ctx) -> Response:
    number = ctx.page_number
    with session_scope(ctx.core.engine) as session:
        rows = store_console.audit_page(session, offset=(number - 1) * PER_PAGE, limit=PER_PAGE + 1)
    return ctx.render(
        "audit.html", entries=rows[:PER_PAGE], has_next=len(rows) > PER_PAGE, page=number
    )
