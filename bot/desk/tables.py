"""The review desk's tables: items that need a person, their cards, handoffs, who opted in.

Every "exactly once" here is a unique constraint, not a count of processes: an
item is made once per thing it is about (`key`), a card once per item (or run)
and destination, a handoff once per question (`reply_id`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.tables import utcnow


class ItemKind(StrEnum):
    suggestion = "suggestion"  # a non-reviewer's correction, waiting as a pending example
    rejected = "rejected"  # an answer someone rated 👎
    unanswered = "unanswered"  # the bot could not answer (it abstained, or the model failed)


class ItemStatus(StrEnum):
    open = "open"
    handled = "handled"


class ItemAction(StrEnum):
    approved = "approved"  # a suggestion accepted as it was
    edited = "edited"  # a suggestion accepted in the reviewer's words
    rejected = "rejected"  # a suggestion turned down
    answered = "answered"  # an unanswered question answered by a reviewer
    corrected = "corrected"  # a 👎'd answer corrected by a reviewer
    dismissed = "dismissed"  # nothing to teach (spam, a question for nobody)
    resolved = "resolved"  # a reviewer taught this answer elsewhere (in place, console, CLI)


class HandoffStatus(StrEnum):
    pending = "pending"  # decided, not yet claimed by a process
    sending = "sending"  # claimed: one process is delivering it
    sent = "sent"
    failed = "failed"  # never sent again: a second message could reach the customer twice


class ReviewItem(SQLModel, table=True):
    """One thing that waits for a reviewer, with what its card shows and how it ended.

    The question and the bot's answer are copied here so a card never reads a
    conversation: nothing but this question and this answer reaches the desk."""

    __table_args__ = (
        UniqueConstraint("key", name="uq_reviewitem_key"),
        Index("ix_reviewitem_status_created", "status", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)  # reply:12 (👎 or unanswered) | example:7 (a suggestion)
    kind: ItemKind = Field(max_length=16)
    reply_id: int = Field(foreign_key="reply.id", index=True)
    feedback_id: int | None = Field(default=None, foreign_key="feedback.id")
    example_id: int | None = Field(default=None, foreign_key="example.id")  # the suggestion
    channel: str = Field(max_length=32)  # where the question was asked
    chat_id: str = Field(default="", max_length=255)
    asked_by: str = Field(default="", max_length=255)  # identity of who asked
    raised_by: str = Field(default="", max_length=255)  # who rated 👎 or suggested
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))  # what the bot said
    suggestion: str | None = Field(default=None, sa_column=Column(Text))
    status: ItemStatus = Field(default=ItemStatus.open, max_length=16)
    action: ItemAction | None = Field(default=None, max_length=16)
    handled_by: str | None = Field(default=None, max_length=255)
    handled_at: datetime | None = None
    answer_given: str | None = Field(default=None, sa_column=Column(Text))
    taught_example_id: int | None = Field(default=None, foreign_key="example.id")
    created_at: datetime = Field(default_factory=utcnow)


class DeskCard(SQLModel, table=True):
    """A card posted (or being posted) at one destination: an item's, or a run's announcement.

    The row is inserted before the platform is called (the claim), so two processes
    never post the same card; `shown` is what the message shows now."""

    __table_args__ = (
        UniqueConstraint("item_id", "destination", name="uq_deskcard_item"),
        UniqueConstraint("run_id", "destination", name="uq_deskcard_run"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int | None = Field(default=None, foreign_key="reviewitem.id")
    run_id: int | None = Field(default=None, foreign_key="tuningrun.id")
    destination: str = Field(max_length=255)  # slack:C123 | telegram:42
    message_id: str | None = Field(default=None, max_length=255)  # the platform's, once posted
    shown: str = Field(default=ItemStatus.open, max_length=16)
    note: str = Field(default="", max_length=255)  # e.g. who rolled a run back
    attempts: int = 0
    error: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Handoff(SQLModel, table=True):
    """A reviewer's answer on its way back to the customer: one per question, ever."""

    __table_args__ = (UniqueConstraint("reply_id", name="uq_handoff_reply"),)
    id: int | None = Field(default=None, primary_key=True)
    reply_id: int = Field(foreign_key="reply.id")
    item_id: int = Field(foreign_key="reviewitem.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    by: str = Field(max_length=255)
    status: HandoffStatus = Field(default=HandoffStatus.pending, max_length=16)
    message_id: str | None = Field(default=None, max_length=255)
    error: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class DeskSubscription(SQLModel, table=True):
    """A reviewer who asked to get the desk's cards in a chat (Telegram's `/notify`)."""

    __table_args__ = (UniqueConstraint("destination", name="uq_desksubscription_destination"),)
    id: int | None = Field(default=None, primary_key=True)
    destination: str = Field(max_length=255)  # telegram:42
    user_id: str = Field(max_length=255)  # the reviewer's identity
    language: str | None = Field(default=None, max_length=16)  # their app's: "es", "en-GB"
    created_at: datetime = Field(default_factory=utcnow)
