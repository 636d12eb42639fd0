"""Conversations, messages and replies as every answer reads and writes them.

One way of writing queries here: SQLAlchemy Core statements, built once at import
(with bind parameters, so SQLAlchemy compiles each once and reuses it) and run on
the `Connection` of a short write transaction (`bot.db.write_transaction`). Every
answer runs these; building ORM objects and flushing them cost several times what
the SQL itself does, and nothing on this path needs an object back, only ids and
text. The `…_on` functions leave committing to the caller, so one unit of work
commits or fails whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.store.ids import MAX_ID
from bot.tables import Conversation, Message, ModelVersion, Reply, utcnow


class ActiveVersion(NamedTuple):
    """What answering needs of the active model version (see `bot.responder.choose_target`)."""

    id: int
    provider: str
    model_id: str


_FIND_CONVERSATION = (
    sa_select(col(Conversation.id))
    .where(col(Conversation.channel) == bindparam("channel"))
    .where(col(Conversation.chat_id) == bindparam("chat_id"))
    .where(col(Conversation.thread_id) == bindparam("thread_id"))
    .where(col(Conversation.closed_at).is_(None))
    .order_by(col(Conversation.id).desc())
    .limit(1)
)
_ADD_CONVERSATION = insert(Conversation)
_CLOSE_CONVERSATIONS = (  # an UPDATE's parameters may not carry its columns' names
    update(Conversation)
    .where(col(Conversation.channel) == bindparam("in_channel"))
    .where(col(Conversation.chat_id) == bindparam("in_chat"))
    .where(col(Conversation.thread_id) == bindparam("in_thread"))
    .where(col(Conversation.closed_at).is_(None))
    .values(closed_at=bindparam("now"))
)
_ADD_MESSAGE = insert(Message)
_ADD_REPLY = insert(Reply)
_RECENT_TURNS = (
    sa_select(col(Message.role), col(Message.text))
    .where(col(Message.conversation_id) == bindparam("conversation_id"))
    .order_by(col(Message.id).desc())
    .limit(bindparam("limit"))
)
_ACTIVE_VERSION = (
    sa_select(col(ModelVersion.id), col(ModelVersion.provider), col(ModelVersion.model_id))
    .where(col(ModelVersion.active).is_(True))
    .limit(1)
)
_SET_PLATFORM_ID = (
    update(Reply)
    .where(col(Reply.id) == bindparam("reply_id"))
    .values(platform_message_id=bindparam("posted_as"))  # a column's own name is reserved
)
_FIND_POST = (
    sa_select(col(Reply.id), col(Conversation.chat_id), col(Conversation.thread_id))
    .join(Conversation, col(Conversation.id) == col(Reply.conversation_id))
    .where(col(Reply.channel) == bindparam("channel"))
    .where(col(Reply.platform_message_id) == bindparam("platform_message_id"))
    .order_by(col(Reply.id).desc())
    .limit(1)
)
_REPLY_PLACE = (
    sa_select(col(Reply.channel), col(Conversation.chat_id), col(Conversation.thread_id))
    .join(Conversation, col(Conversation.id) == col(Reply.conversation_id))
    .where(col(Reply.id) == bindparam("reply_id"))
)


def open_conversation_id_on(
    connection: Connection, *, channel: str, chat_id: str, thread_id: str = ""
) -> int | None:
    """The open conversation of this chat/thread, without opening one."""
    keys = {"channel": channel, "chat_id": chat_id, "thread_id": thread_id}
    found = connection.execute(_FIND_CONVERSATION, keys).scalar()
    return None if found is None else int(found)


def conversation_id_on(
    connection: Connection, *, channel: str, chat_id: str, thread_id: str = ""
) -> int:
    """The open conversation of this chat/thread, or a new one."""
    found = open_conversation_id_on(
        connection, channel=channel, chat_id=chat_id, thread_id=thread_id
    )
    if found is not None:
        return found
    keys = {"channel": channel, "chat_id": chat_id, "thread_id": thread_id}
    result = connection.execute(_ADD_CONVERSATION, {**keys, "created_at": utcnow()})
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def close_conversation_on(
    connection: Connection, *, channel: str, chat_id: str, thread_id: str = ""
) -> int:
    """Close the open conversation(s) of a chat so the next message starts afresh."""
    keys = {"in_channel": channel, "in_chat": chat_id, "in_thread": thread_id, "now": utcnow()}
    result = connection.execute(_CLOSE_CONVERSATIONS, keys)
    return int(result.rowcount or 0)


def recent_turns_on(
    connection: Connection, *, conversation_id: int, limit: int
) -> list[dict[str, str]]:
    """The last `limit` messages of a conversation as chat turns, oldest first."""
    if limit <= 0:
        return []
    rows = connection.execute(
        _RECENT_TURNS, {"conversation_id": conversation_id, "limit": limit}
    ).all()
    return [{"role": role, "content": text} for role, text in reversed(rows)]


def add_message_on(
    connection: Connection,
    *,
    conversation_id: int,
    role: str,
    text: str,
    user_id: str = "",
    platform_message_id: str | None = None,
) -> int:
    """Store one message of a conversation; returns the new message's id."""
    result = connection.execute(
        _ADD_MESSAGE,
        {
            "conversation_id": conversation_id,
            "role": role,
            "user_id": user_id,
            "text": text,
            "platform_message_id": platform_message_id,
            "created_at": utcnow(),
        },
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def add_reply_on(connection: Connection, values: dict[str, Any]) -> int:
    """Store a reply from its `Reply` columns on a connection; returns the new reply's id."""
    row = {"error": None, "model_version_id": None, "platform_message_id": None, **values}
    row.setdefault("created_at", utcnow())
    result = connection.execute(_ADD_REPLY, row)
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def active_version_on(connection: Connection) -> ActiveVersion | None:
    """The active version's id, provider and model id: all an answer needs of it.

    (`bot.store.versions.active_version` loads the whole row, for the commands.)"""
    row = connection.execute(_ACTIVE_VERSION).first()
    return None if row is None else ActiveVersion(row[0] or 0, row[1], row[2])


def set_platform_message_ids_on(connection: Connection, posts: Sequence[tuple[int, str]]) -> None:
    """Remember where replies were posted: (reply id, platform message id) pairs, one batch."""
    if posts:
        rows = [{"reply_id": reply_id, "posted_as": posted_as} for reply_id, posted_as in posts]
        connection.execute(_SET_PLATFORM_ID, rows)


def find_post_on(
    connection: Connection, *, channel: str, platform_message_id: str
) -> tuple[int, str, str] | None:
    """The reply posted as this platform message, with its chat and thread; None if not ours."""
    keys = {"channel": channel, "platform_message_id": platform_message_id}
    row = connection.execute(_FIND_POST, keys).first()
    return None if row is None else (int(row[0] or 0), str(row[1]), str(row[2]))


def reply_place_on(connection: Connection, *, reply_id: int) -> tuple[str, str, str] | None:
    """Where a reply was given: its channel, chat and thread; None for an unknown id."""
    if not 0 < reply_id <= MAX_ID:
        return None
    row = connection.execute(_REPLY_PLACE, {"reply_id": reply_id}).first()
    return None if row is None else (str(row[0]), str(row[1]), str(row[2]))
