"""Which Telegram updates are meant for the bot, and where each belongs (chat, topic, turn).

In private chats every text is a question; in groups only a mention of the bot,
a reply to one of its messages, or /ask. History and answers stay inside a forum
topic, and within one chat (or topic) answers keep the order they were asked in.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot, MaybeInaccessibleMessage, Message, MessageEntity, Update
from telegram.ext import ContextTypes, TypeHandler, filters

from bot.channels.telegram.buttons import prompted_reply_id

Context = ContextTypes.DEFAULT_TYPE

MESSAGES = filters.UpdateType.MESSAGE  # new messages only: an edit is not a new question
NOT_TEXT = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
)
THUMBS_UP = "👍"
PLAIN_TEXT = MESSAGES & filters.TEXT & ~filters.COMMAND


class NotPlainText(TypeHandler[Update, Context, None]):
    """A `TypeHandler` that lets plain text pass by without a call (and its context)."""

    def check_update(self, update: object) -> bool:
        return isinstance(update, Update) and not PLAIN_TEXT.check_update(update)


def delivery_key(update: Update, context: Context) -> str:
    """An update's id is unique per bot."""
    return f"{context.bot.id}:{update.update_id}"


class RepliesToBot(filters.MessageFilter):
    """A reply to one of the bot's own messages (not a forum topic's opening message)."""

    def filter(self, message: Message) -> bool:
        return replies_to_bot(message)


class RepliesToPrompt(filters.MessageFilter):
    """A reply to the bot's ✏️ prompt: the correction it asked for."""

    def filter(self, message: Message) -> bool:
        return prompted_reply_id(message) is not None


def replies_to_bot(message: Message) -> bool:
    quoted = message.reply_to_message
    return (
        quoted is not None
        and quoted.from_user is not None
        and quoted.from_user.id == message.get_bot().id
        and quoted.forum_topic_created is None
    )


def thread_of(message: MaybeInaccessibleMessage) -> int | None:
    """The forum topic a message is in; history and answers stay inside it."""
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


def question_for_bot(message: Message, bot: Bot) -> str | None:
    """The question in a group message, if it is meant for the bot (mention or reply)."""
    text = message.text or ""
    mentions = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    handle = f"@{bot.username}".lower()
    mentioned = False
    for entity, value in mentions.items():
        if entity.type == MessageEntity.MENTION and value.lower() == handle:
            mentioned = True
            text = text.replace(value, " ")
        elif entity.user is not None and entity.user.id == bot.id:
            mentioned = True
    if not mentioned and not replies_to_bot(message):
        return None
    return re.sub(r"\s+", " ", text).strip(" ,:;")


class ChatTurns:
    """One answer at a time per chat (and topic), so answers come in the order asked."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: Counter[str] = Counter()

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]
