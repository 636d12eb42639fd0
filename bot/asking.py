"""A question as the responder stores it: the message, its question (claimed), its history.

Kept apart from `bot.responder` so that the prompt and the model call read on
their own. The history is the asker's own (`bot.store.questions.asker_turns_on`),
and, when they reply to someone else's message, that one message, as a turn
named after its author, so the model can tell it from the asker's words and an
example built from the answer can leave it out (`bot.feedback.context_of`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from bot import store
from bot.errors import Repeated
from bot.messages import Incoming
from bot.questions import Questions
from bot.store.questions import Pending, speaker_name

if TYPE_CHECKING:
    from bot.responder import Target

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asked:
    """A stored question, claimed by us, on its way to the model."""

    question_id: int
    conversation_id: int
    message_id: int
    channel: str
    chat_id: str
    text: str
    user_id: str  # the asker's identity: the history is theirs
    quoted: list[dict[str, str]]  # the message they reply to, if someone else's: a named turn
    target: Target
    deliver: bool  # a channel delivers it later and confirms; else done once stored


@dataclass(frozen=True)
class Taken:
    """A message stored as a question (or a redelivery's question, claimed), not answered yet."""

    asked: Asked | Pending
    truncated: bool  # the message was cut to MAX_MESSAGE_CHARS

    @property
    def question_id(self) -> int:
        return self.asked.question_id if isinstance(self.asked, Asked) else self.asked.id

    @property
    def placeholder_id(self) -> str | None:
        """The message its answer is to be written into, if one was posted before (a
        redelivery of a question whose process died)."""
        return self.asked.placeholder_id if isinstance(self.asked, Pending) else None


def history_on(connection: Connection, asked: Asked, *, limit: int) -> list[dict[str, str]]:
    """The asker's turns before the question (read when it is answered: an earlier question
    of theirs answered meanwhile is in it), then the message they reply to."""
    turns = store.asker_turns_on(
        connection,
        conversation_id=asked.conversation_id,
        user_id=asked.user_id,
        limit=limit,
        before=asked.message_id,
    )
    return [*turns, *asked.quoted]


def ask_on(
    connection: Connection,
    incoming: Incoming,
    text: str,
    *,
    target: Target,
    questions: Questions,
) -> Asked:
    """Store the message and its question, claimed by this process (`questions.hold` it once
    the transaction commits)."""
    conversation_id = store.conversation_id_on(
        connection,
        channel=incoming.channel,
        chat_id=incoming.chat_id,
        thread_id=incoming.thread_id,
    )
    inbound_id = store.add_message_on(
        connection,
        conversation_id=conversation_id,
        role="user",
        text=text,
        user_id=incoming.identity,
        platform_message_id=incoming.platform_message_id,
    )
    route = dict(incoming.route or {})
    if incoming.quoted is not None:
        route["quoted"] = list(incoming.quoted)
    question_id = store.add_question_on(
        connection,
        {
            "message_id": inbound_id,
            "conversation_id": conversation_id,
            "channel": incoming.channel,
            "chat_id": incoming.chat_id,
            "thread_id": incoming.thread_id,
            "user_id": incoming.identity,
            "delivery_key": incoming.delivery_key,
            "route": route,
            "owner": questions.owner,
            "claimed_until": questions.until(),
        },
    )
    return Asked(
        question_id=question_id,
        conversation_id=conversation_id,
        message_id=inbound_id,
        channel=incoming.channel,
        chat_id=incoming.chat_id,
        text=text,
        user_id=incoming.identity,
        quoted=quoted_turns(route),
        target=target,
        deliver=incoming.route is not None,
    )


def redelivered_on(connection: Connection, incoming: Incoming, questions: Questions) -> Pending:
    """A delivery seen before: its question, now ours, if nobody answers it (its process died);
    else `Repeated` (answered, or being answered)."""
    key = incoming.delivery_key or ""
    found = store.question_for_delivery_on(connection, channel=incoming.channel, delivery_key=key)
    taken = questions.take_on(connection, found) if found is not None else None
    if taken is None:
        raise Repeated(key)
    logger.info("question %s came again unanswered; answering it now", taken.id)
    return taken


def pending_asked(pending: Pending, *, target: Target) -> Asked:
    """A claimed question, answered late."""
    return Asked(
        question_id=pending.id,
        conversation_id=pending.conversation_id,
        message_id=pending.message_id,
        channel=pending.channel,
        chat_id=pending.chat_id,
        text=pending.text,
        user_id=pending.user_id,
        quoted=quoted_turns(pending.route),
        target=target,
        deliver=True,
    )


def quoted_turns(route: Mapping[str, Any]) -> list[dict[str, str]]:
    """The message of someone else a question replies to, as a named turn before it."""
    quoted = route.get("quoted")
    if not quoted:
        return []
    who, text = str(quoted[0]), str(quoted[1])
    return [{"role": "user", "name": speaker_name(who), "content": text}]


def db_error_kind(exc: BaseException) -> str:
    """A database error in a log line: its kind, never its SQL or parameters."""
    return type(getattr(exc, "orig", None) or exc).__name__
