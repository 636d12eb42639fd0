"""Running the real Telegram `Application` against the fake Bot API, from async tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from bot.app import Core
from bot.channels.telegram import build_telegram_app
from bot.channels.telegram.app import poll
from bot.config import Settings
from tests.support.telegram_server import Call, FakeTelegram

REVIEWER = 900
CUSTOMER = 42


@dataclass
class Running:
    fake: FakeTelegram
    core: Core
    application: Any

    async def until(self, predicate: Callable[[FakeTelegram], bool], timeout: float = 10) -> None:
        """Wait (without blocking the bot's loop) until the fake has seen what we expect."""
        if not await asyncio.to_thread(self.fake.wait_until, predicate, timeout):
            methods = [c.method for c in self.fake.called() if c.method != "getUpdates"]
            raise AssertionError(f"timed out; the bot called {methods}")

    async def answer_in(self, chat_id: int, count: int = 1) -> list[Call]:
        """Wait for `count` messages in a chat, and for the bot to finish; returns them all."""
        await self.until(lambda fake: len(fake.sent(chat_id)) >= count)
        await self.settle()
        return self.fake.sent(chat_id)

    async def settle(self) -> None:
        """Let every update pushed so far be fetched and fully handled."""
        await self.until(lambda fake: fake.delivered())
        await self.idle()

    async def idle(self) -> None:
        """Wait until no update is queued or being handled (a few looks in a row)."""
        quiet = 0
        for _ in range(1000):
            quiet = quiet + 1 if not _busy(self.application) else 0
            if quiet == 3:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the bot is still busy")

    def rows(self, table: type) -> list[Any]:
        with Session(self.core.engine) as session:
            return list(session.exec(select(table)).all())


def _busy(application: Any) -> bool:
    processing = application.update_processor.current_concurrent_updates
    return bool(application.update_queue.qsize() or processing)


@asynccontextmanager
async def polling(core: Core, settings: Settings, fake: FakeTelegram) -> AsyncIterator[Running]:
    """`afina telegram`'s polling loop, in this test's event loop."""
    application = build_telegram_app(core, settings)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(poll(application, stop, on_ready=ready.set))
    for _ in range(500):
        if task.done():
            task.result()  # raise what went wrong at start
        if ready.is_set():
            break
        await asyncio.sleep(0.01)
    try:
        yield Running(fake, core, application)
    finally:
        stop.set()
        await task
