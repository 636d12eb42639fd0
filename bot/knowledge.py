"""The accepted examples, kept searchable in memory and in step with the database.

Every answer first calls `refresh()`, which reads only the examples touched
since the last look (an indexed `updated_at` query), so a reviewer's correction
saved by any process is found by the very next question. A row may commit a
little after its timestamp, so the watermark never passes "now minus a few
seconds": rows stamped inside that window are read again until they settle
(assumes transactions, and clock skew between processes, under `OVERLAP`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from bot import store
from bot.retrieval import Index
from bot.store import IndexRow
from bot.tables import ExampleStatus, utcnow

OVERLAP = timedelta(seconds=5)
COMPACT_AFTER = 2000  # delta size at which folding it into the matrix pays off


@dataclass(frozen=True)
class Known:
    """A retrieved accepted example and how close it is to the question."""

    example_id: int
    question: str
    answer: str
    score: float


class Knowledge:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.index = Index()
        self.answers: dict[int, str] = {}
        self.watermark: datetime | None = None
        self._lock = threading.Lock()
        self._began = 0  # when the last finished look at the database began (monotonic ns)

    def refresh(self, connection: Connection | None = None) -> None:
        """Take in the examples changed since the last look.

        `connection`: one the caller already holds (the responder's, so an answer
        checks out one connection, not two); by default one is taken from the pool.
        """
        asked = time.monotonic_ns()
        with self._lock:
            if self._began > asked:
                # A look that began after this call did has just finished: it saw every
                # row committed before now, so in a burst of questions one read serves all.
                return
            began = time.monotonic_ns()
            if connection is not None:
                self._refresh(connection)
            else:
                with self.engine.connect() as own:
                    self._refresh(own)
            self._began = began  # only once it worked: a failed look serves nobody

    def _refresh(self, connection: Connection) -> None:
        first = self.watermark is None
        horizon = utcnow() - OVERLAP
        newest: datetime | None = None
        accepted: list[tuple[int, str]] = []
        for example in store.index_rows_on(connection, since=self.watermark):
            stamp = example.updated_at
            newest = stamp if newest is None else max(newest, stamp)
            if first:
                if example.status == ExampleStatus.accepted:
                    accepted.append((example.id, example.question))
                    self.answers[example.id] = example.answer
            else:
                self._apply(example)
        if first:
            self.index.build(accepted)
        elif len(self.index.delta.keys) > COMPACT_AFTER:
            self.index.compact()
        settled = horizon if newest is None else min(newest, horizon)
        self.watermark = settled if self.watermark is None else max(self.watermark, settled)

    def _apply(self, example: IndexRow) -> None:
        key = example.id
        if example.status == ExampleStatus.accepted:
            known = self.index.texts.get(key)
            if known != example.question or self.answers.get(key) != example.answer:
                self.index.add(key, example.question)
            self.answers[key] = example.answer
        elif key in self.index.texts:
            self.index.remove(key)
            self.answers.pop(key, None)

    def rebuild(self) -> int:
        """Drop everything and read all accepted examples again; returns how many."""
        with self._lock:
            self._began = 0
            self.index = Index()
            self.answers = {}
            self.watermark = None
        self.refresh()
        return len(self.index)

    def closest(self, question: str, *, k: int, min_score: float = 0.0) -> list[Known]:
        with self._lock:
            hits = self.index.search(question, k)
            return [
                Known(hit.key, self.index.texts[hit.key], self.answers[hit.key], hit.score)
                for hit in hits
                if hit.score >= min_score
            ]
