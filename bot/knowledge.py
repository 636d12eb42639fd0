"""The accepted examples, kept searchable in memory and in step with the database.

Every answer first calls `refresh()`, which reads only the examples touched
since the last look (an indexed `updated_at` query), so a reviewer's correction
saved by any process is found by the very next question. A row may commit a
little after its timestamp, so the watermark never passes "now minus a few
seconds": rows stamped inside that window are read again until they settle
(assumes transactions, and clock skew between processes, under `OVERLAP`).

A process's first look starts from the index snapshot on disk when there is a
valid one (`bot.index_snapshot`) and reads only what changed since; otherwise it
reads everything and saves a snapshot for the next process.

Two indexes answer together (see `bot.matching`): words (`bot.retrieval`) and,
with an embedder, meaning (`bot.dense`). The first look loads every stored
vector in one read; later looks load (or embed, see `bot.vectors`) only the
examples that changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, MutableMapping, Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Connection, Engine

from bot import example_table, index_snapshot, store, vectors
from bot.dense import DenseIndex
from bot.embeddings import Embedder, EmbeddingError
from bot.example_table import ExampleTable
from bot.matching import Known, fuse
from bot.retrieval import Index
from bot.store import IndexRow
from bot.tables import ExampleStatus, utcnow
from bot.text import normal_form
from bot.vectors import ExampleTexts
from bot.word_vectors import WordVectors

logger = logging.getLogger(__name__)

OVERLAP = timedelta(seconds=5)
COMPACT_AFTER = 2000  # delta size at which folding it into the matrix pays off
QUERY_CACHE = 256  # recent questions' vectors: the prompt and the backend ask alike

__all__ = ["OVERLAP", "Knowledge", "Known"]


def _lexical_text(example: ExampleTexts) -> str:
    return "\n".join((example.question, *example.phrasings))


class Knowledge:
    def __init__(
        self,
        engine: Engine,
        embedder: Embedder | None = None,
        *,
        snapshot: Path | None = None,
        snapshot_min: int = index_snapshot.MIN_EXAMPLES,
    ) -> None:
        self.engine = engine
        self.embedder = embedder
        self.snapshot = snapshot  # where this database's index snapshot lives; None: none
        self.snapshot_min = snapshot_min
        self._restorable = snapshot is not None  # `rebuild` reads the database itself
        self.index = Index()
        self.dense = DenseIndex()
        # A dict, or the snapshot's columns (`bot.example_table`) in a process started from it.
        self.examples: MutableMapping[int, ExampleTexts] = {}
        self.watermark: datetime | None = None
        self.unembedded: set[int] = set()  # accepted, but no vectors yet: found by words only
        self._auto_embed = True  # a refresh embeds a few of those itself
        self._lock = threading.Lock()
        self._began = 0  # when the last finished look at the database began (monotonic ns)
        self._queries: OrderedDict[str, np.ndarray | None] = OrderedDict()
        self._words = WordVectors(embedder) if embedder is not None else None
        # Bumped by every change to what `closest` searches (always under `_lock`), so the
        # prompt and the examples backend, asking the same question, search only once.
        self._generation = 0
        self._last_search: tuple[str, int, int, list[Known]] | None = None

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
            first = index_snapshot.collector_paused() if self.watermark is None else nullcontext()
            with first:  # the first look loads everything at once
                if connection is not None:
                    self._refresh(connection)
                else:
                    with self.engine.begin() as own:  # it may store a few vectors it made
                        self._refresh(own)
            self._began = began  # only once it worked: a failed look serves nobody

    def _refresh(self, connection: Connection) -> None:
        covered = None  # what a snapshot saved after this read will describe
        if self.watermark is None and self.snapshot is not None:
            if self._restorable and self._restore(connection):
                self._recheck_unembedded(connection)
            else:
                covered = index_snapshot.stamp_on(connection)  # before the read: see the module
        first = self.watermark is None
        horizon = utcnow() - OVERLAP
        newest: datetime | None = None
        changed: list[IndexRow] = []
        for example in store.index_rows_on(connection, since=self.watermark):
            stamp = example.updated_at
            newest = stamp if newest is None else max(newest, stamp)
            changed.append(example)
        if first:
            self._load(connection, changed)
        else:
            self._apply(connection, changed)
            if len(self.index.delta.keys) > COMPACT_AFTER:
                self.index.compact()
        if first or changed:
            self._generation += 1
        settled = horizon if newest is None else min(newest, horizon)
        self.watermark = settled if self.watermark is None else max(self.watermark, settled)
        if covered is not None and len(self.examples) >= self.snapshot_min:
            self._save_snapshot(covered)

    # --- the snapshot on disk (bot.index_snapshot) --------------------------
    def _tag(self) -> str | None:
        return self.embedder.tag if self.embedder is not None else None

    def _save_snapshot(self, stamp: index_snapshot.Stamp) -> None:
        assert self.snapshot is not None
        if self.index.delta.keys:
            self.index.compact()
        self.dense.compact()
        state = {
            "embedder": self._tag(),
            "stamp": stamp,
            "watermark": self.watermark,
            "examples": example_table.columns(self.examples),
            "index": self.index,
            "dense": self.dense,
            "unembedded": self.unembedded,
        }
        index_snapshot.save(self.snapshot, state)

    def _restore(self, connection: Connection) -> bool:
        assert self.snapshot is not None
        state = index_snapshot.load(self.snapshot, connection, embedder=self._tag())
        if state is None:
            return False
        self.examples = ExampleTable(state["examples"])
        self.index = state["index"]
        self.dense = state["dense"]
        self.unembedded = state["unembedded"]
        self.watermark = state["watermark"]
        return True

    def _recheck_unembedded(self, connection: Connection) -> None:
        """Vectors stored since the snapshot for examples it had none for (no stamp moves)."""
        if self.embedder is None or not self.unembedded:
            return
        waiting = sorted(self.unembedded)
        stored: dict[int, list[store.VectorRow]] = {key: [] for key in waiting}
        for vector in store.vectors_on(connection, embedder=self.embedder.tag, example_ids=waiting):
            stored[vector.example_id].append(vector)
        for key in waiting:
            example = self.examples.get(key)
            if example is not None and stored[key] and vectors.is_fresh(example, stored[key]):
                self.dense.add(key, vectors.index_rows(stored[key]))
                self.unembedded.discard(key)

    def _load(self, connection: Connection, rows: list[IndexRow]) -> None:
        self.examples = {
            row.id: ExampleTexts(row.id, row.question, row.answer, tuple(row.phrasings))
            for row in rows
            if row.status == ExampleStatus.accepted
        }
        self.index.build((key, _lexical_text(ex)) for key, ex in self.examples.items())
        if self.embedder is None:
            return
        stored = store.vectors_on(connection, embedder=self.embedder.tag)
        keys, columns, missing = vectors.bulk_rows(stored, self.examples)
        self.dense = DenseIndex()
        if len(keys):
            self.dense.build_columns(keys, columns)
        self.unembedded = set(missing)
        self._embed_missing(connection)

    def _apply(self, connection: Connection, rows: list[IndexRow]) -> None:
        fresh: list[ExampleTexts] = []
        for row in rows:
            key = row.id
            if row.status == ExampleStatus.accepted:
                example = ExampleTexts(key, row.question, row.answer, tuple(row.phrasings))
                if self.examples.get(key) != example:
                    self.index.add(key, _lexical_text(example))
                    self.examples[key] = example
                    fresh.append(example)
            elif key in self.examples:
                self.index.remove(key)
                self.dense.remove(key)
                self.unembedded.discard(key)
                del self.examples[key]
        if self.embedder is not None and fresh:
            stored: dict[int, list[store.VectorRow]] = {ex.id: [] for ex in fresh}
            for vector in store.vectors_on(
                connection, embedder=self.embedder.tag, example_ids=list(stored)
            ):
                stored[vector.example_id].append(vector)
            for example in fresh:
                if vectors.is_fresh(example, stored[example.id]):
                    self.dense.add(example.id, vectors.index_rows(stored[example.id]))
                    self.unembedded.discard(example.id)
                else:
                    self.dense.remove(example.id)
                    self.unembedded.add(example.id)
            self._embed_missing(connection)

    def _embed_missing(self, connection: Connection) -> None:
        """Embed a few examples that nobody embedded yet; leave a backlog to `afina embed`."""
        if self.embedder is None or not self.unembedded or not self._auto_embed:
            return
        if len(self.unembedded) > vectors.EMBED_ON_REFRESH:
            logger.warning(
                "%d accepted examples have no vectors from %s yet; they are found by words "
                "only until `afina embed` computes them",
                len(self.unembedded),
                self.embedder.tag,
            )
            return
        todo = [self.examples[key] for key in sorted(self.unembedded) if key in self.examples]
        try:
            made = vectors.store_vectors(connection, self.embedder, todo)
        except EmbeddingError as exc:
            logger.warning("could not embed %d examples: %s", len(todo), exc)
            return
        for key, rows in made.items():
            self.dense.add(key, vectors.index_rows(rows))
            self.unembedded.discard(key)

    def backlog(self) -> int:
        """How many accepted examples lack fresh vectors (a refresh that embeds none itself)."""
        self._auto_embed = False
        try:
            self.refresh()
        finally:
            self._auto_embed = True
        return len(self.unembedded)

    def embed_backlog(self, *, progress: Callable[[int], None] | None = None) -> int:
        """Embed every accepted example still without fresh vectors (`afina embed`); how many.

        Each batch commits on its own, and the examples are stamped as changed so
        every running process loads their new vectors before its next answer.
        """
        if self.embedder is None:
            return 0
        self.backlog()
        with self._lock:
            todo = [self.examples[key] for key in sorted(self.unembedded) if key in self.examples]
        for start in range(0, len(todo), vectors.EMBED_BATCH * 4):
            batch = todo[start : start + vectors.EMBED_BATCH * 4]
            with self.engine.begin() as connection:
                made = vectors.store_vectors(connection, self.embedder, batch, progress=progress)
                store.touch_examples_on(connection, example_ids=list(made))
            with self._lock:
                for key, rows in made.items():
                    self.dense.add(key, vectors.index_rows(rows))
                    self.unembedded.discard(key)
                self._generation += 1
        return len(todo)

    def rebuild(self) -> int:
        """Drop everything and read all accepted examples again; returns how many."""
        with self._lock:
            self._began = 0
            self._generation += 1
            self._restorable = False
            self.index = Index()
            self.dense = DenseIndex()
            self.examples = {}
            self.watermark = None
        self.refresh()
        return len(self.index)

    # --- searching ----------------------------------------------------------
    def query_vector(self, question: str) -> np.ndarray | None:
        """The question's embedding (cached: the prompt and the backend both ask)."""
        if self.embedder is None:
            return None
        if question in self._queries:
            self._queries.move_to_end(question)
            return self._queries[question]
        try:
            vector: np.ndarray | None = self.embedder.queries([question])[0]
        except EmbeddingError as exc:
            logger.warning("could not embed the question, searching by words only: %s", exc)
            vector = None
        self._queries[question] = vector
        while len(self._queries) > QUERY_CACHE:
            self._queries.popitem(last=False)
        return vector

    def scores_of(self, key: int, texts: Sequence[str]) -> list[float] | None:
        """One example's dense score for each text asked as a question (`bot.foreign.lift`)."""
        if not self.has_vectors or self.embedder is None:
            return None
        try:
            matrix = self.embedder.queries(list(texts))
        except EmbeddingError as exc:
            logger.warning("could not embed the question's variants: %s", exc)
            return None
        with self._lock:
            return [self.dense.score(key, vector) for vector in matrix]

    def word_vectors(self, words: Sequence[str]) -> np.ndarray | None:
        """Each word embedded alone (`bot.foreign.translations`); None without an embedder."""
        return self._words.of(words) if self._words is not None else None

    @property
    def has_vectors(self) -> bool:
        """Whether scores are on the dense scale (see `bot.matching.thresholds_for`)."""
        return self.embedder is not None and len(self.dense) > 0

    def closest(self, question: str, *, k: int, min_score: float = 0.0) -> list[Known]:
        """The `k` best accepted examples for a question, best first, by fused score."""
        if k <= 0:
            return []
        with self._lock:
            last = self._last_search
            generation = self._generation
            if last is not None and last[:3] == (question, k, generation):
                return [known for known in last[3] if known.score >= min_score][:k]
        # Words only until some vectors are there (a new embedder before `afina embed`).
        vector = self.query_vector(question) if self.has_vectors else None
        with self._lock:
            lexical = self.index.score_all(question)
            candidates = {hit.key for hit in self.index.top(lexical, k * 4)}
            dense: dict[int, float] = {}
            if vector is not None:
                scan = self.dense.score_all(vector)  # one product serves the top and the rest
                dense = {hit.key: hit.score for hit in scan.top(k * 4)}
                candidates |= dense.keys()
                dense.update({key: scan.of(key) for key in candidates - dense.keys()})
            asked = normal_form(question)
            found = []
            for key in candidates:
                example = self.examples.get(key)
                if example is None:
                    continue
                words = lexical.of(key)
                score = fuse(dense.get(key, 0.0) if vector is not None else None, words)
                exact = any(
                    normal_form(text) == asked for text in (example.question, *example.phrasings)
                )
                found.append(
                    Known(
                        key,
                        example.question,
                        example.answer,
                        score,
                        words,
                        exact,
                        example.phrasings,
                    )
                )
            found.sort(key=lambda known: (-known.score, known.example_id))
            if self._generation == generation:  # else it may have searched without vectors
                self._last_search = (question, k, generation, found)
        return [known for known in found if known.score >= min_score][:k]
