"""The desk's loop, a part of the worker: every DESK_POLL_INTERVAL_S, do what is owed.

Cards of new items, announcements of runs that ended, answers to hand back, cards
to update: `Desk.tick` reads all of it from the database and claims each before
acting, so every worker may run this loop (and a web process or a CLI command may
post beside it) without anything going out twice.
"""

from __future__ import annotations

import logging
import threading

from bot.app import Core

logger = logging.getLogger(__name__)


class DeskLoop:
    """`Desk.tick` on a thread of its own, until halted."""

    name = "review desk"

    def __init__(self, core: Core) -> None:
        self.core = core
        self.failure: BaseException | None = None  # a failing tick is logged, never fatal
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="desk", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        interval = self.core.settings.desk_poll_interval_s
        while not self._stop.is_set():
            try:
                self.core.desk.tick()
            except Exception:
                logger.exception("the review desk's round failed; trying again shortly")
            self._stop.wait(interval)

    def halt(self) -> None:
        self._stop.set()

    def wait(self, timeout: float) -> bool:
        """Let a round in flight end (a post in flight is claimed and finishes)."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()
