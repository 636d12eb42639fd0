"""Finding the accepted examples closest to a question, fast, with no model.

A TF-IDF index over accent-folded words and their 5-letter stems (so `champú`
finds `champu`, and `envíos` meets `envio`), stored as posting lists (a matrix by
column, three numpy arrays; scipy is not needed for that and cost 0.3 s to
import in every process): a query touches only the postings of its own
features, so it costs a few milliseconds over 100,000 examples. Features in more
than `MAX_DF` of the documents are skipped at query time: they carry almost no
weight and would dominate the cost.

The index is built in bulk and then grows by a small *delta* scanned directly,
so a correction helps the very next answer without a rebuild; `compact()`
folds the delta in.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from bot.text import words

MAX_DF = 0.2
STEM = 5
STEM_WEIGHT = 0.5


Features = dict[str, float]


def features(text: str) -> Features:
    """Words plus a crude stem (the first letters) of each longer word."""
    out: defaultdict[str, float] = defaultdict(float)
    for word in words(text):
        out[word] += 1.0
        if len(word) > STEM:
            out["~" + word[:STEM]] += STEM_WEIGHT
    return out


@dataclass(frozen=True)
class Hit:
    key: int
    score: float


@dataclass
class _Delta:
    keys: list[int] = field(default_factory=list)
    vectors: list[dict[int, float]] = field(default_factory=list)


class Index:
    """Cosine similarity over TF-IDF vectors, keyed by example id."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.idf: list[float] = []
        self.df_limit = 0
        self._df = np.zeros(0, dtype=np.int64)
        self.keys = np.zeros(0, dtype=np.int64)
        self.alive = np.zeros(0, dtype=bool)
        self.removed: list[int] = []  # rows of the matrix no longer findable
        self.position: dict[int, int] = {}
        self.matrix: Postings | None = None  # built by `build`
        self.delta = _Delta()
        self.texts: dict[int, str] = {}

    def __len__(self) -> int:
        return int(self.alive.sum()) + len(self.delta.keys)

    # --- building -----------------------------------------------------------
    def build(self, docs: Iterable[tuple[int, str]]) -> None:
        """Replace the index with these (key, text) documents."""
        keys: list[int] = []
        rows: list[Features] = []
        df: Counter[str] = Counter()
        self.texts = {}
        for key, text in docs:
            feats = features(text)
            keys.append(key)
            rows.append(feats)
            df.update(feats.keys())
            self.texts[key] = text
        n = len(keys)
        self.vocab = {term: i for i, term in enumerate(df)}
        self.idf = [math.log((1 + n) / (1 + count)) + 1.0 for count in df.values()]
        self.df_limit = max(50, int(MAX_DF * n))
        self._df = np.fromiter(df.values(), dtype=np.int64, count=len(df))
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for feats in rows:
            vector = self._weigh(feats)
            indices.extend(vector.keys())
            data.extend(vector.values())
            indptr.append(len(indices))
        self.matrix = Postings.of_rows(
            np.asarray(indptr, dtype=np.int64),
            np.asarray(indices, dtype=np.int32),
            np.asarray(data, dtype=np.float32),
            terms=len(self.vocab),
        )
        self.keys = np.asarray(keys, dtype=np.int64)
        self.alive = np.ones(n, dtype=bool)
        self.removed = []
        self.position = {key: i for i, key in enumerate(keys)}
        self.delta = _Delta()

    def _weigh(self, feats: Features, *, grow: bool = False) -> dict[int, float]:
        """TF-IDF weights, L2-normalised; unseen terms get the rarest idf.

        A document (`grow`) adds its unseen terms to the vocabulary. A query's unseen
        terms match nothing but still count in its norm: "anything for curly hair?"
        must score *lower* against "products for men?" because no example knows
        "curly" or "hair", not as if those words had never been typed.
        """
        vector: dict[int, float] = {}
        rare = math.log(1 + len(self.keys) + len(self.delta.keys)) + 1.0
        unseen = 0.0
        for term, tf in feats.items():
            weight = 1.0 + math.log(tf) if tf >= 1 else tf
            idx = self.vocab.get(term)
            if idx is None:
                if not grow:
                    unseen += (weight * rare) ** 2
                    continue
                idx = len(self.vocab)
                self.vocab[term] = idx
                self.idf.append(rare)
            vector[idx] = weight * self.idf[idx]
        norm = math.sqrt(sum(v * v for v in vector.values()) + unseen) or 1.0
        return {i: v / norm for i, v in vector.items()}

    def add(self, key: int, text: str) -> None:
        """Make one document findable now (the delta), replacing an older one with the same key."""
        self.remove(key)
        self.delta.keys.append(key)
        self.delta.vectors.append(self._weigh(features(text), grow=True))
        self.texts[key] = text

    def remove(self, key: int) -> None:
        pos = self.position.pop(key, None)
        if pos is not None:
            self.alive[pos] = False
            self.removed.append(pos)
        if key in self.delta.keys:
            i = self.delta.keys.index(key)
            del self.delta.keys[i]
            del self.delta.vectors[i]
        self.texts.pop(key, None)

    def compact(self) -> None:
        """Fold the delta and removals into a freshly built matrix."""
        self.build(list(self.texts.items()))

    # --- searching ----------------------------------------------------------
    def search(self, text: str, k: int) -> list[Hit]:
        if k <= 0:
            return []
        return self.top(self.score_all(text), k)

    def score_all(self, text: str) -> Scores:
        """Every document's score for this text (what `search` ranks, and `Scores.of` reads)."""
        query = self._weigh(features(text))
        return Scores(self, self._matrix_scores(query), dict(self._search_delta(query)))

    def top(self, scores: Scores, k: int) -> list[Hit]:
        hits = [Hit(key, score) for key, score in scores.delta.items() if score > 0]
        matrix = scores.matrix
        if matrix is not None:
            # Rank only the documents that share a feature: usually a small slice of the index.
            candidates = np.flatnonzero(matrix > 0)
            if len(candidates) > k:
                candidates = candidates[np.argpartition(-matrix[candidates], k - 1)[:k]]
            hits += [Hit(int(self.keys[i]), float(matrix[i])) for i in candidates]
        hits.sort(key=lambda hit: (-hit.score, hit.key))
        return hits[:k]

    def _matrix_scores(self, query: dict[int, float]) -> np.ndarray | None:
        n = len(self.keys)
        if not n or not query or self.matrix is None:
            return None
        indptr, indices, data = self.matrix.indptr, self.matrix.indices, self.matrix.data
        rows: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        for idx, weight in query.items():
            if idx >= len(self._df) or self._df[idx] > self.df_limit:
                continue
            start, end = indptr[idx], indptr[idx + 1]
            rows.append(indices[start:end])
            vals.append(data[start:end] * weight)
        if not rows:
            return None
        scores = np.bincount(np.concatenate(rows), weights=np.concatenate(vals), minlength=n)
        if self.removed:
            scores[self.removed] = 0.0
        return scores

    def _search_delta(self, query: dict[int, float]) -> list[tuple[int, float]]:
        hits = []
        for key, vector in zip(self.delta.keys, self.delta.vectors, strict=True):
            score = sum(weight * vector.get(idx, 0.0) for idx, weight in query.items())
            if score > 0:
                hits.append((key, score))
        return hits


@dataclass(frozen=True)
class Postings:
    """The weights by term: the rows holding term `t` are `indices[indptr[t]:indptr[t + 1]]`,
    in row order, with their weights in `data` (a CSC matrix's three arrays)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @classmethod
    def of_rows(
        cls, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, *, terms: int
    ) -> Postings:
        """From the same by row (CSR: row r holds terms `indices[indptr[r]:indptr[r + 1]]`)."""
        rows = np.repeat(np.arange(len(indptr) - 1, dtype=np.int32), np.diff(indptr))
        order = np.argsort(indices, kind="stable")  # by term; rows stay in order within one
        by_term = np.zeros(terms + 1, dtype=np.int64)
        np.cumsum(np.bincount(indices, minlength=terms), out=by_term[1:])
        return cls(by_term, rows[order], data[order])


@dataclass
class Scores:
    """One query's scores over the whole index: the matrix's as an array, the delta's by key."""

    index: Index
    matrix: np.ndarray | None
    delta: dict[int, float]

    def of(self, key: int) -> float:
        if key in self.delta:
            return self.delta[key]
        position = self.index.position.get(key)
        if position is None or self.matrix is None:
            return 0.0
        return float(self.matrix[position])


class BruteForce:
    """The baseline the bench compares against: the same vectors, every one scored per query."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.vectors = [(key, index._weigh(features(text))) for key, text in index.texts.items()]

    def search(self, text: str, k: int) -> list[Hit]:
        query = self.index._weigh(features(text))
        hits = []
        for key, vector in self.vectors:
            score = sum(weight * vector.get(idx, 0.0) for idx, weight in query.items())
            if score > 0:
                hits.append(Hit(key, score))
        hits.sort(key=lambda hit: (-hit.score, hit.key))
        return hits[:k]
