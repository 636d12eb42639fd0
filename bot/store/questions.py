"""Questions owed an answer: stored with the message, claimed, marked answered and delivered.

One way of writing queries here: SQLAlchemy Core statements on a `Connection`,
because a claim is a compare-and-set that only a single `UPDATE … WHERE` does
safely (two processes can never both win), and every answer passes through
these. The policy (who may take over whose claim, when) is `bot.questions`.

The history of a question is its asker's: their own earlier questions with the
answers they got, plus whatever the thread held before the bot's first question
in it (the messages of a Slack thread the bot joined late). Other people's
questions in the same group or thread, and the answers they got, are not theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.store.ids import MAX_ID
from bot.tables import OPEN_QUESTION_STATES, Message, Question, Reply, utcnow

OPEN = [state.value for state in OPEN_QUESTION_STATES]


@dataclass(frozen=True)
class Pending:
    """A question as recovery and the channels read it."""

    id: int
    message_id: int
    conversation_id: int
    channel: str
    chat_id: str
    thread_id: str
    user_id: str  # the identity, e.g. slack:U123
    route: dict[str, Any]
    reply_id: int | None
    state: str
    owner: str
    claimed_until: datetime | None
    created_at: datetime
    text: str  # what the person asked
    placeholder_id: str | None = None  # the message its answer is written into (Telegram)

    @property
    def platform_user(self) -> str:
        """The platform's own id of the asker (`U123` of `slack:U123`)."""
        return self.user_id.partition(":")[2]


_PENDING = sa_select(
    col(Question.id),
    col(Question.message_id),
    col(Question.conversation_id),
    col(Question.channel),
    col(Question.chat_id),
    col(Question.thread_id),
    col(Question.user_id),
    col(Question.route),
    col(Question.reply_id),
    col(Question.state),
    col(Question.owner),
    col(Question.claimed_until),
    col(Question.created_at),
    col(Message.text),
    col(Question.placeholder_id),
).join(Message, col(Message.id) == col(Question.message_id))
_BY_DELIVERY = _PENDING.where(col(Question.channel) == bindparam("channel")).where(
    col(Question.delivery_key) == bindparam("delivery_key")
)
_BY_ID = _PENDING.where(col(Question.id) == bindparam("question_id"))
_ADD = insert(Question)


def _pending(row: Any) -> Pending:
    return Pending(*row)


def add_question_on(connection: Connection, values: dict[str, Any]) -> int:
    """Store a question from its `Question` columns; returns its id."""
    now = utcnow()
    row = {
        "thread_id": "",
        "delivery_key": None,
        "route": {},
        "reply_id": None,
        "owner": "",
        "claimed_until": None,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        **values,
    }
    result = connection.execute(_ADD, row)
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def question_on(connection: Connection, *, question_id: int) -> Pending | None:
    row = connection.execute(_BY_ID, {"question_id": question_id}).first()
    return None if row is None else _pending(row)


def question_for_delivery_on(
    connection: Connection, *, channel: str, delivery_key: str
) -> Pending | None:
    """The question a platform delivery brought (a redelivery finds it again)."""
    keys = {"channel": channel, "delivery_key": delivery_key}
    row = connection.execute(_BY_DELIVERY, keys).first()
    return None if row is None else _pending(row)


def open_questions_on(
    connection: Connection, *, channels: Sequence[str], limit: int
) -> list[Pending]:
    """Questions of these channels not delivered yet, oldest first."""
    statement = (
        _PENDING.where(col(Question.state).in_(OPEN))
        .where(col(Question.channel).in_(list(channels)))
        .order_by(col(Question.id))
        .limit(limit)
    )
    return [_pending(row) for row in connection.execute(statement).all()]


def claim_on(
    connection: Connection,
    *,
    question_id: int,
    owner: str,
    until: datetime,
    was_owner: str,
    was_until: datetime | None,
) -> bool:
    """Take an open question over from its holder as last read (compare-and-set): False when
    it moved on meanwhile (answered, renewed, or claimed by someone else first)."""
    held_as_read = (
        col(Question.claimed_until).is_(None)
        if was_until is None
        else col(Question.claimed_until) == was_until
    )
    result = connection.execute(
        update(Question)
        .where(col(Question.id) == question_id)
        .where(col(Question.state).in_(OPEN))
        .where(col(Question.owner) == was_owner)
        .where(held_as_read)
        .values(
            owner=owner,
            claimed_until=until,
            attempts=col(Question.attempts) + 1,
            updated_at=utcnow(),
        )
    )
    return bool(result.rowcount)


def renew_on(
    connection: Connection, *, owner: str, question_ids: Sequence[int], until: datetime
) -> int:
    """Hold our claims on these questions until `until`; how many are still ours."""
    if not question_ids:
        return 0
    result = connection.execute(
        update(Question)
        .where(col(Question.id).in_(list(question_ids)))
        .where(col(Question.owner) == owner)
        .where(col(Question.state).in_(OPEN))
        .values(claimed_until=until)
    )
    return int(result.rowcount or 0)


def set_placeholder_on(connection: Connection, *, question_id: int, placeholder_id: str) -> bool:
    """Note the message the answer of an open question will be written into; False when the
    question is no longer open (delivered or closed meanwhile)."""
    result = connection.execute(
        update(Question)
        .where(col(Question.id) == question_id)
        .where(col(Question.state).in_(OPEN))
        .values(placeholder_id=placeholder_id, updated_at=utcnow())
    )
    return bool(result.rowcount)


def set_answered_on(connection: Connection, *, question_id: int, owner: str, reply_id: int) -> bool:
    """Record the reply of a question we still hold; False when another process took it over."""
    result = connection.execute(
        update(Question)
        .where(col(Question.id) == question_id)
        .where(col(Question.owner) == owner)
        .where(col(Question.state) == "asked")
        .values(reply_id=reply_id, state="answered", updated_at=utcnow())
    )
    return bool(result.rowcount)


def close_on(
    connection: Connection,
    *,
    question_id: int,
    state: str,
    reply_id: int | None = None,
    posted_as: str | None = None,
) -> None:
    """The question is done: `posted` (its reply, and where), `noted` or `expired`."""
    values: dict[str, Any] = {"state": state, "claimed_until": None, "updated_at": utcnow()}
    if reply_id is not None:
        values["reply_id"] = reply_id
    connection.execute(update(Question).where(col(Question.id) == question_id).values(**values))
    if reply_id is not None and posted_as is not None:
        connection.execute(
            update(Reply).where(col(Reply.id) == reply_id).values(platform_message_id=posted_as)
        )


def release_on(connection: Connection, *, question_id: int, owner: str) -> None:
    """Let go of a claim now (the answer failed here): any process may take it at once."""
    connection.execute(
        update(Question)
        .where(col(Question.id) == question_id)
        .where(col(Question.owner) == owner)
        .where(col(Question.state).in_(OPEN))
        .values(claimed_until=utcnow())
    )


def reply_text_on(connection: Connection, *, reply_id: int) -> tuple[str, bool, str]:
    """A stored reply as it is delivered: its text, whether it is an answer, its model."""
    row = connection.execute(
        sa_select(col(Reply.text), col(Reply.ok), col(Reply.model_id)).where(
            col(Reply.id) == reply_id
        )
    ).one()
    return str(row[0]), bool(row[1]), str(row[2])


# --- a question's history ------------------------------------------------------------

_FIRST_QUESTION = (
    sa_select(func.min(col(Question.message_id)))
    .where(col(Question.conversation_id) == bindparam("conversation_id"))
    .scalar_subquery()
)
_BEFORE_THE_BOT = (  # a thread's messages from before the bot's first question in it
    sa_select(col(Message.id), col(Message.role), col(Message.text), col(Message.user_id))
    .where(col(Message.conversation_id) == bindparam("conversation_id"))
    .where(or_(_FIRST_QUESTION.is_(None), col(Message.id) < _FIRST_QUESTION))
    .where(col(Message.id) < bindparam("before"))
    .order_by(col(Message.id).desc())
    .limit(bindparam("limit"))
)
_ASKERS_OWN = (
    sa_select(col(Question.message_id), col(Message.text), col(Reply.text))
    .join(Message, col(Message.id) == col(Question.message_id))
    .outerjoin(Reply, col(Reply.id) == col(Question.reply_id))
    .where(
        and_(
            col(Question.conversation_id) == bindparam("conversation_id"),
            col(Question.user_id) == bindparam("user_id"),
            col(Question.message_id) < bindparam("before"),
        )
    )
    .order_by(col(Question.message_id).desc())
    .limit(bindparam("limit"))
)


def asker_turns_on(
    connection: Connection,
    *,
    conversation_id: int,
    user_id: str,
    limit: int,
    before: int = MAX_ID,  # (an id column's own range: PostgreSQL checks the parameter)
) -> list[dict[str, str]]:
    """The last `limit` turns of a conversation as one person sees them, oldest first: the
    thread before the bot (others' turns named), then their questions and answers; only
    turns before the message `before` (a question answered late sees what it saw)."""
    if limit <= 0:
        return []
    keys = {
        "conversation_id": conversation_id,
        "user_id": user_id,
        "limit": limit,
        "before": before,
    }
    turns: list[tuple[int, int, dict[str, str]]] = []
    for message_id, role, text, who in connection.execute(_BEFORE_THE_BOT, keys).all():
        turn = {"role": role, "content": text}
        if role == "user" and who != user_id:
            turn["name"] = speaker_name(who)
        turns.append((message_id or 0, 0, turn))
    for message_id, asked, answered in connection.execute(_ASKERS_OWN, keys).all():
        turns.append((message_id, 0, {"role": "user", "content": asked}))
        if answered is not None:
            turns.append((message_id, 1, {"role": "assistant", "content": answered}))
    turns.sort(key=lambda found: (found[0], found[1]))
    return [turn for _, _, turn in turns[-limit:]]


def speaker_name(identity: str) -> str:
    """Another person in a prompt, as OpenAI's `name` field allows: `slack_U0BOB`."""
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in identity)
    return cleaned[:64] or "someone"
