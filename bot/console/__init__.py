"""The web console at /console: server-rendered pages for the people who teach the bot.

`routes(core, settings)` is the one thing a process mounts. Pages: Home, Review (the
review desk's items and actions), Unanswered (grouped, answered in place), Examples
(edit, take back), Conversations (with Correct), Import (preview, confirm, undo),
Runs (promote, roll back), Playground and Audit, behind password-less sign-in
(`bot.signin`); each a module of its own, listed in `PAGES`.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.app import Core
from bot.config import Settings
from bot.console import (
    audit,
    conversations,
    examples,
    home,
    imports,
    playground,
    review,
    runs,
    signin_pages,
    unanswered,
)
from bot.console.http import BASE, HERE, SecurityHeaders

PAGES = (
    signin_pages,
    home,
    review,
    unanswered,
    examples,
    conversations,
    imports,
    runs,
    playground,
    audit,
)


def routes(core: Core, settings: Settings) -> BaseRoute:
    """`Mount("/console", …)`: every console page, the sign-in pages and the stylesheet."""
    pages: list[BaseRoute] = [route for module in PAGES for route in module.routes(core)]
    pages.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))
    app = Starlette(routes=pages)
    app.state.brand = settings.brand_name
    return Mount(BASE, app=SecurityHeaders(app))
