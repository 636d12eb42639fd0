"""The accepted examples' vectors, in one contiguous float32 matrix, searched by one product.

Each example has a row per wording of its question (the question, then every
phrasing a reviewer confirmed). A row is the wording's vector plus a little of
the answer's (`ANSWER_WEIGHT`): a question is often answered by words that only
the answer holds ("¿Me conseguís piezas Shimano?"), and since scores are dot
products that mix costs nothing at query time. 100,000 examples take 150 MB
(float32 for BLAS: float16 products in numpy are 20× slower).

The matrix is stored by dimension (`dim × capacity`, each row vector a column):
the same product then runs as BLAS's `gemv` over columns, which streams the
matrix once with one accumulator per row and measured twice as fast on the
2-core box as over a row-major copy (100,000 rows: ~8 ms against ~16 ms).

The search stays exact, every row scored. A coarse first pass picking candidates
for exact rescoring lost too many of the true top 10 on the bench's isotropic
vectors: sign bits (Hamming) kept 59-91% with 1,000-8,000 candidates of 100,000,
the first 96 or 192 dimensions 45-98%; a finer copy (int8, float16) has no fast
product in numpy, and a second copy beside the float32 one passes 200 MiB.

Rows are appended in place (the matrix grows by half when full) and removed
by masking, so a correction is findable at once; `compact()` drops dead rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ANSWER_WEIGHT = 0.2


@dataclass(frozen=True)
class DenseHit:
    key: int
    score: float


def row_vectors(wordings: np.ndarray, answer: np.ndarray | None) -> np.ndarray:
    """The rows of one example: each wording mixed with its answer, on the cosine scale."""
    if answer is None or not answer.size:
        return wordings.astype(np.float32, copy=False)
    mixed = wordings + ANSWER_WEIGHT * answer[None, :]
    return (mixed / (1.0 + ANSWER_WEIGHT)).astype(np.float32)


def mixed_columns(wordings: np.ndarray, answers: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """`row_vectors` for many examples at once, laid out as the index stores them (dim × rows).

    A slice at a time from the stored float16 vectors, so loading 100,000 examples makes
    one full-size float32 matrix, not three (RSS stays up once Python has held it).
    """
    columns = np.empty((wordings.shape[1], len(wordings)), dtype=np.float32)
    for start in range(0, len(wordings), 8192):
        part = wordings[start : start + 8192].astype(np.float32)
        part += ANSWER_WEIGHT * answers[owner[start : start + 8192]].astype(np.float32)
        part *= 1.0 / (1.0 + ANSWER_WEIGHT)
        columns[:, start : start + 8192] = part.T
    return columns


class DenseIndex:
    def __init__(self, dim: int = 0) -> None:
        self.dim = dim
        self._columns = np.zeros((dim, 0), dtype=np.float32)  # row vector i is column i
        self._keys = np.zeros(0, dtype=np.int64)
        self._alive = np.zeros(0, dtype=bool)
        self._used = 0
        self._dead = 0
        self._positions: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._positions)

    # The index snapshot (`bot.index_snapshot`) pickles this: the arrays load at disk speed, but
    # a dict of 100,000 lists took longer than the arrays, so it is rebuilt from the keys.
    def __getstate__(self) -> dict[str, object]:
        return {name: value for name, value in vars(self).items() if name != "_positions"}

    def __setstate__(self, state: dict[str, object]) -> None:
        vars(self).update(state)
        live = np.flatnonzero(self._alive[: self._used])
        rows, keys = live.tolist(), self._keys[live].tolist()
        # Most examples have one row: built in C, then redone by hand only if a key repeats.
        self._positions = dict(zip(keys, map(list, zip(rows)), strict=True))
        if len(self._positions) < len(keys):
            self._positions = {}
            for i, key in zip(rows, keys, strict=True):
                self._positions.setdefault(key, []).append(i)

    def __contains__(self, key: int) -> bool:
        return key in self._positions

    @property
    def nbytes(self) -> int:
        return int(self._columns.nbytes + self._keys.nbytes + self._alive.nbytes)

    def build(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Replace everything with these rows (one key per row, keys may repeat)."""
        dim = rows.shape[1] if rows.size else self.dim
        columns = np.empty((dim, len(rows)), dtype=np.float32)
        for start in range(0, len(rows), 8192):  # a slice at a time: no second full-size copy
            columns[:, start : start + 8192] = rows[start : start + 8192].T
        self.build_columns(keys, columns)

    def build_columns(self, keys: np.ndarray, columns: np.ndarray) -> None:
        """`build` from the rows already laid out by dimension (`mixed_columns`), not copied."""
        self.dim = columns.shape[0]
        self._columns = columns
        self._keys = np.asarray(keys, dtype=np.int64).copy()
        self._alive = np.ones(len(self._keys), dtype=bool)
        self._used = len(self._keys)
        self._dead = 0
        self._positions = {}
        for i, key in enumerate(self._keys.tolist()):
            self._positions.setdefault(key, []).append(i)

    def add(self, key: int, rows: np.ndarray) -> None:
        """Make one example findable now, replacing its older rows."""
        self.remove(key)
        if not rows.size:
            return
        if not self.dim:
            self.dim = rows.shape[1]
            self._columns = np.zeros((self.dim, 0), dtype=np.float32)
        if rows.shape[1] != self.dim:
            raise ValueError(f"vector of {rows.shape[1]} dimensions in a {self.dim}-d index")
        self._reserve(len(rows))
        start, end = self._used, self._used + len(rows)
        self._columns[:, start:end] = rows.T
        self._keys[start:end] = key
        self._alive[start:end] = True
        self._used = end
        self._positions[key] = list(range(start, end))

    def remove(self, key: int) -> None:
        positions = self._positions.pop(key, None)
        if positions:
            self._alive[positions] = False
            self._dead += len(positions)
            if self._dead > 1000 and self._dead > self._used // 4:
                self.compact()

    def compact(self) -> None:
        live = np.flatnonzero(self._alive[: self._used])
        # `take`, not `[:, live]`: that gives a strided result, and making it contiguous was a
        # second full-size copy.
        self.build_columns(self._keys[live], np.take(self._columns, live, axis=1))

    def _reserve(self, extra: int) -> None:
        need = self._used + extra
        if need <= self._columns.shape[1]:
            return
        capacity = max(need, int(self._columns.shape[1] * 1.5) + 64)
        columns = np.zeros((self.dim, capacity), dtype=np.float32)
        columns[:, : self._used] = self._columns[:, : self._used]
        keys = np.zeros(capacity, dtype=np.int64)
        keys[: self._used] = self._keys[: self._used]
        alive = np.zeros(capacity, dtype=bool)
        alive[: self._used] = self._alive[: self._used]
        self._columns, self._keys, self._alive = columns, keys, alive

    def score(self, key: int, query: np.ndarray) -> float:
        """One example's score: its best row."""
        positions = self._positions.get(key)
        if not positions:
            return 0.0
        return float(np.max(query.astype(np.float32, copy=False) @ self._columns[:, positions]))

    def score_all(self, query: np.ndarray) -> DenseScores:
        """Every row's score for a normalised query vector (what `search` ranks)."""
        if not self._positions or query.shape[-1] != self.dim:
            return DenseScores(self, None)
        # `@`, not `np.dot`: over the used columns of a larger matrix (a strided view),
        # numpy's dot copies the view first; matmul hands it to BLAS as it is.
        scores = query.astype(np.float32, copy=False) @ self._columns[:, : self._used]
        if self._dead:
            scores[~self._alive[: self._used]] = -np.inf
        return DenseScores(self, scores)

    def search(self, query: np.ndarray, k: int) -> list[DenseHit]:
        """The `k` best examples for a normalised query vector, one hit per example."""
        return self.score_all(query).top(k)


@dataclass
class DenseScores:
    """One query's score for every row of the index, read by example."""

    index: DenseIndex
    rows: np.ndarray | None

    def top(self, k: int) -> list[DenseHit]:
        scores = self.rows
        if k <= 0 or scores is None:
            return []
        # An example may own several rows: take enough rows to find k distinct examples.
        take = min(len(scores), k * 4 + 8)
        if take < len(scores):
            top = np.argpartition(scores, len(scores) - take)[len(scores) - take :]
        else:
            top = np.arange(take)
        top = top[np.argsort(-scores[top], kind="stable")]
        keys = self.index._keys
        best: dict[int, float] = {}
        for i in top.tolist():
            if not np.isfinite(scores[i]):
                break
            key = int(keys[i])
            if key not in best:
                best[key] = float(scores[i])
                if len(best) == k:
                    break
        return [DenseHit(key, score) for key, score in best.items()]

    def of(self, key: int) -> float:
        """One example's score (its best row), as `DenseIndex.score` gives it; 0 if absent."""
        positions = self.index._positions.get(key)
        if not positions or self.rows is None:
            return 0.0
        return float(np.max(self.rows[positions]))
