"""A database that stops answering: people are told their message was saved only when it was.

Through the real bolt `App` and the real PTB `Application`. The database goes away
mid-conversation: PostgreSQL behind a proxy that cuts every connection, or SQLite
with another process holding its write lock past the busy timeout. A message that
could not be stored is answered "not saved, send it again" (and its delivery is not
recorded, so Slack's own retry is answered once the database is back); one stored
before the database went away is "saved, I'll answer", and is answered later.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from slack_bolt import BoltRequest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.app import build_core
from bot.channels.slack import build_slack_app
from bot.config import Settings
from bot.errors import NotSaved, SavedNotAnswered
from bot.recovery import SORRY_LATE, couriers, recover
from bot.tables import Question, Reply
from tests.support.openai_server import FakeOpenAI
from tests.support.processes import wait_for
from tests.support.slack_server import BOT_TOKEN, BOT_USER, SIGNING_SECRET, FakeSlack, event, signed
from tests.support.slack_server import message as slack_message
from tests.support.tcp_proxy import TcpProxy
from tests.support.telegram_server import TOKEN, FakeTelegram, message_update, private_chat, user
from tests.telegram.harness import polling

NOT_SAVED = NotSaved().message
SAVED = SavedNotAnswered().message


class Database:
    """The test's database, and a way to make it stop answering."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.proxy: TcpProxy | None = None
        self.lock: sqlite3.Connection | None = None
        parsed = make_url(url)
        if parsed.get_backend_name() == "postgresql":
            self.proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
            self.url = parsed.set(host="127.0.0.1", port=self.proxy.port).render_as_string(
                hide_password=False
            )
        self.path = parsed.database if self.proxy is None else None

    @contextmanager
    def away(self) -> Iterator[None]:
        if self.proxy is not None:
            self.proxy.cut()
        else:
            self.lock = sqlite3.connect(self.path or "", isolation_level=None)
            self.lock.execute("BEGIN IMMEDIATE")  # another process writing, and writing
        try:
            yield
        finally:
            self.back()

    def back(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
        elif self.lock is not None:
            self.lock.execute("ROLLBACK")
            self.lock.close()
            self.lock = None


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    made = Database(database_url)
    build_core(Settings(database_url=made.url)).engine.dispose()  # migrated while it answers
    yield made
    made.back()
    if made.proxy is not None:
        made.proxy.close()


def settings_for(database: Database, **more: Any) -> Settings:
    return Settings(database_url=database.url, sqlite_busy_timeout_s=1, **more)


def slack_dispatch(app: Any, payload: dict[str, Any], retry: int | None = None) -> None:
    body = json.dumps(payload)
    headers = signed(body)
    if retry is not None:
        headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
    assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200


def rows(core: Any, table: type) -> list[Any]:
    with Session(core.engine) as session:
        return list(session.exec(select(table)).all())


def test_slack_says_not_saved_when_the_database_is_away_then_answers_the_retry(
    database: Database, fake_slack: FakeSlack
) -> None:
    settings = settings_for(
        database,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
    )
    core = build_core(settings)
    app = build_slack_app(core)
    asked = event(slack_message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention"))
    inner = asked["event"]
    with database.away():
        slack_dispatch(app, asked)
        fake_slack.wait(lambda: bool(fake_slack.shown(inner["channel"], inner["ts"])), 30)
    [told] = fake_slack.shown(inner["channel"], inner["ts"])
    assert told.text == NOT_SAVED and "not saved" in told.text
    assert rows(core, Question) == []  # nothing was stored, nothing claims it was

    slack_dispatch(app, asked, retry=1)  # Slack tries again; the database is back
    fake_slack.wait_answered(1, timeout=30)
    app.listener_runner.listener_executor.shutdown(wait=True)
    assert len(rows(core, Reply)) == 1
    core.engine.dispose()


def test_slack_says_saved_when_it_was_and_answers_once_the_database_is_back(
    database: Database, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    settings = settings_for(
        database,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        openai_api_key="sk-test",
        openai_base_url=fake_openai.base_url,
        recover_after_s=1,
    )
    core = build_core(settings)
    app = build_slack_app(core)
    asked = event(slack_message(f"<@{BOT_USER}> do you sell refills?", kind="app_mention"))
    inner = asked["event"]
    fake_openai.hold_chat()
    slack_dispatch(app, asked)
    fake_openai.wait_answering(1)  # the question is stored; the model is answering
    with database.away():
        fake_openai.release_chat()
        fake_slack.wait(lambda: bool(fake_slack.shown(inner["channel"], inner["ts"])), 30)
    [told] = fake_slack.shown(inner["channel"], inner["ts"])
    assert told.text == SAVED

    def recovered() -> bool:
        return bool(recover(core, couriers(core)).answered)

    wait_for(recovered, 30, "the question to be answered")
    app.listener_runner.listener_executor.shutdown(wait=True)
    texts = [m.text for m in fake_slack.shown(inner["channel"], inner["ts"])]
    assert texts[:2] == [SAVED, SORRY_LATE] and len(fake_slack.answers()) == 1
    core.engine.dispose()


async def test_telegram_says_not_saved_when_the_database_is_away(
    database: Database, fake_telegram: FakeTelegram
) -> None:
    settings = settings_for(
        database, telegram_bot_token=TOKEN, telegram_api_url=fake_telegram.api_url
    )
    core = build_core(settings)
    async with polling(core, settings, fake_telegram) as bot:
        with database.away():
            fake_telegram.push(message_update(private_chat(42), user(42), "Do you ship?"))
            await bot.until(lambda fake: bool(fake.shown(42)), timeout=30)
            await bot.settle()
        [told] = fake_telegram.shown(42)
        assert told["text"] == NOT_SAVED
    assert rows(core, Question) == []
    core.engine.dispose()
