"""Long polling that confirms an update to Telegram only once its message is stored.

Telegram forgets an update once a later `getUpdates` asks from past it (`offset`).
PTB's own `Updater` asks again as soon as it has queued a batch, so a process killed
before the batch's questions were stored would lose them for good. Here a batch is
queued, then the next `getUpdates` waits until every update in it is stored or
needed nothing (`Receipts`: the handlers say so, as for the webhook's 200), and the
offset moves past those only. An update not stored within `HOLD_S` is fetched
again (the repeat of a question stored meanwhile is caught as one); a process
killed in between leaves its unconfirmed updates to the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Sequence
from typing import TypeVar

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.channels.telegram.answering import retry_after_s
from bot.channels.telegram.receipts import receipts_of

logger = logging.getLogger(__name__)

POLL_S = 10  # how long one getUpdates waits for an update (Telegram's long poll)
HOLD_S = 30.0  # most an update may take to be stored before it is fetched again
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0)  # waits after a failed getUpdates, then the last

T = TypeVar("T")


async def fetch(
    application: Application, stop: asyncio.Event, *, allowed_updates: Sequence[str]
) -> None:
    """Hand Telegram's updates to `application` until `stop` is set, confirming each one
    (the next call's offset) only once it is stored."""
    bot, receipts = application.bot, receipts_of(application)
    offset, failures = 0, 0
    while not stop.is_set():
        try:
            updates = await _unless_stopped(
                bot.get_updates(
                    offset=offset or None, timeout=POLL_S, allowed_updates=list(allowed_updates)
                ),
                stop,
            )
        except InvalidToken:
            raise
        except RetryAfter as exc:
            await _pause(stop, retry_after_s(exc.retry_after))
            continue
        except TelegramError as exc:  # the network, a 5xx, a webhook set meanwhile (409)
            wait = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
            failures += 1
            logger.warning("fetching Telegram updates failed (%s); again in %g s", exc, wait)
            await _pause(stop, wait)
            continue
        if updates is None:
            break
        failures = 0
        for update in updates:
            receipts.expect(update.update_id)
            await application.update_queue.put(update)
        offset = await confirmable(application, updates, offset)
    if offset:  # what is stored need not come back to the next process
        with contextlib.suppress(TelegramError):
            await bot.get_updates(offset=offset, timeout=0, allowed_updates=list(allowed_updates))


async def confirmable(
    application: Application, updates: Sequence[Update], offset: int, hold_s: float = HOLD_S
) -> int:
    """The offset that confirms the updates of this batch that are stored, in order."""
    receipts = receipts_of(application)
    for update in updates:
        if not await receipts.stored(update.update_id, hold_s):
            logger.warning(
                "Telegram update %s was not stored within %g s; it is fetched again",
                update.update_id,
                hold_s,
            )
            return update.update_id
        offset = update.update_id + 1
    return offset


async def _unless_stopped(call: Awaitable[T], stop: asyncio.Event) -> T | None:
    """`call`'s result, or None when `stop` is set first (the call is then cancelled: what
    it would have fetched stays unconfirmed, for the next process)."""
    calling = asyncio.ensure_future(call)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({calling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if calling.done():
        return calling.result()
    calling.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError):
        await calling
    return None


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
