"""Sign-in pages: how to get a link, using a link, signing out.

Opening a link only shows a "Sign in as …" button; pressing it (a POST) uses the
link. Chat apps and mail scanners open links to preview them, and a preview must
not spend a one-time link. The button's form carries a value that is also set as
a short-lived cookie on that page (double submit), so another site cannot sign a
browser in with a link of its own choosing.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.app import Core
from bot.console.http import BASE, SESSION_COOKIE, Ctx, is_https, page, public, redirect, render
from bot.console.texts import Texts
from bot.signin import Refused, link_holder, sign_in, sign_out

CHECK_COOKIE = "afina_signin"
LINK_PATH = f"{BASE}/link"
WHY = {"signed_out", "ended"}


def routes(core: Core) -> list[Route]:
    settings = core.settings

    def secure(request: Request) -> bool:
        return is_https(request, settings.console_trust_proxy, settings.console_address)

    async def explain(request: Request, t: Texts) -> Response:
        why = request.query_params.get("why", "")
        minutes = max(1, settings.console_link_ttl_s // 60)
        return render(
            request, "signin.html", t, why=why if why in WHY else "", link_minutes=minutes
        )

    async def show_link(request: Request, t: Texts) -> Response:
        secret = request.path_params["secret"]
        try:
            user = await run_in_threadpool(link_holder, core.engine, settings, secret)
        except Refused as refused:
            return render(request, "problem.html", t, status=403, reason=refused.message)
        check = secrets.token_urlsafe(16)
        response = render(request, "link.html", t, user=user, check=check)
        response.set_cookie(
            CHECK_COOKIE,
            check,
            max_age=settings.console_link_ttl_s,
            path=LINK_PATH,
            secure=secure(request),
            httponly=True,
            samesite="strict",
        )
        return response

    async def use_link(request: Request, t: Texts) -> Response:
        form = await request.form()
        sent, kept = str(form.get("check", "")), request.cookies.get(CHECK_COOKIE, "")
        if not kept or not hmac.compare_digest(sent, kept):
            return render(request, "problem.html", t, status=403, reason="csrf")
        secret = request.path_params["secret"]
        try:
            signed = await run_in_threadpool(sign_in, core.engine, settings, secret)
        except Refused as refused:
            return render(request, "problem.html", t, status=403, reason=refused.message)
        response = redirect(f"{BASE}/")
        response.set_cookie(
            SESSION_COOKIE,
            signed.cookie,
            max_age=settings.console_session_ttl_s,
            expires=signed.expires_at,
            path=BASE,
            secure=secure(request),
            httponly=True,
            samesite="lax",
        )
        response.delete_cookie(CHECK_COOKIE, path=LINK_PATH)
        return response

    def leave(ctx: Ctx) -> Response:
        sign_out(ctx.core.engine, ctx.user)
        response = redirect(f"{BASE}/signin", why="ended")
        response.delete_cookie(SESSION_COOKIE, path=BASE)
        return response

    return [
        Route("/signin", public(explain), methods=["GET"]),
        Route("/link/{secret}", public(show_link), methods=["GET"]),
        Route("/link/{secret}", public(use_link), methods=["POST"]),
        Route("/signout", page(core, leave), methods=["POST"]),
    ]
