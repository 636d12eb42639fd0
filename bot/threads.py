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
from bot.db import session_scope, write_transaction
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
    with engine.connect() as connection:
        found = store.open_conversation_id_on(
            connection, channel=channel, chat_id=chat_id, thread_id=thread_id
        )
    return found is not None


def seed_thread(
    engine: Engine, *, channel: str, chat_id: str, thread_id: str, turns: Sequence[Turn]
) -> int:
    """Store a thread's earlier messages as the history of a new conversation; 0 if one exists."""
    if not turns:
        return 0
    with write_transaction(engine) as connection:
        if store.open_conversation_id_on(
            connection, channel=channel, chat_id=chat_id, thread_id=thread_id
        ):
            return 0
        conversation_id = store.conversation_id_on(
            connection, channel=channel, chat_id=chat_id, thread_id=thread_id
        )
        for turn in turns:
            store.add_message_on(
                connection,
                conversation_id=conversation_id,
                role=turn.role,
                text=turn.text,
                user_id=turn.user_id,
                platform_message_id=turn.platform_message_id,
            )
    return len(turns)


def find_post(posts: PostLog, *, channel: str, platform_message_id: str) -> Posted | None:
    """The reply posted as this platform message, with the thread it lives in; None if not ours."""
    posts.flush()  # this process's latest posts may still be waiting to be written
    with posts.engine.connect() as connection:
        found = store.find_post_on(
            connection, channel=channel, platform_message_id=platform_message_id
        )
    return None if found is None else Posted(*found)


def given_in(engine: Engine, *, reply_id: int, channel: str, chat_id: str, thread_id: str) -> bool:
    """Whether this reply was given in this channel's chat and thread (a click on an answer,
    or a form about one, names a reply: it must be one from the conversation it came from)."""
    with engine.connect() as connection:
        found = store.reply_place_on(connection, reply_id=reply_id)
    return found == (channel, chat_id, thread_id)


def reply_text(engine: Engine, *, reply_id: int) -> str:
    """The text of a stored reply (raises `NotFound` for an unknown id)."""
    with session_scope(engine) as session:
        return store.get_reply(session, reply_id=reply_id).text
