"""The review desk end to end: the real bolt App and the real PTB Application on one
database, against the fake Slack and the fake Bot API, with the desk's round run as the
worker runs it (`Desk.tick`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from sqlmodel import Session, select

from bot.app import Core, build_core
from bot.channels.slack import build_slack_app
from bot.config import Settings
from tests.slack.conftest import WHOLE
from tests.support.demo import with_demo
from tests.support.slack_server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    Shown,
    block_action,
    signed,
    view_submission,
)
from tests.support.telegram_server import (
    TOKEN,
    FakeTelegram,
    bot_message,
    message_update,
    private_chat,
    user,
)
from tests.telegram.harness import REVIEWER, Running, polling
from tests.telegram.test_feedback import press

DESK = "C0REVIEW"  # the review channel's id
SLACK_REVIEWER = "U0REV"
STRANGER = "U0ANA"  # in the workspace, not a reviewer


@dataclass
class Desk:
    """A customer-facing Telegram bot and the team's Slack, sharing one core and database."""

    core: Core
    slack: FakeSlack
    telegram: Running
    app: App

    @property
    def fake(self) -> FakeTelegram:
        return self.telegram.fake

    async def tick(self) -> int:
        """One round of the desk's loop (what `afina worker` runs every few seconds)."""
        return await asyncio.to_thread(self.core.desk.tick)

    async def ask(self, chat_id: int, text: str) -> tuple[int, Any]:
        """A Telegram customer asks in their private chat: the question's message id, and
        the bot's answer."""
        before = len(self.fake.sent(chat_id))
        update = message_update(private_chat(chat_id), user(chat_id), text)
        self.fake.push(update)
        sent = await self.telegram.answer_in(chat_id, before + 1)
        return int(update["message"]["message_id"]), sent[-1]

    async def rate(self, chat_id: int, answer: Any, label: str) -> None:
        """The customer presses 👎 (or ✏️) under the bot's answer in Telegram."""
        before = len(self.fake.called("answerCallbackQuery"))
        self.fake.push(press(private_chat(chat_id), chat_id, answer, label))
        await self.telegram.until(lambda fake: len(fake.called("answerCallbackQuery")) > before)
        await self.telegram.settle()

    async def suggest(self, chat_id: int, answer: Any, text: str) -> None:
        """The customer presses ✏️ and replies to the prompt with their correction."""
        before = len(self.fake.sent(chat_id))
        await self.rate(chat_id, answer, "✏️")
        prompt = (await self.telegram.answer_in(chat_id, before + 1))[-1]
        chat = private_chat(chat_id)
        reply_to = bot_message(chat, prompt.message_id, prompt["text"])
        self.fake.push(message_update(chat, user(chat_id), text, reply_to=reply_to))
        await self.telegram.answer_in(chat_id, before + 2)

    def cards(self) -> list[Shown]:
        return [m for m in self.slack.shown(DESK) if m.thread_ts is None]

    async def press(self, card: Shown, label: str, who: str = SLACK_REVIEWER) -> None:
        """Press one of a desk card's buttons in Slack, as `who`."""
        element = next(
            e
            for b in card.blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["text"]["text"] == label
        )
        action = {
            "type": "button",
            "action_id": element["action_id"],
            "block_id": "b",
            "value": element["value"],
            "action_ts": "1700000000.1",
        }
        body = block_action(
            action, user=who, channel=card.channel, message_ts=card.ts, thread_ts=None
        )
        await self.send(body)

    async def submit(self, view: dict[str, Any], text: str, who: str = SLACK_REVIEWER) -> None:
        await self.send(view_submission(view, user=who, text=text))

    async def send(self, body: str) -> None:
        headers = signed(body, SIGNING_SECRET) | {
            "content-type": "application/x-www-form-urlencoded"
        }
        response = await asyncio.to_thread(
            self.app.dispatch, BoltRequest(body=body, headers=headers)
        )
        assert response.status == 200, response.body

    async def until_slack(self, ready: Any, timeout: float = 15.0) -> None:
        await asyncio.to_thread(self.slack.wait, ready, timeout)

    async def modal(self, count: int = 1) -> dict[str, Any]:
        await self.until_slack(lambda: len(self.slack.calls("views.open")) >= count)
        view: dict[str, Any] = self.slack.calls("views.open")[-1].args["view"]
        return view

    def rows(self, table: type) -> list[Any]:
        with Session(self.core.engine) as session:
            return list(session.exec(select(table)).all())


def card_text(card: Shown) -> str:
    return json.dumps(card.blocks, ensure_ascii=False)


def labels(card: Shown) -> list[str]:
    """The buttons a card shows now."""
    return [e["text"]["text"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.fixture
def desk_settings(make_settings: Any, fake_slack: FakeSlack, fake_telegram: FakeTelegram) -> Any:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": fake_slack.api_url,
            "slack_reviewers": [SLACK_REVIEWER],
            "slack_review_channel": DESK,
            "telegram_bot_token": TOKEN,
            "telegram_api_url": fake_telegram.api_url,
            "telegram_reviewers": [str(REVIEWER)],
        }
        return make_settings(**(values | overrides))  # type: ignore[no-any-return]

    return make


@pytest.fixture
async def start_desk(
    desk_settings: Any, fake_slack: FakeSlack, fake_telegram: FakeTelegram
) -> AsyncIterator[Any]:
    stack: list[tuple[Any, Core, App]] = []

    async def start(**overrides: Any) -> Desk:
        settings = desk_settings(**overrides)
        core = build_core(settings)
        with_demo(settings.resolved_database_url)
        app = build_slack_app(core, settings, pacing=WHOLE)
        context = polling(core, settings, fake_telegram)
        running = await context.__aenter__()
        stack.append((context, core, app))
        return Desk(core, fake_slack, running, app)

    yield start
    for context, core, app in reversed(stack):
        await context.__aexit__(None, None, None)
        app.listener_runner.listener_executor.shutdown(wait=True)
        core.posts.close()
        core.engine.dispose()


@pytest.fixture
async def desk(start_desk: Any) -> Desk:
    return await start_desk()  # type: ignore[no-any-return]
