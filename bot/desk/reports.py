"""A training run's announcement, as plain data every channel renders its own way.

Promoted, rejected, failed or cancelled and why; the gate's scores, candidate against
the model answering today; a few held-out questions with both answers side by side
(the gate's rows in `gateanswer`, taken from the redacted holdout, never from a
conversation); examples and tokens trained on; the cost where the provider gave one;
and which of Roll back / Promote anyway still applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot import store
from bot.desk.wording import ENGLISH, Words
from bot.store import console as store_console
from bot.tables import RunState

SAMPLES = 3  # held-out questions shown side by side


@dataclass(frozen=True)
class GateSample:
    question: str
    reference: str  # the approved answer
    candidate: str
    current: str


@dataclass(frozen=True)
class RunReport:
    run_id: int
    state: RunState
    provider: str
    method: str
    error: str = ""  # why it failed, as the provider or the gate said it
    metric: str | None = None
    candidate_score: float | None = None
    current_score: float | None = None
    scored: int = 0
    trained_on: int = 0
    new_examples: int = 0
    trained_tokens: int = 0
    cost_usd: float | None = None
    version_id: int | None = None
    model_id: str | None = None
    active: bool = False  # the run's version answers now
    parent_version_id: int | None = None
    samples: list[GateSample] = field(default_factory=list)
    note: str = ""  # what a reviewer did since (rolled back, promoted anyway)

    def headline_in(self, words: Words) -> str:
        state = words.say(f"run.{self.state.value}")
        return words.say("run.headline", run=self.run_id, provider=self.provider, state=state)

    def why_in(self, words: Words) -> str:
        if self.error:
            return self.error
        if self.state != RunState.promoted:
            return ""
        if self.candidate_score is not None:
            return words.say("run.gate_passed")
        return words.say("run.not_gated", provider=self.provider)

    @property
    def can_roll_back(self) -> bool:
        """Roll back shows on a promoted run whose version still answers, with one before it."""
        return (
            self.state == RunState.promoted and self.active and self.parent_version_id is not None
        )

    @property
    def can_promote(self) -> bool:
        """Promote anyway shows on a rejected run whose version is kept and not answering."""
        return self.state == RunState.rejected and self.version_id is not None and not self.active

    def scores_line(self, words: Words = ENGLISH) -> str | None:
        if self.candidate_score is None or self.current_score is None:
            return None
        return words.say(
            "run.scores",
            metric=self.metric,
            scored=self.scored,
            candidate=words.decimal(self.candidate_score),
            current=words.decimal(self.current_score),
        )

    def training_line(self, words: Words = ENGLISH) -> str:
        cost = words.say("run.cost", cost=words.decimal(self.cost_usd, 2)) if self.cost_usd else ""
        tokens = self.trained_tokens
        tokens_part = words.say("run.tokens", tokens=words.count(tokens)) if tokens else ""
        return words.say(
            "run.trained",
            count=self.trained_on,
            new=self.new_examples,
            method=self.method,
            tokens=tokens_part,
            cost=cost,
        )


def report_for(session: Session, *, run_id: int, note: str = "") -> RunReport:
    """Everything an announcement shows about one run, read now."""
    run = store.get_run(session, run_id=run_id)
    version = store.version_for_run(session, run_id=run_id)
    scores: dict[str, Any] = run.scores or {}
    rows = store_console.gate_answers(session, run_id=run_id, offset=0, limit=SAMPLES)
    return RunReport(
        run_id=run_id,
        state=RunState(run.state),
        provider=run.provider,
        method=run.method,
        error=run.error or "",
        metric=scores.get("metric"),
        candidate_score=_number(scores.get("candidate")),
        current_score=_number(scores.get("current")),
        scored=int(scores.get("n", 0) or 0),
        trained_on=run.n_train,
        new_examples=run.n_new,
        trained_tokens=run.trained_tokens,
        cost_usd=run.estimated_cost_usd or None,
        version_id=version.id if version else None,
        model_id=version.model_id if version else run.result_model_id,
        active=bool(version and version.active),
        parent_version_id=version.parent_id if version else None,
        samples=[
            GateSample(r.question, r.reference, r.candidate_answer, r.current_answer) for r in rows
        ],
        note=note,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None
