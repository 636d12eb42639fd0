"""The accepted examples, kept searchable in memory and in step with the database.

Every answer first calls `refresh()`, which reads only the examples touched
since the last look (an indexed `updated_at` query), so a reviewer's correction
saved by any process is found by the very next question. The watermark is the
time of the last look, stepped back a few seconds because a row may commit a
little after its timestamp (stepping back from the newest row instead would
re-read the last batch of changes, e.g. a whole import, on every answer).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import store
from bot.retrieval import Index
from bot.tables import Example, ExampleStatus, utcnow

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

    def refresh(self) -> None:
        with self._lock, Session(self.engine) as session:
            looked_at = utcnow()
            first = self.watermark is None
            newest = self.watermark
            accepted: list[tuple[int, str]] = []
            for example in store.examples_changed_since(session, since=self.watermark):
                newest = example.updated_at if newest is None else max(newest, example.updated_at)
                if first:
                    if example.status == ExampleStatus.accepted:
                        accepted.append((example.id or 0, example.question))
                        self.answers[example.id or 0] = example.answer
                else:
                    self._apply(example)
            if first:
                self.index.build(accepted)
            elif len(self.index.delta.keys) > COMPACT_AFTER:
                self.index.compact()
            if newest is not None:
                self.watermark = max(newest, looked_at) - OVERLAP

    def _apply(self, example: Example) -> None:
        key = example.id or 0
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
