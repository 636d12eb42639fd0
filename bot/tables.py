"""The SQLModel tables: every turn, every answer, every piece of feedback.

The `reply` table is the training set's raw material: it keeps the exact
prompt messages sent to the model, so an example built from feedback trains on
precisely what the model saw. Timestamps are naive UTC everywhere (SQLite keeps
no zone), written by `utcnow()`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.kinds import FINAL_RUN_STATES as FINAL_RUN_STATES
from bot.kinds import ExampleSource as ExampleSource
from bot.kinds import ExampleStatus as ExampleStatus
from bot.kinds import FeedbackKind as FeedbackKind
from bot.kinds import ReplyOutcome as ReplyOutcome
from bot.kinds import RunState as RunState


def utcnow() -> datetime:
    return datetime.now(UTC)


class Conversation(SQLModel, table=True):
    """One chat thread on one channel; `/new` closes it and the next message opens another."""

    __table_args__ = (Index("ix_conversation_lookup", "channel", "chat_id", "thread_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=255)
    thread_id: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class Message(SQLModel, table=True):
    """Every inbound and outbound message, stored before the model is called."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    role: str = Field(max_length=16)  # user | assistant
    user_id: str = Field(default="", max_length=255)
    text: str = Field(sa_column=Column(Text, nullable=False))
    platform_message_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class Reply(SQLModel, table=True):
    """The bot's answer with exactly what produced it."""

    __table_args__ = (
        Index("ix_reply_platform", "channel", "platform_message_id"),
        # "What could the bot not answer since Monday?" (the console's Home)
        Index("ix_reply_outcome_created", "outcome", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    message_id: int = Field(foreign_key="message.id")  # the inbound message answered
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=255)
    prompt: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    ok: bool = True  # False when the user got the fallback message
    error: str | None = Field(default=None, sa_column=Column(Text))
    backend: str = Field(max_length=32)
    model_id: str = Field(max_length=255)
    model_version_id: int | None = Field(default=None, foreign_key="modelversion.id")
    latency_ms: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    platform_message_id: str | None = Field(default=None, max_length=255)
    outcome: ReplyOutcome = Field(default=ReplyOutcome.answered, max_length=16)
    # The examples the answer came from, best first: [{"id": 12, "score": 0.93}, ...]
    used_examples: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    created_at: datetime = Field(default_factory=utcnow)


class QuestionState(StrEnum):
    asked = "asked"  # stored; no reply yet
    answered = "answered"  # the reply is stored; its delivery is not confirmed yet
    posted = "posted"  # the person has the answer (or the caller printed it)
    noted = "noted"  # found too late to answer: the person got a polite note instead
    expired = "expired"  # found after a day: closed without a word


OPEN_QUESTION_STATES = (QuestionState.asked, QuestionState.answered)


class Question(SQLModel, table=True):
    """A person's message the bot owes an answer, until the answer has reached them.

    A process answering it holds a claim (`owner`, renewed until `claimed_until`), so a
    question left by a process that died is found and answered once by another
    (`bot.questions`). `route` is what its channel needs to deliver there later."""

    __table_args__ = (
        Index("ix_question_delivery", "channel", "delivery_key"),
        Index("ix_question_open", "state", "claimed_until"),
        Index("ix_question_asker", "conversation_id", "user_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", unique=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=255)
    thread_id: str = Field(default="", max_length=255)
    user_id: str = Field(max_length=255)  # the identity, e.g. telegram:42
    delivery_key: str | None = Field(default=None, max_length=255)
    route: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reply_id: int | None = Field(default=None, foreign_key="reply.id")
    # The platform id of a message posted before the answer, that the answer is then
    # written into (Telegram): sending the answer again after a crash edits that message.
    placeholder_id: str | None = Field(default=None, max_length=255)
    state: str = Field(default=QuestionState.asked.value, max_length=16)  # a `QuestionState`
    owner: str = Field(default="", max_length=255)
    claimed_until: datetime | None = None
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Feedback(SQLModel, table=True):
    """A 👍, 👎 or correction from someone, with whether they may teach the bot."""

    id: int | None = Field(default=None, primary_key=True)
    reply_id: int = Field(foreign_key="reply.id", index=True)
    user_id: str = Field(max_length=255)
    kind: FeedbackKind = Field(max_length=16)
    corrected_text: str | None = Field(default=None, sa_column=Column(Text))
    is_reviewer: bool = False
    example_id: int | None = Field(default=None, foreign_key="example.id")
    created_at: datetime = Field(default_factory=utcnow)


class Example(SQLModel, table=True):
    """A training example: the context the model saw and the answer it should give."""

    __table_args__ = (
        UniqueConstraint("content_hash", name="uq_example_content_hash"),
        Index("ix_example_updated_at", "updated_at"),  # every answer asks "what changed since?"
        Index("ix_example_status", "status"),  # the console's counts and filters
    )
    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(sa_column=Column(Text, nullable=False))  # the last user turn
    prompt: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    rejected_answer: str | None = Field(default=None, sa_column=Column(Text))
    source: ExampleSource = Field(max_length=16)
    status: ExampleStatus = Field(max_length=16)
    content_hash: str = Field(max_length=64)
    question_hash: str = Field(max_length=64, index=True)
    conversation_key: str = Field(default="", max_length=255)  # groups rows for the split
    reply_id: int | None = Field(default=None, foreign_key="reply.id")
    # Other wordings of the question that a reviewer confirmed get this answer.
    phrasings: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    import_batch_id: int | None = Field(default=None, foreign_key="importbatch.id", index=True)
    created_by: str = Field(default="", max_length=255)
    reviewed_by: str | None = Field(default=None, max_length=255)
    reviewed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ExampleVector(SQLModel, table=True):
    """One text of an example (its question, answer or a phrasing) embedded once.

    Tagged with the embedder (`local:…`, `openai:…`) so a changed backend re-embeds
    instead of mixing vector spaces; `text_hash` tells a vector whose text changed.
    """

    __table_args__ = (
        UniqueConstraint("example_id", "embedder", "kind", "position", name="uq_example_vector"),
        Index("ix_examplevector_embedder", "embedder", "example_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    example_id: int = Field(foreign_key="example.id")
    embedder: str = Field(max_length=255)
    kind: str = Field(max_length=16)  # question | answer | phrasing
    position: int = 0  # which phrasing
    text_hash: str = Field(max_length=32)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # float16, L2-normalised
    created_at: datetime = Field(default_factory=utcnow)


class ImportBatch(SQLModel, table=True):
    """One `afina import`: what came in together, so it can be seen and undone together."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)  # the file's name
    created_by: str = Field(default="", max_length=255)
    imported: int = 0
    undone_by: str | None = Field(default=None, max_length=255)
    undone_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ModelVersion(SQLModel, table=True):
    """A model the bot can answer with; exactly one is active at a time."""

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)  # examples | openai | local
    model_id: str = Field(max_length=255)  # what the backend is asked for
    base_model: str = Field(default="", max_length=255)
    parent_id: int | None = Field(default=None, foreign_key="modelversion.id")
    run_id: int | None = None  # no FK: tuningrun already points here
    active: bool = False
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    artifact_path: str | None = Field(default=None, sa_column=Column(Text))
    note: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    activated_at: datetime | None = None


class TuningRun(SQLModel, table=True):
    """A retrain as a persisted state machine, so a restart resumes it."""

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    method: str = Field(default="supervised", max_length=16)  # supervised | dpo
    full: bool = False
    state: RunState = Field(default=RunState.collecting, max_length=16, index=True)
    base_model: str = Field(default="", max_length=255)
    parent_version_id: int | None = Field(default=None, foreign_key="modelversion.id")
    provider_job_id: str | None = Field(default=None, max_length=255)
    provider_file_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    dataset_path: str | None = Field(default=None, sa_column=Column(Text))
    n_train: int = 0
    n_holdout: int = 0
    n_new: int = 0
    trained_tokens: int = 0
    estimated_cost_usd: float = 0.0
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result_model_id: str | None = Field(default=None, max_length=255)
    error: str | None = Field(default=None, sa_column=Column(Text))
    max_example_id: int = 0  # examples up to this id were in the snapshot
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class TuningEvent(SQLModel, table=True):
    """A line in a run's story: state changes, provider events, errors."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="tuningrun.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    level: str = Field(default="info", max_length=16)
    message: str = Field(sa_column=Column(Text, nullable=False))


class Lease(SQLModel, table=True):
    """A named lock with an owner and an expiry, so one retrain runs at a time across processes."""

    name: str = Field(primary_key=True, max_length=64)
    owner: str = Field(max_length=255)
    expires_at: datetime


class ProcessedEvent(SQLModel, table=True):
    """Platform deliveries already handled (Slack event_id, Telegram update_id): answer once."""

    __table_args__ = (UniqueConstraint("channel", "event_key", name="uq_processed_event"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    event_key: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class GoldenAnswer(SQLModel, table=True):
    """What the model answering at the time said to a reviewed or held-out question.

    `afina golden record` stores one set (`recording`) of these, so that a candidate on
    another provider or base model can be gated against what customers got before, even
    once the model that gave these answers is retired.
    """

    id: int | None = Field(default=None, primary_key=True)
    recording: int = Field(index=True)  # one number per `afina golden record`
    example_id: int | None = Field(default=None, foreign_key="example.id")
    kind: str = Field(max_length=16)  # reviewed | holdout
    source: str = Field(max_length=16)  # the example's source (corrected, approved, …)
    context: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reference: str = Field(sa_column=Column(Text, nullable=False))  # the approved answer
    rejected: str | None = Field(default=None, sa_column=Column(Text))  # a correction's original
    answer: str = Field(sa_column=Column(Text, nullable=False))  # what the model said
    model_id: str = Field(max_length=255)
    backend: str = Field(max_length=32)
    version_id: int | None = Field(default=None, foreign_key="modelversion.id")
    recorded_at: datetime = Field(default_factory=utcnow)


# --- the web console ------------------------------------------------------------
# Links and sessions keep only a SHA-256 of their secret: a copy of the database
# signs nobody in.


class ConsoleLink(SQLModel, table=True):
    """A one-time sign-in link for a reviewer, valid until `expires_at`, used once."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser: the cookie's hash, whose it is, until when; ended by sign-out."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: str = Field(max_length=255, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None


class AuditEntry(SQLModel, table=True):
    """Who did what, when, on what: every action taken in the console (and sign-in links)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    user_id: str = Field(max_length=255)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=255)  # e.g. reply:12, version:3
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


class GateAnswer(SQLModel, table=True):
    """One held-out question of a run's gate: both models' answers and their scores."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="tuningrun.id", index=True)
    example_id: int
    question: str = Field(sa_column=Column(Text, nullable=False))
    reference: str = Field(sa_column=Column(Text, nullable=False))
    candidate_answer: str = Field(sa_column=Column(Text, nullable=False))
    current_answer: str = Field(sa_column=Column(Text, nullable=False))
    candidate_score: float = 0.0
    current_score: float = 0.0
    correction: bool = False
    candidate_right: bool | None = None
    current_right: bool | None = None


# The review desk's tables live with the desk; imported here so that `bot.tables` registers
# every table on SQLModel's metadata (migrations, tests) as before.
from bot.desk.tables import DeskCard, DeskSubscription, Handoff, ReviewItem  # noqa: E402, F401
