"""Small delayed jobs (the "is thinking…" status) on one thread, not a timer thread per answer.

In a burst of questions a `threading.Timer` each would start a thread per answer
only to cancel most of them; here one thread keeps a heap of due times and hands
each job that is still wanted to the app's worker pool when it falls due.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

Job = Callable[[], None]


class Later:
    def __init__(self, run: Callable[[Job], Any]) -> None:
        self._run = run  # e.g. an executor's submit
        self._due: list[tuple[float, int, Job]] = []
        self._waiting: set[int] = set()  # handles neither run nor cancelled yet
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def call_later(self, delay_s: float, job: Job) -> int:
        """Run `job` in `delay_s` seconds unless cancelled first; returns its handle."""
        handle = next(self._order)
        with self._changed:
            heapq.heappush(self._due, (time.monotonic() + delay_s, handle, job))
            self._waiting.add(handle)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="slack-later", daemon=True)
                self._thread.start()
            self._changed.notify()
        return handle

    def cancel(self, handle: int) -> None:
        with self._changed:
            self._waiting.discard(handle)

    def _loop(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._changed.wait(wait)
                _, handle, job = heapq.heappop(self._due)
                if handle not in self._waiting:
                    continue  # cancelled
                self._waiting.discard(handle)
            try:
                self._run(job)
            except RuntimeError:  # the pool is shutting down: nobody waits for a status now
                logger.debug("dropped a delayed job at shutdown")
