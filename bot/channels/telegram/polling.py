"""Long polling as a worker runs it: the bot on an event loop of its own thread.

The channel's background side: `start` returns once updates are being fetched
(or raises what stopped it, e.g. a token Telegram refuses), `halt` stops fetching,
and `wait` lets the updates already fetched be answered before the loop ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from telegram.ext import Application

from bot.app import Core
from bot.channels.telegram.app import application_for, poll

logger = logging.getLogger(__name__)


class Polling:
    """Telegram long polling on an event loop of its own thread."""

    name = "Telegram long polling"

    def __init__(self, core: Core) -> None:
        self.core = core
        self.failure: BaseException | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._halted = False

    def start(self) -> None:
        application = application_for(self.core)
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._poll(application),), name="telegram", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self.failure is not None:
            raise self.failure

    async def _poll(self, application: Application) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await poll(application, self._stop, on_ready=self._ready.set)
        except BaseException as exc:
            self.failure = exc
            if self._ready.is_set():
                logger.error("Telegram polling stopped: %s", type(exc).__name__)
        else:
            if not self._halted:
                self.failure = RuntimeError("polling ended by itself")
        finally:
            self._ready.set()

    def halt(self) -> None:
        self._halted = True
        if self._loop is None or self._stop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already ended (polling failed)
            self._loop.call_soon_threadsafe(self._stop.set)

    def wait(self, timeout: float) -> bool:
        """Updates already fetched are answered before the loop ends."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()
