"""The promotion gate: a candidate ships only when it is not worse than what answers today.

Both models answer every holdout question (at most `EVAL_MAX_ITEMS`, a fixed
sample that keeps every correction) through the same backends production
uses, from the same prompt: the brand voice and the conversation, without
retrieved examples, so what is measured is what training put into the model.
Scoring:

- with `EVAL_JUDGE_MODEL`: a pairwise LLM judge sees the reference answer and
  both answers, twice, with the order swapped, to cancel its position bias.
  A win counts 1, a tie ½; the candidate's score is its mean over both
  orders and all questions, the current model's is the complement.
- otherwise: chrF (character n-gram F-score, β = 2) of each answer against the
  reference, averaged.

The candidate passes when its score is at least the current one minus
`EVAL_MARGIN`, and it keeps every reviewer correction right (below).

With a golden set (`afina golden record`, `tuning.golden`), the recorded
answers stand in for the current model: on golden questions the holdout does
not already ask, and on all of them when the model answering today cannot
answer (a retired provider or base model), so a candidate on any provider is
held to what customers got before.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.backends.base import ChatMessages, ModelBackend
from bot.config import Settings
from bot.responder import Target

logger = logging.getLogger(__name__)

CHRF_ORDER = 6
CHRF_BETA = 2.0

JUDGE_SYSTEM = (
    "You compare answers of a customer-service assistant. The reference answer was approved "
    "by the team. Judge agreement with the reference's facts first (an invented or wrong fact "
    "loses), then the brand's tone and brevity. Reply with exactly one word: A, B or TIE."
)
AGREE_SYSTEM = (
    "You check which of two texts an answer agrees with on the facts and the advice it gives. "
    "Reply with exactly one character: 1 or 2."
)


@dataclass(frozen=True)
class HoldoutItem:
    example_id: int
    source: str
    context: list[dict[str, Any]]
    answer: str
    rejected: str | None

    @property
    def is_correction(self) -> bool:
        """A reviewer's correction: the answer replaced a different, rejected original."""
        return self.source == "corrected" and bool(self.rejected)


@dataclass(frozen=True)
class Recorded:
    """A golden question and what the model answering at the time said to it."""

    item: HoldoutItem
    answer: str
    model: str
    recorded_at: datetime | None = None


def read_holdout(path: Path, *, seed: int, limit: int) -> list[HoldoutItem]:
    """The holdout file, sampled to `limit` items (corrections always kept), in a fixed order."""
    items = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            items.append(
                HoldoutItem(
                    example_id=row["example_id"],
                    source=row["source"],
                    context=row["messages"],
                    answer=row["answer"],
                    rejected=row.get("rejected_answer"),
                )
            )
    if len(items) <= limit:
        return items
    corrections = [i for i in items if i.is_correction][:limit]
    others = [i for i in items if not i.is_correction]
    chosen = corrections + random.Random(seed).sample(others, limit - len(corrections))
    return sorted(chosen, key=lambda i: i.example_id)


# --- chrF ---------------------------------------------------------------------


def _ngrams(text: str, n: int) -> Counter[str]:
    squeezed = "".join(text.split())  # chrF ignores whitespace
    return Counter(squeezed[i : i + n] for i in range(len(squeezed) - n + 1))


def chrf(hypothesis: str, reference: str) -> float:
    """chrF in [0, 1]: the character n-gram F-score (n = 1..6, β = 2) of Popović (2015)."""
    precisions, recalls = [], []
    for n in range(1, CHRF_ORDER + 1):
        hyp, ref = _ngrams(hypothesis, n), _ngrams(reference, n)
        if not hyp or not ref:
            continue
        common = sum((hyp & ref).values())
        precisions.append(common / sum(hyp.values()))
        recalls.append(common / sum(ref.values()))
    if not precisions:
        return 1.0 if hypothesis.strip() == reference.strip() else 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if p + r == 0:
        return 0.0
    b2 = CHRF_BETA**2
    return (1 + b2) * p * r / (b2 * p + r)


# --- the gate -----------------------------------------------------------------


class GateError(Exception):
    """A model needed by the gate could not answer; the run retries evaluation later."""


class CurrentGone(GateError):
    """The model answering today could not answer: a golden set may stand in for it."""


@dataclass
class Verdict:
    passed: bool
    reason: str
    scores: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)  # per question, for eval.jsonl


class Gate:
    """Candidate against current on the holdout; see the module docstring for the scoring."""

    def __init__(self, settings: Settings, backends: Callable[[str], ModelBackend]) -> None:
        self.settings = settings
        self.backends = backends
        self.judge_model = settings.eval_judge_model

    def _ask(self, target: Target, messages: ChatMessages) -> str:
        from bot.backends.base import ModelError

        try:
            return self.backends(target.backend).complete(messages, model=target.model).text
        except ModelError as exc:
            raise GateError(f"{target.model} could not answer: {exc}") from None

    def _prompt(self, item: HoldoutItem) -> ChatMessages:
        return [{"role": "system", "content": self.settings.voice()}, *item.context]

    def evaluate(
        self,
        items: list[HoldoutItem],
        *,
        candidate: Target,
        current: Target,
        progress: Callable[[int, int], None] | None = None,
        golden: list[Recorded] | None = None,
    ) -> Verdict:
        held = {item.example_id for item in items}
        extra = [g for g in golden or [] if g.item.example_id not in held]
        total = len(items) + len(extra)
        if not total:
            return Verdict(
                False, "the holdout is empty, so nothing shows the candidate is not worse"
            )
        rows = []
        try:
            for number, item in enumerate(items, start=1):
                prompt = self._prompt(item)
                answer = self._ask(candidate, prompt)
                rows.append(self._score(item, answer, self._current(current, prompt)))
                if progress is not None:
                    progress(number, total)
        except CurrentGone as exc:
            if not golden:
                raise
            logger.warning("gating against the golden set: %s", exc)
            verdict = self._decide(self._against(golden, candidate, progress, len(golden)))
            verdict.reason = f"{exc}, so against {len(golden)} golden answers: {verdict.reason}"
            verdict.scores["against"] = "golden"
            return verdict
        rows += self._against(extra, candidate, progress, total, start=len(items))
        verdict = self._decide(rows)
        if extra:
            verdict.scores["golden"] = len(extra)
            verdict.reason += f" ({len(extra)} against recorded golden answers)"
        return verdict

    def _current(self, current: Target, prompt: ChatMessages) -> str:
        try:
            return self._ask(current, prompt)
        except GateError as exc:
            raise CurrentGone(str(exc)) from None

    def _against(
        self,
        golden: list[Recorded],
        candidate: Target,
        progress: Callable[[int, int], None] | None,
        total: int,
        *,
        start: int = 0,
    ) -> list[dict[str, Any]]:
        """Candidate against the recorded answers: no call to the model that gave them."""
        rows = []
        for number, recorded in enumerate(golden, start=start + 1):
            answer = self._ask(candidate, self._prompt(recorded.item))
            rows.append({**self._score(recorded.item, answer, recorded.answer), "golden": True})
            if progress is not None:
                progress(number, total)
        return rows

    def _score(self, item: HoldoutItem, cand: str, cur: str) -> dict[str, Any]:
        row: dict[str, Any] = {
            "example_id": item.example_id,
            "question": next(
                (str(t["content"]) for t in reversed(item.context) if t.get("role") == "user"), ""
            ),
            "reference": item.answer,
            "candidate_answer": cand,
            "current_answer": cur,
        }
        if self.judge_model:
            row["candidate"] = self._judge_pair(item, cand, cur)
            row["current"] = 1.0 - row["candidate"]
        else:
            row["candidate"] = chrf(cand, item.answer)
            row["current"] = chrf(cur, item.answer)
        if item.is_correction:
            row["correction"] = True
            row["candidate_right"] = self.keeps_correction(item, cand)
            row["current_right"] = self.keeps_correction(item, cur)
        return row

    def keeps_correction(self, item: HoldoutItem, answer: str) -> bool:
        """Whether `answer` sides with the reviewer's correction rather than the rejected original.

        This is what "keeps a correction right" means here, concretely. A
        holdout example that came from a reviewer's correction carries two
        texts: the correction and the bot's original that the reviewer
        rejected. An answer gets the correction right when it is closer to the
        correction than to the rejected original: by chrF against each, or,
        with a judge configured, when the judge says the answer agrees with
        the correction in both presentation orders.

        The gate then requires no regressions: every correction the current
        model gets right, the candidate must get right too. A correction that
        neither model gets right does not block (a holdout example is never
        trained on, so an absolute rule would block every retrain whose
        holdout holds a fact taught once), and it is counted in the scores.
        """
        rejected = item.rejected or ""
        if not self.judge_model:
            return chrf(answer, item.answer) > chrf(answer, rejected)
        first = self._agrees(item, answer, item.answer, rejected)
        second = self._agrees(item, answer, rejected, item.answer)
        return first == 1 and second == 2

    def _judge_pair(self, item: HoldoutItem, cand: str, cur: str) -> float:
        """The candidate's preference in [0, 1], averaged over both presentation orders."""
        first = self._judge(item, cand, cur)  # candidate shown as A
        second = self._judge(item, cur, cand)  # candidate shown as B
        win = {"A": 1.0, "B": 0.0, "TIE": 0.5}
        return (win[first] + (1.0 - win[second])) / 2

    def _judge(self, item: HoldoutItem, a: str, b: str) -> str:
        conversation = "\n".join(f"{t['role']}: {t['content']}" for t in item.context)
        question = (
            f"Brand voice:\n{self.settings.voice()}\n\nConversation:\n{conversation}\n\n"
            f"Reference answer:\n{item.answer}\n\nAnswer A:\n{a}\n\nAnswer B:\n{b}\n\n"
            "Which answer is better: A, B or TIE?"
        )
        verdict = self._ask_judge(JUDGE_SYSTEM, question).upper()
        if verdict.startswith("TIE"):
            return "TIE"
        return verdict[:1] if verdict[:1] in {"A", "B"} else "TIE"

    def _agrees(self, item: HoldoutItem, answer: str, one: str, two: str) -> int:
        question = f"Answer:\n{answer}\n\nText 1:\n{one}\n\nText 2:\n{two}\n\nWhich text: 1 or 2?"
        verdict = self._ask_judge(AGREE_SYSTEM, question)
        return 1 if verdict.startswith("1") else 2 if verdict.startswith("2") else 0

    def _ask_judge(self, system: str, question: str) -> str:
        judge = Target("openai", self.judge_model or "", None)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
        return self._ask(judge, messages).strip().strip("*\"'. ")

    def _decide(self, rows: list[dict[str, Any]]) -> Verdict:
        n = len(rows)
        cand = sum(r["candidate"] for r in rows) / n
        cur = sum(r["current"] for r in rows) / n
        corrections = [r for r in rows if r.get("correction")]
        regressions = [
            r["example_id"] for r in corrections if r["current_right"] and not r["candidate_right"]
        ]
        margin = self.settings.eval_margin
        scores: dict[str, Any] = {
            "metric": f"judge:{self.judge_model}" if self.judge_model else "chrf",
            "n": n,
            "candidate": round(cand, 4),
            "current": round(cur, 4),
            "margin": margin,
            "corrections": len(corrections),
            "corrections_right": {
                "candidate": sum(bool(r["candidate_right"]) for r in corrections),
                "current": sum(bool(r["current_right"]) for r in corrections),
            },
            "regressions": regressions,
        }
        if cand < cur - margin:
            reason = f"candidate scored {cand:.3f}, current {cur:.3f} (margin {margin})"
            return Verdict(False, reason, {**scores, "passed": False}, rows)
        if regressions:
            ids = ", ".join(f"#{i}" for i in regressions)
            reason = f"candidate loses reviewer corrections the current model gets right: {ids}"
            return Verdict(False, reason, {**scores, "passed": False}, rows)
        reason = f"candidate scored {cand:.3f}, current {cur:.3f}; no correction lost"
        return Verdict(True, reason, {**scores, "passed": True}, rows)
