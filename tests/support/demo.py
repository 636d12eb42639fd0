"""Loading the demo brand on purpose, for tests that need a bot with something to say.

A database is never seeded by itself any more (issue 12): tests that want the demo
shop's 48 examples load them the way `afina demo` does, through `bot.demo.load_demo`,
with their vectors, so the bot under test answers at once instead of embedding them
on its first question. The real local model embeds each demo text once per test
process (`Remembering`), and every later database gets the same vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.db import make_engine, migrate, session_scope
from bot.demo import load_demo
from bot.embeddings import LOCAL_TAG, LocalE5


class Remembering:
    """The local embedder, remembering what it embedded (same tag: same vectors)."""

    tag = LOCAL_TAG

    def __init__(self) -> None:
        self.model = LocalE5()
        self.seen: dict[tuple[bool, str], np.ndarray] = {}

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, query=True)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, query=False)

    def _embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if (query, t) not in self.seen]
        if todo:
            made = self.model.queries(todo) if query else self.model.passages(todo)
            self.seen.update({(query, t): v for t, v in zip(todo, made, strict=True)})
        return np.stack([self.seen[(query, t)] for t in texts])


EMBEDDER = Remembering()


def with_demo(database_url: str) -> int:
    """Migrate the database and load the demo examples with their vectors; how many."""
    engine = make_engine(database_url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            return load_demo(session, embedder=EMBEDDER).imported
    finally:
        engine.dispose()
