"""Fixtures for the Telegram channel: a fake Bot API and the real bot polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import build_core
from bot.config import Settings
from tests.support.demo import with_demo
from tests.support.telegram_server import TOKEN, FakeTelegram
from tests.telegram.harness import REVIEWER, Running, polling


@pytest.fixture
def telegram_settings(make_settings: Any, fake_telegram: FakeTelegram) -> Any:
    """Settings pointing the bot at the fake, with one reviewer; overrides on top."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": TOKEN,
            "telegram_api_url": fake_telegram.api_url,
            "telegram_reviewers": [str(REVIEWER)],
        }
        return make_settings(**(values | overrides))  # type: ignore[no-any-return]

    return make


@pytest.fixture
async def start_bot(telegram_settings: Any, fake_telegram: FakeTelegram) -> AsyncIterator[Any]:
    """`await start_bot(**settings)` runs the bot for the rest of the test."""
    stack: list[Any] = []

    async def start(**overrides: Any) -> Running:
        settings = telegram_settings(**overrides)
        core = build_core(settings)
        with_demo(settings.resolved_database_url)  # a bot with something to say
        context = polling(core, settings, fake_telegram)
        running = await context.__aenter__()
        stack.append((context, core))
        return running

    yield start
    for context, core in reversed(stack):
        await context.__aexit__(None, None, None)
        core.engine.dispose()


@pytest.fixture
async def bot(start_bot: Any) -> Running:
    return await start_bot()  # type: ignore[no-any-return]
