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
# A job may run this much after its time, so that jobs due close together (most of them
# cancelled) cost one wake-up rather than one each.
LATE_S = 0.02


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
        due = time.monotonic() + delay_s
        with self._changed:
            # Wake the thread only when this job is due before everything it waits for: jobs
            # come with the same delay, so in a stream of answers that is almost never, and
            # a wake-up per answer cost more than the rest of keeping the status.
            sooner = not self._due or due < self._due[0][0]
            heapq.heappush(self._due, (due, handle, job))
            self._waiting.add(handle)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="slack-later", daemon=True)
                self._thread.start()
            elif sooner:
                self._changed.notify()
        return handle

    def cancel(self, handle: int) -> None:
        with self._changed:
            self._waiting.discard(handle)

    def _loop(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    wait = self._due[0][0] - time.monotonic() + LATE_S if self._due else None
                    self._changed.wait(wait)
                due: list[Job] = []  # everything due by now: one wake-up for a run of jobs
                while self._due and self._due[0][0] <= time.monotonic():
                    _, handle, job = heapq.heappop(self._due)
                    if handle in self._waiting:  # else cancelled
                        self._waiting.discard(handle)
                        due.append(job)
            for job in due:
                try:
                    self._run(job)
                except RuntimeError:  # the pool is shutting down: nobody waits for a status now
                    logger.debug("dropped a delayed job at shutdown")
