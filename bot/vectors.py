"""Embedding an example once, storing its vectors, and turning stored ones into index rows.

An example has one vector per text: its question, its answer and every phrasing.
Each carries the hash of its text, so an edited answer or question is embedded
again while the rest is reused. Whoever changes an example embeds it (the
feedback path, an import, `afina embed`); a process that meets an example
without vectors embeds a few itself (`EMBED_ON_REFRESH`) and leaves larger
backlogs to `afina embed`, so answering never stalls behind a bulk job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import numpy as np
from sqlalchemy.engine import Connection

from bot import store
from bot.dense import mixed_columns, row_vectors
from bot.embeddings import Embedder, as_stored, from_blobs, text_hash, to_blob
from bot.store import VectorRow

logger = logging.getLogger(__name__)

EMBED_ON_REFRESH = 64
EMBED_BATCH = 64


class ExampleTexts(NamedTuple):
    """What an accepted example is found by. A named tuple, not a frozen dataclass: a process
    makes 100,000 of them at start (from the database or the index snapshot), and a frozen
    dataclass's constructor costs seven times as much."""

    id: int
    question: str
    answer: str
    phrasings: tuple[str, ...] = ()

    def wanted(self) -> list[tuple[str, int, str]]:
        """(kind, position, text) of every text this example is found by."""
        texts = [("question", 0, self.question), ("answer", 0, self.answer)]
        texts += [("phrasing", i, p) for i, p in enumerate(self.phrasings)]
        return texts


def is_fresh(example: ExampleTexts, stored: Sequence[VectorRow]) -> bool:
    have = {(row.kind, row.position): row.text_hash for row in stored}
    wanted = example.wanted()
    return len(have) == len(wanted) and all(
        have.get((kind, position)) == text_hash(text) for kind, position, text in wanted
    )


def embed(embedder: Embedder, examples: Sequence[ExampleTexts]) -> dict[int, list[VectorRow]]:
    """Every text of these examples embedded as a passage, in one batch."""
    jobs = [(ex.id, kind, pos, text) for ex in examples for kind, pos, text in ex.wanted()]
    matrix = embedder.passages([text for *_, text in jobs])
    out: dict[int, list[VectorRow]] = {ex.id: [] for ex in examples}
    for (example_id, kind, position, text), vector in zip(jobs, matrix, strict=True):
        out[example_id].append(
            VectorRow(example_id, kind, position, text_hash(text), to_blob(vector))
        )
    return out


def store_vectors(
    connection: Connection,
    embedder: Embedder,
    examples: Sequence[ExampleTexts],
    *,
    progress: Callable[[int], None] | None = None,
) -> dict[int, list[VectorRow]]:
    """Embed and store these examples' vectors (replacing stale ones), a batch at a time."""
    done: dict[int, list[VectorRow]] = {}
    for start in range(0, len(examples), EMBED_BATCH):
        batch = examples[start : start + EMBED_BATCH]
        for example_id, rows in embed(embedder, batch).items():
            store.replace_vectors_on(
                connection, example_id=example_id, embedder=embedder.tag, rows=rows
            )
            done[example_id] = rows
        if progress is not None:
            progress(len(batch))
    return done


def index_rows(stored: Sequence[VectorRow]) -> np.ndarray:
    """What the dense index holds for one example: question and phrasings, each with the answer."""
    wordings = [row for row in stored if row.kind != "answer"]
    wordings.sort(key=lambda row: (row.kind != "question", row.position))
    answer = [row for row in stored if row.kind == "answer"]
    matrix = from_blobs([row.vector for row in wordings])
    answer_vector = from_blobs([answer[0].vector])[0] if answer else None
    return row_vectors(matrix, answer_vector)


def bulk_rows(
    stored: Iterable[VectorRow], examples: dict[int, ExampleTexts]
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Index rows for many examples at once: (keys, the rows as the index's columns, that is
    dim × rows, ids of examples lacking fresh vectors).

    One pass over the stored rows and one matrix conversion per kind, so loading
    100,000 examples is a few array operations, not 100,000 small ones.
    """
    by_example: dict[int, list[VectorRow]] = {}
    for row in stored:
        if row.example_id in examples:
            by_example.setdefault(row.example_id, []).append(row)
    missing: list[int] = []
    keys: list[int] = []
    wording_blobs: list[bytes] = []
    answer_of_row: list[int] = []
    answer_blobs: list[bytes] = []
    for example_id, example in examples.items():
        rows = by_example.get(example_id, [])
        if not is_fresh(example, rows):
            missing.append(example_id)
            continue
        rows.sort(key=lambda row: (row.kind == "answer", row.kind != "question", row.position))
        answer_blobs.append(rows[-1].vector)
        for row in rows[:-1]:
            keys.append(example_id)
            wording_blobs.append(row.vector)
            answer_of_row.append(len(answer_blobs) - 1)
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32), missing
    wordings, answers = as_stored(wording_blobs), as_stored(answer_blobs)
    columns = mixed_columns(wordings, answers, np.asarray(answer_of_row))
    return np.asarray(keys, dtype=np.int64), columns, missing
