"""Where each answer was posted, written in batches off the answer's path.

An answer is stored before it is posted (its buttons carry the reply id), so the
platform's id for the message (a Slack ts, a Telegram message id) is only known
after the reply's transaction has committed. A transaction of its own for every
answer cost about as much as all the rest of a channel's work on it. Instead the
ids wait here and ride along with the next answer's first transaction; when the
bot is quiet a flush writes them at most `FLUSH_S` later, and at exit.

Lookups by platform id flush first, so this process always finds its own posts.
A crash can lose the last `FLUSH_S` of ids: those answers' buttons still work
(they carry the reply id); only a 👍 reaction on those messages goes unmatched.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine

from bot import store
from bot.db import write_transaction

logger = logging.getLogger(__name__)

FLUSH_S = 0.5


class PostLog:
    """This process's posted-message ids not yet written (one per core, shared by channels)."""

    def __init__(self, engine: Engine, *, flush_s: float = FLUSH_S) -> None:
        self.engine = engine
        self.flush_s = flush_s
        self._pending: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._flusher: threading.Thread | None = None
        atexit.register(_flush_at_exit, weakref.ref(self))

    def add(self, *, reply_id: int, platform_message_id: str) -> None:
        """Note that a reply was posted as this platform message (never blocks on the database)."""
        with self._lock:
            self._pending.append((reply_id, platform_message_id))
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=_flush_every,
                    args=(weakref.ref(self), self.flush_s),
                    name="post-log",
                    daemon=True,
                )
                self._flusher.start()

    @property
    def pending(self) -> int:
        return len(self._pending)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A `write_transaction` that also writes the posts waiting here (kept if it fails)."""
        with self._lock:
            batch, self._pending = self._pending, []
        try:
            with write_transaction(self.engine) as connection:
                store.set_platform_message_ids_on(connection, batch)
                yield connection
        except BaseException:
            with self._lock:
                self._pending[:0] = batch
            raise

    def flush(self) -> None:
        """Write what waits now, in a transaction of its own."""
        if self._pending:
            with self.transaction():
                pass

    def close(self) -> None:
        """Flush on the way out (a stopping server, exit); a failure is logged, never raised."""
        try:
            self.flush()
        except Exception as exc:
            logger.warning("%d answer posts left unrecorded: %s", self.pending, type(exc).__name__)


def _flush_every(log_ref: weakref.ref[PostLog], every_s: float) -> None:
    """The quiet-time flush; ends when its log is gone."""
    while True:
        time.sleep(every_s)
        log = log_ref()
        if log is None:
            return
        try:
            log.flush()
        except Exception as exc:  # kept for the next try; the database may be back by then
            logger.warning("could not record where answers were posted: %s", type(exc).__name__)
        del log


def _flush_at_exit(log_ref: weakref.ref[PostLog]) -> None:
    log = log_ref()
    if log is not None:
        log.close()
