"""The console's request plumbing: who is asking, in which language, and the page around it.

`page(handler)` makes a Starlette endpoint of a plain, blocking function of a
`Ctx`: it finds the reviewer behind the session cookie (or sends a signed-out
visitor to the sign-in explanation), checks a POST's CSRF token (403 without
it), and runs the handler on a worker thread, since handlers read the database.
Every response carries headers that keep pages out of frames, caches and
referrers, and forbid scripts: the console runs none.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import Core
from bot.console.texts import Texts, texts_for
from bot.signin import Reviewer, reviewer_for

BASE = "/console"
SESSION_COOKIE = "afina_console"
PER_PAGE = 50
HERE = Path(__file__).parent

HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def shown(at: datetime | None) -> str:
    """A timestamp as people read it: `2026-12-01 10:30 UTC`."""
    return "" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"


templates.filters["when"] = shown


@dataclass(frozen=True)
class Upload:
    """A file sent with a form, read whole: its name as the browser gave it, and its bytes
    (`too_big` when it was over CONSOLE_MAX_UPLOAD_MB: then `data` holds only the start)."""

    name: str
    data: bytes
    too_big: bool = False


@dataclass
class Ctx:
    """One request as a handler sees it: the core, the reviewer, the language, the input."""

    request: Request
    core: Core
    reviewer: Reviewer
    t: Texts
    form: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, Upload] = field(default_factory=dict)

    @property
    def user(self) -> str:
        return self.reviewer.user

    def arg(self, name: str, default: str = "") -> str:
        return str(self.request.query_params.get(name, default)).strip()

    def number(self, name: str, default: int = 0) -> int:
        """An integer query parameter; anything else reads as `default`."""
        try:
            return int(self.arg(name, str(default)))
        except ValueError:
            return default

    def path_id(self, name: str = "id") -> int:
        return int(self.request.path_params[name])

    @property
    def page_number(self) -> int:
        return max(1, self.number("page", 1))

    def render(self, template: str, *, status: int = 200, **values: Any) -> Response:
        return render(
            self.request, template, self.t, status=status, reviewer=self.reviewer, **values
        )

    def redirect(self, path: str, **query: object) -> Response:
        return redirect(path, **query)


def render(
    request: Request,
    template: str,
    t: Texts,
    *,
    status: int = 200,
    reviewer: Reviewer | None = None,
    **values: Any,
) -> Response:
    body = templates.get_template(template).render(
        t=t,
        base=BASE,
        path=request.url.path,
        reviewer=reviewer,
        csrf=reviewer.csrf if reviewer else "",
        brand=getattr(request.app.state, "brand", "afina"),
        link=link,
        **values,
    )
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


def redirect(path: str, **query: object) -> Response:
    """303 See Other to a console path (with query parameters), after a form or for sign-in."""
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return RedirectResponse(path + (f"?{urlencode(kept)}" if kept else ""), status_code=303)


def link(path: str, **query: object) -> str:
    """A console URL with its query (empty values left out): pagination and filters."""
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return path + (f"?{urlencode(kept)}" if kept else "")


def page(core: Core, handler: Callable[[Ctx], Response]) -> Callable[[Request], Any]:
    """A Starlette endpoint for a signed-in reviewer's page or action (see module docstring)."""

    async def endpoint(request: Request) -> Response:
        t = texts_for(request.headers.get("accept-language", ""))
        cookie = request.cookies.get(SESSION_COOKIE)
        reviewer = await run_in_threadpool(reviewer_for, core.engine, core.settings, cookie)
        if reviewer is None:
            return redirect(f"{BASE}/signin", why="signed_out" if cookie else "")
        form: Mapping[str, str] = {}
        files: dict[str, Upload] = {}
        if request.method == "POST":
            received = await request.form()
            form = {k: v for k, v in received.items() if isinstance(v, str)}
            if not hmac.compare_digest(form.get("csrf", ""), reviewer.csrf):
                return render(request, "problem.html", t, status=403, reason="csrf")
            limit = int(core.settings.console_max_upload_mb * 1024 * 1024)
            for name, value in received.items():
                if isinstance(value, UploadFile):
                    data = await value.read(limit + 1)
                    files[name] = Upload(value.filename or "", data[:limit], len(data) > limit)
        ctx = Ctx(request, core, reviewer, t, form, files)
        return await run_in_threadpool(handler, ctx)

    return endpoint


def public(handler: Callable[[Request, Texts], Any]) -> Callable[[Request], Any]:
    """An endpoint anyone may reach (the sign-in pages); the handler is async itself."""

    async def endpoint(request: Request) -> Response:
        t = texts_for(request.headers.get("accept-language", ""))
        response: Response = await handler(request, t)
        return response

    return endpoint


def is_https(request: Request, trust_proxy: bool, address: str) -> bool:
    """Whether the browser reached us over HTTPS: the scheme, a trusted proxy's word, or
    a CONSOLE_URL that says so (a TLS proxy we were not told to trust still serves https)."""
    if request.url.scheme == "https" or address.startswith("https://"):
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return trust_proxy and forwarded == "https"


class SecurityHeaders:
    """Pure ASGI: add `HEADERS` to every console response (pages, redirects, static files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in names
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
