"""A thread pool that a stopping server can drain: work it accepted runs, for a bounded time.

A Slack event is acknowledged (HTTP 200) before its answer is written, and Slack
never sends an acknowledged event again, so an answer still queued when the
server stops would be lost for good. `concurrent.futures.ThreadPoolExecutor`
offers two ways to stop, neither right here: wait for everything without a
limit, or drop what has not started (`cancel_futures`). `DrainingPool.drain`
refuses new work, runs everything already accepted, and gives up after a
deadline, reporting what it left behind. Its threads are daemons so that giving
up really lets the process exit (a ThreadPoolExecutor's threads are joined at
interpreter exit, however long they take).
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Drained:
    """What a drain left behind when its time ran out."""

    running: int  # started, still running (their threads die with the process)
    dropped: int  # accepted but never started

    def __bool__(self) -> bool:
        return bool(self.running or self.dropped)


@dataclass
class _Work:
    future: Future[Any]
    call: Callable[[], Any]


class DrainingPool(Executor):
    """Up to `max_workers` daemon threads, started as work arrives; `drain(timeout)` to stop."""

    def __init__(self, max_workers: int, name: str = "pool") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.name = name
        self._work: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # one token per thread waiting for work
        self._numbers = itertools.count(1)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._unfinished = 0  # accepted and not finished (queued or running)
        self._running = 0
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} pool is draining: no new work")
            self._unfinished += 1
            self._work.put(_Work(future, lambda: fn(*args, **kwargs)))
            # Like ThreadPoolExecutor: reuse a waiting thread, else start one while under the cap.
            if not self._idle.acquire(blocking=False) and len(self._threads) < self.max_workers:
                thread = threading.Thread(
                    target=self._serve, name=f"{self.name}_{next(self._numbers)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return future

    def _serve(self) -> None:
        while True:
            work = self._work.get()
            if work is None:
                return
            if work.future.set_running_or_notify_cancel():
                with self._lock:
                    self._running += 1
                try:
                    result = work.call()
                except BaseException as exc:
                    work.future.set_exception(exc)
                else:
                    work.future.set_result(result)
                with self._lock:
                    self._running -= 1
            with self._lock:
                self._unfinished -= 1
                if not self._unfinished:
                    self._settled.notify_all()
            del work  # drop the call's arguments before waiting for the next one
            self._idle.release()

    @property
    def unfinished(self) -> int:
        """Work accepted and not finished yet: queued or running."""
        with self._lock:
            return self._unfinished

    def drain(self, timeout: float | None) -> Drained:
        """Take no more work; wait up to `timeout` s for all accepted work; drop what is left."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._closed = True
            while self._unfinished:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._settled.wait(left)
            running = self._running
        dropped = self._drop_queued()
        self._stop_threads()
        return Drained(running=running, dropped=dropped)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """`Executor.shutdown`, for callers that expect one (no time limit when waiting)."""
        with self._lock:
            self._closed = True
        if cancel_futures:
            self._drop_queued()
        self._stop_threads()
        if wait:
            with self._lock:
                while self._unfinished:
                    self._settled.wait()

    def _drop_queued(self) -> int:
        """Cancel the work no thread has picked up yet; it will never start now."""
        dropped = 0
        while True:
            try:
                work = self._work.get_nowait()
            except queue.Empty:
                return dropped
            if work is None or not work.future.cancel():
                continue
            dropped += 1
            with self._lock:
                self._unfinished -= 1
                if not self._unfinished:
                    self._settled.notify_all()

    def _stop_threads(self) -> None:
        # Queued after any remaining work: each thread ends once the queue ahead is done.
        for _ in self._threads:
            self._work.put(None)
