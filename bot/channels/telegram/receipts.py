"""A webhook update is acknowledged to Telegram only once the person's message is stored.

Telegram never sends an update again once the webhook answered 200, so a process
killed between that 200 and the question's commit would lose the message. The route
notes each update it queues (`expect`), the handlers say when its message is stored
or the update needed nothing (`done`: after `take` for a question, else once the
handlers are through with it), and the route waits for that, at most `STORE_WAIT_S`,
before it answers. Not stored by then: 503, and Telegram delivers it again (a repeat
of a stored question is dropped while it is answered, or answered late if its process
died). Polling needs none of this: nothing expects a receipt there.
"""

from __future__ import annotations

import asyncio
import threading
import weakref

from telegram.ext import Application

STORE_WAIT_S = 2.0

_Waiting = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class Receipts:
    def __init__(self) -> None:
        self._waiting: dict[int, _Waiting] = {}
        self._lock = threading.Lock()

    def expect(self, update_id: int) -> None:
        """The route queues this update (call on the route's event loop)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._waiting[update_id] = (loop, loop.create_future())

    def done(self, update_id: int) -> None:
        """Its message is stored, or it needed nothing: it may be acknowledged."""
        with self._lock:
            waiting = self._waiting.pop(update_id, None)
        if waiting is not None:
            loop, future = waiting
            loop.call_soon_threadsafe(_settle, future)

    async def stored(self, update_id: int, timeout: float = STORE_WAIT_S) -> bool:
        """Whether the update may be acknowledged (its message stored in time)."""
        with self._lock:
            waiting = self._waiting.get(update_id)
        if waiting is None:
            return True
        try:
            await asyncio.wait_for(asyncio.shield(waiting[1]), timeout)
            return True
        except TimeoutError:
            with self._lock:
                self._waiting.pop(update_id, None)
            return False


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_OF: weakref.WeakKeyDictionary[Application, Receipts] = weakref.WeakKeyDictionary()


def receipts_of(application: Application) -> Receipts:
    """The receipts of one `Application` (its webhook route and handlers share them)."""
    found = _OF.get(application)
    if found is None:
        found = _OF[application] = Receipts()
    return found
