"""The dense index gives what scoring every row by hand gives, through adds, removals and growth."""

from __future__ import annotations

import pickle

import numpy as np

from bot.dense import DenseIndex, mixed_columns, row_vectors


def unit(rng: np.random.Generator, n: int, dim: int = 32) -> np.ndarray:
    matrix = rng.standard_normal((n, dim)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def by_hand(rows: dict[int, np.ndarray], query: np.ndarray, k: int) -> list[tuple[int, float]]:
    best = {key: float(np.max(matrix.astype(np.float64) @ query)) for key, matrix in rows.items()}
    return sorted(best.items(), key=lambda item: -item[1])[:k]


def assert_same(index: DenseIndex, rows: dict[int, np.ndarray], query: np.ndarray) -> None:
    found = [(hit.key, hit.score) for hit in index.search(query, 10)]
    expected = by_hand(rows, query, 10)
    assert [key for key, _ in found] == [key for key, _ in expected]
    np.testing.assert_allclose([s for _, s in found], [s for _, s in expected], atol=1e-5)
    scan = index.score_all(query)
    for key in list(rows)[:20]:
        assert abs(scan.of(key) - index.score(key, query)) < 1e-6  # two BLAS kernels
        assert abs(index.score(key, query) - by_hand({key: rows[key]}, query, 1)[0][1]) < 1e-5


def test_search_matches_brute_force_through_adds_removals_and_growth() -> None:
    rng = np.random.default_rng(12)
    rows = {key: unit(rng, 1 + key % 3) for key in range(3000)}  # 1-3 wordings each
    keys = np.concatenate([np.full(len(m), key) for key, m in rows.items()])
    index = DenseIndex()
    index.build(keys, np.concatenate(list(rows.values())))
    queries = unit(rng, 5)
    for query in queries:
        assert_same(index, rows, query)

    for key in range(0, 3000, 7):  # corrections replace rows; some examples leave
        rows[key] = unit(rng, 2)
        index.add(key, rows[key])
    for key in range(1, 3000, 11):
        del rows[key]
        index.remove(key)
    for key in range(3000, 4500):  # new examples: the matrix grows in place
        rows[key] = unit(rng, 1)
        index.add(key, rows[key])
    assert len(index) == len(rows)
    for query in queries:
        assert_same(index, rows, query)

    # A new example is the best match for its own wording at once.
    index.add(9999, queries[:1])
    assert index.search(queries[0], 1)[0].key == 9999
    index.remove(9999)

    index.compact()
    again = pickle.loads(pickle.dumps(index))  # what the index snapshot stores
    for query in queries:
        assert_same(again, rows, query)


def test_an_empty_or_mismatched_index_finds_nothing() -> None:
    index = DenseIndex()
    query = unit(np.random.default_rng(1), 1)[0]
    assert index.search(query, 5) == []
    assert index.score_all(query).of(3) == 0.0
    index.add(3, unit(np.random.default_rng(2), 2))
    assert index.search(query[:16], 5) == []
    assert [hit.key for hit in index.search(query, 5)] == [3]
    assert index.score_all(query).of(4) == 0.0


def test_bulk_mixing_gives_the_rows_one_example_at_a_time_gives() -> None:
    rng = np.random.default_rng(3)
    wordings = unit(rng, 20_000).astype(np.float16)  # as stored: float16
    answers = unit(rng, 9_000).astype(np.float16)
    owner = np.sort(rng.integers(0, 9_000, 20_000))
    columns = mixed_columns(wordings, answers, owner)
    assert columns.shape == (32, 20_000) and columns.flags["C_CONTIGUOUS"]
    for i in [0, 8191, 8192, 19_999]:
        word, answer = wordings[i].astype(np.float32), answers[owner[i]].astype(np.float32)
        np.testing.assert_allclose(columns[:, i], row_vectors(word[None, :], answer)[0], atol=1e-7)
        word += 0.2 * answer  # what loading did before, in the same float32 steps
        word *= 1.0 / 1.2
        assert np.array_equal(columns[:, i], word)
