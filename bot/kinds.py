"""The closed sets of values the tables store: kinds of feedback, sources, states.

Apart from `bot.tables` so that a command can offer them as choices (`afina examples
--status`) without loading SQLModel and SQLAlchemy, which `afina --help` must not pay for.
`bot.tables` re-exports every name here.
"""

from __future__ import annotations

from enum import StrEnum


class FeedbackKind(StrEnum):
    approve = "approve"
    reject = "reject"
    correct = "correct"


class ExampleSource(StrEnum):
    approved = "approved"
    corrected = "corrected"
    imported = "imported"
    demo = "demo"


class ReplyOutcome(StrEnum):
    """How a reply was produced; anything that asks "could the bot answer?" reads this."""

    answered = "answered"  # a model's answer, or a taught answer the bot is sure of
    transparent = "transparent"  # a taught answer, naming the question it answers
    abstained = "abstained"  # "I don't know that one yet"
    error = "error"  # the model failed; the person got the fallback notice


class ExampleStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    superseded = "superseded"


class RunState(StrEnum):
    collecting = "collecting"
    uploading = "uploading"
    training = "training"
    evaluating = "evaluating"
    promoted = "promoted"
    rejected = "rejected"
    failed = "failed"
    cancelled = "cancelled"


FINAL_RUN_STATES = frozenset(
    {RunState.promoted, RunState.rejected, RunState.failed, RunState.cancelled}
)
