"""Password-less sign-in: one-time links, session cookies, sign-out everywhere, CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.app import Core
from bot.errors import BadInput
from bot.signin import console_link, digest
from bot.tables import AuditEntry, ConsoleLink, ConsoleSession, utcnow
from tests.console.conftest import (
    CUSTOMER,
    REVIEWER,
    csrf_of,
    follow_link,
    link_path,
    sign_in,
)
from tests.support.cli import run

PAGES = [
    "/console/",
    "/console/examples",
    "/console/examples/1",
    "/console/conversations",
    "/console/conversations/1",
    "/console/runs",
    "/console/runs/1",
    "/console/playground",
    "/console/audit",
    "/console/review",
    "/console/unanswered",
    "/console/import",
]
ACTIONS = [
    "/console/replies/1/correct",
    "/console/versions/1/promote",
    "/console/rollback",
    "/console/playground",
    "/console/playground/new",
    "/console/signout",
    "/console/examples/1/edit",
    "/console/examples/1/delete",
    "/console/review/1",
    "/console/unanswered",
    "/console/import/preview",
    "/console/import/confirm",
    "/console/import/1/undo",
]


def rows(core: Core, table: type) -> list:
    with Session(core.engine) as session:
        return list(session.exec(select(table)).all())


def test_signed_out_visitors_are_sent_to_the_sign_in_explanation(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/console/signin", path
    for path in ACTIONS:
        response = client.post(path, data={"csrf": "x"}, follow_redirects=False)
        assert response.status_code == 303 and "/console/signin" in response.headers["location"]
    page = client.get("/console/signin")
    assert page.status_code == 200
    assert "afina console-link --user slack:U123" in page.text and "/console" in page.text


def test_a_link_signs_a_reviewer_in_with_a_strict_session_cookie(
    client: TestClient, console_core: Core
) -> None:
    link = console_link(console_core, REVIEWER)
    assert link.startswith("http://testserver/console/link/")
    preview = client.get(link_path(link))  # what a chat app's link preview does
    assert "Sign in" in preview.text and REVIEWER in preview.text
    response = follow_link(client, link)
    assert response.status_code == 303
    cookie = next(h for h in response.headers.get_list("set-cookie") if "afina_console=" in h)
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age", "expires"} <= flags
    assert "samesite=lax" in cookie.lower() and "path=/console" in cookie.lower()
    assert "secure" not in flags  # plain http on localhost: a Secure cookie would be dropped
    home = client.get("/console/")
    assert home.status_code == 200 and REVIEWER in home.text
    # Only hashes are stored: neither the link's secret nor the cookie is in the database.
    secret = link.rsplit("/", 1)[1]
    session_cookie = client.cookies["afina_console"]
    [stored_link] = rows(console_core, ConsoleLink)
    [stored_session] = rows(console_core, ConsoleSession)
    assert stored_link.token_hash == digest(secret) and stored_link.used_at is not None
    assert stored_session.token_hash == digest(session_cookie)
    assert stored_session.user_id == REVIEWER
    actions = [e.action for e in rows(console_core, AuditEntry)]
    assert actions == ["link issued", "signed in"]


def test_a_replayed_link_is_refused(
    make_client: Callable[..., TestClient], console_core: Core
) -> None:
    first, second = make_client(), make_client()
    link = console_link(console_core, REVIEWER)
    sign_in_response = follow_link(first, link)
    assert sign_in_response.status_code == 303
    again = second.get(link_path(link))
    assert again.status_code == 403 and "cannot be used" in again.text
    second.cookies.set("afina_signin", "forged", path="/console/link")
    replay = second.post(link_path(link), data={"check": "forged"}, follow_redirects=False)
    assert replay.status_code == 403
    assert second.get("/console/", follow_redirects=False).status_code == 303
    assert len(rows(console_core, ConsoleSession)) == 1


def test_an_expired_link_is_refused(client: TestClient, console_core: Core) -> None:
    link = console_link(console_core, REVIEWER)
    with Session(console_core.engine) as session:  # the clock moves on past its lifetime
        stored = session.exec(select(ConsoleLink)).one()
        stored.expires_at = utcnow() - timedelta(seconds=1)
        session.add(stored)
        session.commit()
    assert client.get(link_path(link)).status_code == 403
    assert rows(console_core, ConsoleSession) == []


def test_the_link_button_needs_the_cookie_its_page_set(
    client: TestClient, console_core: Core
) -> None:
    """Another site cannot sign a browser in with a link of its own (login CSRF)."""
    link = console_link(console_core, REVIEWER)
    response = client.post(link_path(link), data={"check": "guess"}, follow_redirects=False)
    assert response.status_code == 403
    assert rows(console_core, ConsoleSession) == []
    assert follow_link(client, link).status_code == 303  # the link itself is still good


def test_only_reviewers_get_links_and_a_demoted_reviewer_is_locked_out(
    make_client: Callable[..., TestClient],
    console_core: Core,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(BadInput, match="not a reviewer"):
        console_link(console_core, CUSTOMER)
    refused = run(capsys, "console-link", "--user", CUSTOMER)
    assert refused.code == 1 and "not a reviewer" in refused.err
    printed = run(capsys, "console-link", "--user", REVIEWER)
    assert printed.code == 0 and "/console/link/" in printed.out and "Works once" in printed.out

    client = make_client()
    sign_in(client, console_core)
    assert client.get("/console/").status_code == 200
    demoted = make_client(slack_reviewers=["USOMEONE"])  # the same database, new settings
    demoted.cookies.update(client.cookies)
    assert demoted.get("/console/", follow_redirects=False).status_code == 303
    link = console_link(console_core, REVIEWER)
    assert demoted.get(link_path(link)).status_code == 403  # and no new session either


def test_sign_out_ends_every_session_of_that_reviewer(
    make_client: Callable[..., TestClient], console_core: Core
) -> None:
    phone, laptop, colleague = make_client(), make_client(), make_client()
    sign_in(phone, console_core)
    sign_in(laptop, console_core)
    sign_in(colleague, console_core, "telegram:900")
    response = phone.post("/console/signout", data={"csrf": csrf_of(phone)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("why=ended")
    for device in (phone, laptop):
        assert device.get("/console/", follow_redirects=False).status_code == 303
    assert colleague.get("/console/").status_code == 200
    ended = [s for s in rows(console_core, ConsoleSession) if s.ended_at is not None]
    assert sorted(s.user_id for s in ended) == [REVIEWER, REVIEWER]
    assert "signed out" in [e.action for e in rows(console_core, AuditEntry)]


def test_a_form_without_its_csrf_token_is_refused(
    make_client: Callable[..., TestClient], console_core: Core
) -> None:
    mine, theirs = make_client(), make_client()
    sign_in(mine, console_core)
    sign_in(theirs, console_core, "telegram:900")
    for data in ({}, {"csrf": "wrong"}, {"csrf": csrf_of(theirs)}):
        response = mine.post("/console/playground", data={"question": "hi", **data})
        assert response.status_code == 403, data
        assert "This form has expired" in response.text
    assert mine.post("/console/signout", data={}).status_code == 403
    assert mine.get("/console/").status_code == 200  # still signed in


def test_secure_cookies_over_https_and_behind_a_trusted_proxy(
    make_client: Callable[..., TestClient], console_core: Core
) -> None:
    def cookies(client: TestClient, **headers: str) -> list[str]:
        """Both cookies the sign-in sets (the link page's check, then the session)."""
        path = link_path(console_link(console_core, REVIEWER))
        shown = client.get(path, headers=headers)
        check = re.search(r'name="check" value="([^"]+)"', shown.text)
        assert check is not None
        # Sent by hand: a cookie jar keeps a Secure cookie off a plain-http test URL.
        headers = {**headers, "cookie": f"afina_signin={check.group(1)}"}
        used = client.post(
            path, data={"check": check.group(1)}, headers=headers, follow_redirects=False
        )
        assert used.status_code == 303, used.text
        return [*shown.headers.get_list("set-cookie"), *used.headers.get_list("set-cookie")]

    def secure(found: list[str]) -> list[bool]:
        return [
            "; secure" in c.lower()
            for c in found
            if c.startswith(("afina_signin=", "afina_console=")) and "max-age=0" not in c.lower()
        ]

    assert secure(cookies(make_client(base_url="https://testserver"))) == [True, True]
    proxied = {"x-forwarded-proto": "https"}
    assert secure(cookies(make_client(), **proxied)) == [False, False]  # not told to trust it
    assert secure(cookies(make_client(console_trust_proxy=True), **proxied)) == [True, True]


def test_every_action_refuses_a_form_without_its_token_and_a_demoted_reviewer(
    make_client: Callable[..., TestClient], console_core: Core
) -> None:
    client = make_client()
    sign_in(client, console_core)
    audit = len(rows(console_core, AuditEntry))
    for path in ACTIONS:
        response = client.post(path, data={"text": "x", "do": "approved", "answer": "x"})
        assert response.status_code == 403, path
    assert len(rows(console_core, AuditEntry)) == audit  # nothing was done, nothing written
    demoted = make_client(slack_reviewers=["USOMEONE"])  # the same session, no longer a reviewer
    demoted.cookies.update(client.cookies)
    csrf = csrf_of(client)
    for path in PAGES:
        assert demoted.get(path, follow_redirects=False).status_code == 303, path
    for path in ACTIONS:
        response = demoted.post(path, data={"csrf": csrf}, follow_redirects=False)
        assert response.status_code == 303 and "/console/signin" in response.headers["location"]
    assert len(rows(console_core, AuditEntry)) == audit
