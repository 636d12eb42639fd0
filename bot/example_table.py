"""The accepted examples as the index snapshot keeps them: columns, each example built on use.

A process restored from the snapshot (`bot.index_snapshot`) is asked for a handful of
examples per question (the candidates of `Knowledge.closest`), not for all of them. So
the examples stay in the snapshot's columns, the answers as one UTF-8 array mapped from
the file, undecoded, and each becomes an `ExampleTexts` the first time it is asked for.
Building all 50,000 named tuples and decoding every answer at start was a third of
loading the snapshot; the texts are the same either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import numpy as np

from bot.vectors import ExampleTexts


def columns(examples: Mapping[int, ExampleTexts]) -> dict[str, Any]:
    """What the snapshot saves of the examples (see `ExampleTable`)."""
    found = list(examples.values())
    answers = [example.answer.encode() for example in found]
    ends = np.cumsum([len(answer) for answer in answers], dtype=np.int64)
    return {
        "id": [e.id for e in found],
        "question": [e.question for e in found],
        "phrasings": [e.phrasings for e in found],
        "answers": np.frombuffer(b"".join(answers), dtype=np.uint8),
        "answer_ends": ends,
    }


class ExampleTable(MutableMapping[int, ExampleTexts]):
    """Every example of the snapshot's `columns`, by id; changed or new ones kept as given."""

    def __init__(self, saved: dict[str, Any]) -> None:
        ids = saved["id"]
        self._row: dict[int, int] = dict(zip(ids, range(len(ids)), strict=True))  # -1: new
        self._questions: list[str] = saved["question"]
        self._phrasings: list[tuple[str, ...]] = saved["phrasings"]
        self._answers: np.ndarray = saved["answers"]
        self._ends: np.ndarray = saved["answer_ends"]
        if len(self._questions) != len(ids) or len(self._ends) != len(ids):
            raise ValueError("the snapshot's example columns differ in length")
        self._made: dict[int, ExampleTexts] = {}

    def __getitem__(self, key: int) -> ExampleTexts:
        made = self._made.get(key)
        if made is None:
            row = self._row[key]
            start = int(self._ends[row - 1]) if row else 0
            answer = self._answers[start : int(self._ends[row])].tobytes().decode()
            made = ExampleTexts(key, self._questions[row], answer, self._phrasings[row])
            self._made[key] = made
        return made

    def __setitem__(self, key: int, example: ExampleTexts) -> None:
        self._made[key] = example
        self._row.setdefault(key, -1)

    def __delitem__(self, key: int) -> None:
        del self._row[key]
        self._made.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._row

    def __iter__(self) -> Iterator[int]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)
