"""Signing reviewers in to the web console without passwords.

- A reviewer asks for a link (`afina console-link`, `/console` on Telegram, a button in
  Slack's App Home, all through `console_link`). The link holds a random secret, valid
  for CONSOLE_LINK_TTL_S and usable once; only its SHA-256 is stored.
- Using the link opens a session: another random secret, the browser's cookie, valid
  for CONSOLE_SESSION_TTL_S; again only its hash is stored. Signing out ends every
  session of that reviewer, on every device.
- Each request re-checks that the person is still a reviewer (`bot.identity`), so
  taking someone off SLACK_REVIEWERS locks them out at once.
- A form's CSRF token is derived from the session's secret (an HMAC), so it is per
  session, needs no storage, and cannot be computed without the cookie.

Nothing here knows HTTP; `bot.console` turns these into cookies and pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot.app import Core
from bot.config import Settings
from bot.db import session_scope
from bot.errors import AfinaError, BadInput
from bot.identity import is_reviewer, parse_identity
from bot.store import console as store_console
from bot.tables import utcnow

LINK_PATH = "/link/"  # a link is CONSOLE_URL + LINK_PATH + secret


class Refused(AfinaError):
    """A link or session that cannot sign anyone in; `message` says why, for the page."""


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie's value and when it stops working."""

    user: str
    cookie: str
    expires_at: datetime


@dataclass(frozen=True)
class Reviewer:
    """Who is behind a request's cookie, with the CSRF token their forms must carry."""

    user: str
    csrf: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(cookie: str) -> str:
    """The CSRF token of the session behind `cookie` (see the module docstring)."""
    return hmac.new(cookie.encode(), b"afina-console-csrf", hashlib.sha256).hexdigest()[:40]


def console_link(core: Core, user: str) -> str:
    """A one-time sign-in link for a reviewer (`slack:U123`); `BadInput` for anyone else."""
    return issue_link(core.engine, core.settings, user)


def issue_link(engine: Engine, settings: Settings, user: str) -> str:
    parse_identity(user)
    if not is_reviewer(user, settings):
        raise BadInput(f"{user} is not a reviewer: only reviewers can open the console.")
    secret = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(seconds=settings.console_link_ttl_s)
    with session_scope(engine) as session:
        store_console.add_link(session, token_hash=digest(secret), user_id=user, expires_at=expires)
        store_console.add_audit(session, user_id=user, action="link issued")
    return f"{settings.console_address}{LINK_PATH}{secret}"


def link_holder(engine: Engine, settings: Settings, secret: str) -> str:
    """Whom an unused, unexpired link would sign in (without using it); `Refused` otherwise."""
    with session_scope(engine) as session:
        link = store_console.find_link(session, token_hash=digest(secret))
        if link is None or link.used_at is not None or link.expires_at <= utcnow():
            raise Refused("used")
    if not is_reviewer(link.user_id, settings):
        raise Refused("not_reviewer")
    return link.user_id


def sign_in(engine: Engine, settings: Settings, secret: str) -> SignedIn:
    """Use a link, once, and open a session for its reviewer; `Refused` with a reason key."""
    now = utcnow()
    with session_scope(engine) as session:
        link = store_console.find_link(session, token_hash=digest(secret))
        if link is None or not store_console.use_link(session, token_hash=link.token_hash, now=now):
            raise Refused("used")
        if not is_reviewer(link.user_id, settings):
            raise Refused("not_reviewer")
        cookie = secrets.token_urlsafe(32)
        expires = now + timedelta(seconds=settings.console_session_ttl_s)
        store_console.add_session(
            session, token_hash=digest(cookie), user_id=link.user_id, expires_at=expires
        )
        store_console.add_audit(session, user_id=link.user_id, action="signed in")
    return SignedIn(link.user_id, cookie, expires)


def reviewer_for(engine: Engine, settings: Settings, cookie: str | None) -> Reviewer | None:
    """The reviewer whose live session this cookie is, or None (signed out, expired, demoted)."""
    if not cookie:
        return None
    with session_scope(engine) as session:
        found = store_console.live_session(session, token_hash=digest(cookie), now=utcnow())
    if found is None or not is_reviewer(found.user_id, settings):
        return None
    return Reviewer(found.user_id, csrf_token(cookie))


def sign_out(engine: Engine, user: str) -> int:
    """End every session of `user`; how many were open."""
    with session_scope(engine) as session:
        ended = store_console.end_sessions(session, user_id=user)
        store_console.add_audit(
            session, user_id=user, action="signed out", detail=f"{ended} session(s) ended"
        )
    return ended
