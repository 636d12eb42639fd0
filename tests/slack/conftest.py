"""Fixtures for the Slack channel: a fake Slack Web API and the real bolt app pointed at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from sqlmodel import Session, select

from bot.app import Core, build_core
from bot.channels.slack import build_slack_app
from bot.channels.slack.answer import Pacing
from bot.config import Settings
from tests.support.demo import with_demo
from tests.support.openai_server import SlowOpenAI
from tests.support.slack_server import BOT_TOKEN, SIGNING_SECRET, FakeSlack, event, signed
from tests.support.slack_socket import FakeSocketMode

# Pacings that make the path deterministic on a busy machine: answers posted whole, or streamed.
WHOLE = Pacing(status_after_s=30.0, hold_s=30.0, flush_chars=10**6)
STREAMED = Pacing(hold_s=0.0, flush_s=0.0, flush_chars=1)


@dataclass
class Bot:
    """The real bolt app on a real database, and the fake Slack it talks to."""

    app: App
    core: Core
    slack: FakeSlack
    settings: Settings
    cores: list[Core] = field(default_factory=list)

    def send(
        self,
        payload: dict[str, Any] | str,
        *,
        retry: int | None = None,
        secret: str = SIGNING_SECRET,
    ) -> BoltResponse:
        """Deliver a request as Slack would: signed; a dict is JSON, a str is a form body."""
        body = json.dumps(payload) if isinstance(payload, dict) else payload
        headers = signed(body, secret)
        if isinstance(payload, str):
            headers["content-type"] = "application/x-www-form-urlencoded"
        if retry is not None:
            headers["x-slack-retry-num"] = str(retry)
            headers["x-slack-retry-reason"] = "http_timeout"
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def deliver(self, inner: dict[str, Any], **kwargs: Any) -> BoltResponse:
        """Deliver one event (wrapped in its envelope); returns bolt's acknowledgement."""
        response = self.send(event(inner, **kwargs))
        assert response.status == 200, response.body
        return response

    def drain(self) -> None:
        """Stop as `afina slack` does: finish every listener, record where answers were posted."""
        self.app.listener_runner.listener_executor.shutdown(wait=True)
        self.core.posts.close()

    def rows(self, model: type) -> list[Any]:
        with Session(self.core.engine) as session:
            return list(session.exec(select(model)).all())


@pytest.fixture
def fake_socket(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    server = FakeSocketMode().start()
    fake_slack.socket_url = server.url
    yield server
    server.stop()


@pytest.fixture
def slow_openai() -> Iterator[SlowOpenAI]:
    server = SlowOpenAI()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def slack_settings(make_settings: Any, fake_slack: FakeSlack) -> Any:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": fake_slack.api_url,
        }
        return make_settings(**(values | overrides))  # type: ignore[no-any-return]

    return make


@pytest.fixture
def start_bot(slack_settings: Any, fake_slack: FakeSlack) -> Iterator[Any]:
    """`start_bot(pacing=..., **settings)` builds the real app; everything is stopped after."""
    started: list[Bot] = []

    def start(pacing: Pacing = WHOLE, **overrides: Any) -> Bot:
        settings = slack_settings(**overrides)
        core = build_core(settings)
        with_demo(settings.resolved_database_url)  # a bot with something to say
        app = build_slack_app(core, settings, pacing=pacing)
        bot = Bot(app, core, fake_slack, settings)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.drain()
        bot.core.engine.dispose()
