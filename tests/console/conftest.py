"""The console through Starlette's TestClient: the real app `afina serve` builds, a real
SQLite file (and PostgreSQL where TEST_DATABASE_URL is set), signed in with real links."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from bot.app import Core, build_core
from bot.config import Settings
from bot.signin import console_link
from bot.web import create_app
from tests.support.demo import with_demo

REVIEWER = "slack:UREVIEW"
OTHER_REVIEWER = "telegram:900"
CUSTOMER = "telegram:42"  # not a reviewer: TELEGRAM_REVIEWERS holds only 900


@pytest.fixture
def console_settings(make_settings: Any) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "slack_reviewers": ["UREVIEW"],
            "telegram_reviewers": ["900"],
            "console_url": "http://testserver/console",
        }
        return make_settings(**(values | overrides))  # type: ignore[no-any-return]

    return make


@pytest.fixture
def console_core(console_settings: Callable[..., Settings]) -> Iterator[Core]:
    """The core behind the console, its database holding the demo shop (loaded on purpose,
    as `afina demo` does: a database is never seeded by itself)."""
    core = build_core(console_settings())
    with_demo(core.settings.resolved_database_url)
    yield core
    core.engine.dispose()


@pytest.fixture
def make_client(console_settings: Callable[..., Settings]) -> Iterator[Callable[..., TestClient]]:
    """`make_client(**settings)`: a TestClient on the app `afina serve` runs (lifespan on)."""
    opened: list[TestClient] = []

    def make(base_url: str = "http://testserver", **overrides: Any) -> TestClient:
        client = TestClient(create_app(console_settings(**overrides)), base_url=base_url)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def link_path(link: str) -> str:
    return link.split("testserver", 1)[1]


def follow_link(client: TestClient, link: str, **headers: str) -> Any:
    """Open a sign-in link and press its button, as a person does; the POST's response."""
    path = link_path(link)
    shown = client.get(path, headers=headers)
    assert shown.status_code == 200, shown.text
    check = re.search(r'name="check" value="([^"]+)"', shown.text)
    assert check is not None
    return client.post(
        path, data={"check": check.group(1)}, headers=headers, follow_redirects=False
    )


def sign_in(client: TestClient, core: Core, user: str = REVIEWER) -> None:
    response = follow_link(client, console_link(core, user))
    assert response.status_code == 303 and response.headers["location"] == "/console/"


def csrf_of(client: TestClient, path: str = "/console/") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


@pytest.fixture
def signed_in(client: TestClient, console_core: Core) -> TestClient:
    sign_in(client, console_core)
    return client
