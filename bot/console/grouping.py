"""Grouping the questions the bot could not answer by what they ask, most asked first.

Words, not meaning: each question becomes the lexical features the retrieval index
uses (`bot.retrieval.features`: accent-folded words and their stems), weighted by
how rare they are among these questions, and joins the first group whose first
question it resembles (cosine ≥ `SAME_QUESTION`); the same words up to case, accents
and punctuation always join. Embedding every waiting question on each page load
would cost ~10 ms a question; words group "Can I pay with Bizum?" with "pay with
bizum?" in microseconds, and a reviewer unticks any question that does not belong.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.retrieval import Features, features
from bot.store.review import Asked as Question
from bot.text import normal_form

SAME_QUESTION = 0.5
KEY_FEATURES = 5  # a question is compared with the groups sharing one of its rarest features


@dataclass
class Group:
    questions: list[Question] = field(default_factory=list)

    @property
    def first(self) -> Question:
        """The newest wording: what the group is shown as."""
        return self.questions[0]

    @property
    def latest(self) -> datetime:
        return max(q.at for q in self.questions)


def _weighted(found: list[Features], n: int) -> list[dict[str, float]]:
    df: Counter[str] = Counter(name for feats in found for name in feats)
    out = []
    for feats in found:
        vector = {k: v * math.log(1 + n / df[k]) for k, v in feats.items()}
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        out.append({k: w / norm for k, w in vector.items()})
    return out


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(k, 0.0) for k, w in a.items())


def group_questions(questions: Sequence[Question]) -> list[Group]:
    """Newest-first questions in groups; the groups most asked first, then most recent."""
    vectors = _weighted([features(q.text) for q in questions], len(questions))
    groups: list[Group] = []
    heads: list[dict[str, float]] = []
    by_feature: dict[str, list[int]] = {}
    by_form: dict[str, int] = {}
    for question, vector in zip(questions, vectors, strict=True):
        form = normal_form(question.text)
        keys = sorted(vector, key=lambda k: -vector[k])[:KEY_FEATURES]
        index = by_form.get(form)
        if index is None:
            near = {g for key in keys for g in by_feature.get(key, ())}
            scored = [(_cosine(vector, heads[g]), -g) for g in near]
            best = max(scored, default=None)
            if best is not None and best[0] >= SAME_QUESTION:
                index = -best[1]
        if index is None:
            index = len(groups)
            groups.append(Group())
            heads.append(vector)
            for key in keys:
                by_feature.setdefault(key, []).append(index)
        by_form.setdefault(form, index)
        groups[index].questions.append(question)
    return sorted(groups, key=lambda g: (-len(g.questions), -g.latest.timestamp()))
