"""The few core calls the Telegram handlers make; blocking, so handlers run them on a worker.

Telegram message ids are only unique within a chat, so an answer's platform id
is `<chat_id>:<message_id>`.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, User
from telegram.constants import ChatType

from bot import feedback, store
from bot.app import Core
from bot.db import session_scope, write_transaction
from bot.errors import AfinaError, NotFound
from bot.messages import Answer
from bot.tables import FeedbackKind
from bot.threads import find_post

CHANNEL = "telegram"


def platform_id(chat_id: int, message_id: int) -> str:
    return f"{chat_id}:{message_id}"


def platform_ids(chat_id: int, message_ids: list[int]) -> str:
    """Several messages of one chat, in order (a long answer's placeholders)."""
    return f"{chat_id}:{','.join(map(str, message_ids))}"


def delivered(core: Core, *, answer: Answer, chat_id: int, message_id: int) -> None:
    """Telegram has the answer: its question is done, and the message maps to its reply."""
    core.questions.posted(
        answer.question_id,
        reply_id=answer.reply_id,
        posted_as=platform_id(chat_id, message_id),
    )


def route(message: Message, user: User) -> dict[str, Any]:
    """What a late delivery needs besides the chat and topic: whether the chat is private,
    the message to quote in a group, the asker's language."""
    return {
        "private": message.chat.type == ChatType.PRIVATE,
        "message_id": message.message_id,
        "language": user.language_code or "",
    }


def quoted(message: Message, user: User) -> tuple[str, str] | None:
    """Someone else's message this one replies to (not the bot's, not the asker's own)."""
    earlier = message.reply_to_message
    author = earlier.from_user if earlier is not None else None
    if earlier is None or author is None or author.is_bot or author.id == user.id:
        return None
    text = earlier.text or earlier.caption or ""
    return (f"{CHANNEL}:{author.id}", text) if text.strip() else None


def answer_at(core: Core, *, chat_id: int, message_id: int) -> int | None:
    """The reply posted as this message, if it is one of our answers."""
    posted = find_post(
        core.posts, channel=CHANNEL, platform_message_id=platform_id(chat_id, message_id)
    )
    return posted.reply_id if posted else None


def belongs_to_chat(core: Core, *, reply_id: int, chat_id: int) -> bool:
    """Whether this reply was given in this Telegram chat (stale or foreign ids are not)."""
    with session_scope(core.engine) as session:
        try:
            reply = store.get_reply(session, reply_id=reply_id)
        except NotFound:
            return False
        return reply.channel == CHANNEL and reply.chat_id == str(chat_id)


def rate(
    core: Core,
    *,
    reply_id: int,
    chat_id: int,
    user_id: int,
    kind: FeedbackKind,
    corrected_text: str | None = None,
    language: str | None = None,
) -> str | None:
    """Apply the teaching rules to one 👍/👎/✏️; the confirmation (in the presser's app's
    `language`), or None if not this chat's."""
    with session_scope(core.engine) as session:
        try:
            reply = store.get_reply(session, reply_id=reply_id)
        except NotFound:
            return None
        if reply.channel != CHANNEL or reply.chat_id != str(chat_id):
            return None
        try:
            outcome = feedback.give(
                session,
                core.settings,
                knowledge=core.knowledge,
                reply_id=reply_id,
                user=f"{CHANNEL}:{user_id}",
                kind=kind,
                corrected_text=corrected_text,
                language=language,
            )
        except AfinaError as exc:  # e.g. 👍 on the "model unavailable" notice
            return exc.message
        return outcome.message


def start_fresh(core: Core, *, chat_id: int, thread_id: str) -> None:
    with write_transaction(core.engine) as connection:
        store.close_conversation_on(
            connection, channel=CHANNEL, chat_id=str(chat_id), thread_id=thread_id
        )
