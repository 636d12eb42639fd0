"""Which platform threads the bot takes part in, and where each answer was posted.

Channels keep no state of their own. A platform thread maps to a conversation
(channel, chat, thread), so a follow-up without a mention is recognised by any
process; and a posted answer maps back to its reply through its platform
message id, so a 👍 reaction a day later still finds the answer it rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot import store
from bot.db import session_scope
from bot.posts import PostLog


@dataclass(frozen=True)
class Turn:
    """An earlier message of a thread the bot joins late."""

    role: str  # user | assistant
    text: str
    user_id: str = ""  # the identity, e.g. slack:U123
    platform_message_id: str | None = None


@dataclass(frozen=True)
class Posted:
    """A reply found from the platform message it was posted as."""

    reply_id: int
    chat_id: str
    thread_id: str


def takes_part(engine: Engine, *, channel: str, chat_id: str, thread_id: str) -> bool:
    """True when the bot already holds an open conversation in this thread."""
    with session_scope(engine) as session:
        found = store.find_open_conversation(
            session, channel=channel, chat_id=chat_id, thread_id=thread_id
        )
        return found is not None


def seed_thread(
    engine: Engine, *, channel: str, chat_id: str, thread_id: str, turns: Sequence[Turn]
) -> int:
    """Store a thread's earlier messages as the history of a new conversation; 0 if one exists."""
    if not turns:
        return 0
    with session_scope(engine) as session:
        if store.find_open_conversation(
            session, channel=channel, chat_id=chat_id, thread_id=thread_id
        ):
            return 0
        conversation = store.open_conversation(
            session, channel=channel, chat_id=chat_id, thread_id=thread_id
        )
        for turn in turns:
            store.add_message(
                session,
                conversation_id=conversation.id or 0,
                role=turn.role,
                text=turn.text,
                user_id=turn.user_id,
                platform_message_id=turn.platform_message_id,
            )
    return len(turns)


def find_post(posts: PostLog, *, channel: str, platform_message_id: str) -> Posted | None:
    """The reply posted as this platform message, with the thread it lives in; None if not ours."""
    posts.flush()  # this process's latest posts may still be waiting to be written
    with session_scope(posts.engine) as session:
        reply = store.find_reply_by_platform_id(
            session, channel=channel, platform_message_id=platform_message_id
        )
        if reply is None:
            return None
        conversation = store.get_conversation(session, conversation_id=reply.conversation_id)
        return Posted(reply.id or 0, conversation.chat_id, conversation.thread_id)


def reply_text(engine: Engine, *, reply_id: int) -> str:
    """The text of a stored reply (raises `NotFound` for an unknown id)."""
    with session_scope(engine) as session:
        return store.get_reply(session, reply_id=reply_id).text
