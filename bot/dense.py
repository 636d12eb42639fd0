"""The accepted examples' vectors, in one contiguous float32 matrix, searched by one product.

Each example has a row per wording of its question (the question, then every
phrasing a reviewer confirmed). A row is the wording's vector plus a little of
the answer's (`ANSWER_WEIGHT`): a question is often answered by words that only
the answer holds ("¿Me conseguís piezas Shimano?"), and since scores are dot
products that mix costs nothing at query time. 100,000 examples take 150 MB
(float32 for BLAS: float16 products in numpy are 20× slower).

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


def mix_in_place(wordings: np.ndarray, answers: np.ndarray, owner: np.ndarray) -> None:
    """`row_vectors` for many examples at once, a slice at a time (no full-size temporaries)."""
    for start in range(0, len(wordings), 8192):
        part = wordings[start : start + 8192]
        part += ANSWER_WEIGHT * answers[owner[start : start + 8192]]
        part *= 1.0 / (1.0 + ANSWER_WEIGHT)


class DenseIndex:
    def __init__(self, dim: int = 0) -> None:
        self.dim = dim
        self._rows = np.zeros((0, dim), dtype=np.float32)
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
        return int(self._rows.nbytes + self._keys.nbytes + self._alive.nbytes)

    def build(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Replace everything with these rows (one key per row, keys may repeat)."""
        self.dim = rows.shape[1] if rows.size else self.dim
        self._rows = np.ascontiguousarray(rows, dtype=np.float32)
        self._keys = np.asarray(keys, dtype=np.int64).copy()
        self._alive = np.ones(len(keys), dtype=bool)
        self._used = len(keys)
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
            self._rows = np.zeros((0, self.dim), dtype=np.float32)
        if rows.shape[1] != self.dim:
            raise ValueError(f"vector of {rows.shape[1]} dimensions in a {self.dim}-d index")
        self._reserve(len(rows))
        start, end = self._used, self._used + len(rows)
        self._rows[start:end] = rows
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
        self.build(self._keys[live], self._rows[live])

    def _reserve(self, extra: int) -> None:
        need = self._used + extra
        if need <= len(self._rows):
            return
        capacity = max(need, int(len(self._rows) * 1.5) + 64)
        rows = np.zeros((capacity, self.dim), dtype=np.float32)
        rows[: self._used] = self._rows[: self._used]
        keys = np.zeros(capacity, dtype=np.int64)
        keys[: self._used] = self._keys[: self._used]
        alive = np.zeros(capacity, dtype=bool)
        alive[: self._used] = self._alive[: self._used]
        self._rows, self._keys, self._alive = rows, keys, alive

    def score(self, key: int, query: np.ndarray) -> float:
        """One example's score: its best row."""
        positions = self._positions.get(key)
        if not positions:
            return 0.0
        return float(np.max(self._rows[positions] @ query.astype(np.float32, copy=False)))

    def search(self, query: np.ndarray, k: int) -> list[DenseHit]:
        """The `k` best examples for a normalised query vector, one hit per example."""
        if k <= 0 or not self._positions or query.shape[-1] != self.dim:
            return []
        scores = self._rows[: self._used] @ query.astype(np.float32, copy=False)
        if self._dead:
            scores[~self._alive[: self._used]] = -np.inf
        # An example may own several rows: take enough rows to find k distinct examples.
        take = min(len(scores), k * 4 + 8)
        top = np.argpartition(-scores, take - 1)[:take] if take < len(scores) else np.arange(take)
        top = top[np.argsort(-scores[top], kind="stable")]
        best: dict[int, float] = {}
        for i in top.tolist():
            if not np.isfinite(scores[i]):
                break
            key = int(self._keys[i])
            if key not in best:
                best[key] = float(scores[i])
                if len(best) == k:
                    break
        return [DenseHit(key, score) for key, score in best.items()]
