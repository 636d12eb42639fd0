"""`/telegram/webhook`: only Telegram (it knows the secret) gets in; each update answered once,
and acknowledged only once its message is stored."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.app import build_core
from bot.channels.telegram import build_telegram_app, webhook_app
from bot.channels.telegram.webhook import SECRET_HEADER
from bot.tables import Question, QuestionState
from tests.support.telegram_server import FakeTelegram, message_update, private_chat, user
from tests.telegram.harness import CUSTOMER, Running

PUBLIC_URL = "https://bot.example.org/telegram/webhook"
SECRET = "webhook-Secret_42"


async def test_webhook_needs_the_secret_and_answers_each_update_once(
    telegram_settings: Any, fake_telegram: FakeTelegram
) -> None:
    settings = telegram_settings(telegram_webhook_url=PUBLIC_URL, telegram_webhook_secret=SECRET)
    core = build_core(settings)
    application = build_telegram_app(core, settings)
    app = webhook_app(application, settings)
    bot = Running(fake_telegram, core, application)
    update = message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship to the UK?")
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://afina") as client,
    ):
        [registered] = fake_telegram.called("setWebhook")
        assert registered["url"] == PUBLIC_URL and registered["secret_token"] == SECRET
        assert "message_reaction" in registered["allowed_updates"]

        no_secret = await client.post("/telegram/webhook", json=update)
        wrong = await client.post("/telegram/webhook", json=update, headers={SECRET_HEADER: "x"})
        assert (no_secret.status_code, wrong.status_code) == (403, 403)
        await bot.idle()
        assert fake_telegram.sent() == [], "a refused request reaches no handler"

        headers = {SECRET_HEADER: SECRET}
        first = await client.post("/telegram/webhook", json=update, headers=headers)
        assert first.status_code == 200
        await bot.until(lambda fake: len(fake.sent(CUSTOMER)) == 1)
        again = await client.post("/telegram/webhook", json=update, headers=headers)
        assert again.status_code == 200  # acknowledged, so Telegram stops retrying...
        help_update = message_update(private_chat(CUSTOMER), user(CUSTOMER), "/help")
        await client.post("/telegram/webhook", json=help_update, headers=headers)
        await bot.until(lambda fake: len(fake.sent(CUSTOMER)) == 2)
        await bot.idle()
        garbage = await client.post("/telegram/webhook", content=b"{nope", headers=headers)
        assert garbage.status_code == 400

    sent = fake_telegram.sent(CUSTOMER)
    assert sent[0].buttons and "/ask" in sent[1]["text"]  # ...but it is answered only once
    core.engine.dispose()


async def test_an_update_is_acknowledged_only_once_its_message_is_stored(
    telegram_settings: Any, fake_telegram: FakeTelegram
) -> None:
    """A 200 tells Telegram never to send the update again (a process killed after it would
    lose the message), so it comes only once the message is stored; a database too slow
    for that gets a 503, and Telegram's retry is answered once."""
    settings = telegram_settings(
        telegram_webhook_url=PUBLIC_URL, telegram_webhook_secret=SECRET, sqlite_busy_timeout_s=15
    )
    path = make_url(settings.resolved_database_url)
    if path.get_backend_name() != "sqlite" or not path.database:
        pytest.skip("holds SQLite's write lock (PostgreSQL's outages: tests/test_outages.py)")
    core = build_core(settings)
    application = build_telegram_app(core, settings)
    app = webhook_app(application, settings)
    bot = Running(fake_telegram, core, application)
    update = message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship to the UK?")
    headers = {SECRET_HEADER: SECRET}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://afina") as client,
    ):
        lock = sqlite3.connect(path.database, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # another process writing, past the webhook's wait
        try:
            first = await client.post("/telegram/webhook", json=update, headers=headers)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert first.status_code == 503
        again = await client.post("/telegram/webhook", json=update, headers=headers)
        assert again.status_code == 200
        await bot.until(lambda fake: len(fake.sent(CUSTOMER)) >= 1, timeout=30)
        await bot.idle()
    [answer] = fake_telegram.sent(CUSTOMER)
    assert answer.buttons
    assert [q.state for q in bot.rows(Question)] == [QuestionState.posted]
    core.engine.dispose()
