"""A Telegram answer is written into a message posted before it, so it never shows twice.

Telegram keeps no idempotency key and a bot cannot read its chat back, so once
`sendMessage` has gone out, a process killed before it recorded the delivery
cannot tell whether the person has the answer. So a short placeholder ("one
moment…", in the asker's language, quoting the question in a group) is posted
first and its id kept with the question (`Questions.placed`) before any answer
goes out; the answer is then written into it with `editMessageText`, buttons
and all. Whoever delivers again after a crash edits the same message: an edit
that already got through is "not modified", which counts as delivered. A crash
between the placeholder's own send and the write of its id leaves at worst a
stray placeholder above the answer, never a second answer.

An answer longer than one message writes its first part into the placeholder;
each later part gets a placeholder of its own ("…"), kept with the first
(`<chat>:<first>,<second>,…`) before that part is written into it, so a delivery
repeated after a crash edits every part again and posts none twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, ReplyParameters
from telegram.error import TelegramError

from bot.channels.telegram.answering import edit_again, post_answer, send_again
from bot.channels.telegram.buttons import Keyboard
from bot.channels.telegram.records import platform_id, platform_ids
from bot.channels.telegram.texts import say_in

logger = logging.getLogger(__name__)

# Keeps the placeholders' platform id with the question (blocking or not, it is awaited).
Record = Callable[[str], Awaitable[None]]
KEPT = 255  # the stored ids' room (`question.placeholder_id`)
MORE = "…"  # a later part's placeholder, written over at once


class Place:
    """Where one question's answer goes: its chat, topic, the message quoted, the placeholder."""

    def __init__(
        self,
        bot: Bot,
        *,
        chat_id: int,
        thread_id: int | None,
        quote: int | None,
        language: str,
        placeholder_id: str | None = None,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.thread_id = thread_id
        self.quote = quote  # the question, quoted in a group (an edit keeps the quote)
        self.language = language
        self.message_ids = message_ids_of(placeholder_id, chat_id)  # one per part posted
        self._record: Record | None = None

    @property
    def message_id(self) -> int | None:
        """The first placeholder: where the answer starts."""
        return self.message_ids[0] if self.message_ids else None

    async def hold(self, record: Record) -> None:
        """Post the placeholder (unless one stands already) and keep its id with the question
        before anything else is sent. When its id cannot be kept the placeholder is taken
        down again and the error raised: an answer written into it could go out twice.
        `record` also keeps the placeholders of a long answer's later parts."""
        self._record = record
        if self.message_id is not None:
            return
        text = say_in(self.language, "placeholder")
        quote = None
        if self.quote:
            quote = ReplyParameters(self.quote, allow_sending_without_reply=True)
        sent = await send_again(
            lambda: self.bot.send_message(
                self.chat_id, text, message_thread_id=self.thread_id, reply_parameters=quote
            )
        )
        try:
            await record(platform_id(self.chat_id, sent.message_id))
        except Exception:
            await self._take_down(sent.message_id)
            raise
        self.message_ids = [sent.message_id]

    async def answer(self, text: str, keyboard: Keyboard | None, *, late: bool = False) -> int:
        """Write the answer in (or post it, with no placeholder); after a wait, say sorry
        in a new message quoting it (an edit notifies nobody). The answer's message id."""
        answered = await post_answer(
            self.bot,
            chat_id=self.chat_id,
            text=text,
            keyboard=keyboard,
            thread_id=self.thread_id,
            reply_to=self.quote,
            into=self.message_ids,
            reserve=self._reserve if self._record is not None and self.message_ids else None,
        )
        if late:
            sorry = say_in(self.language, "late")
            above = ReplyParameters(answered, allow_sending_without_reply=True)
            await send_again(
                lambda: self.bot.send_message(
                    self.chat_id, sorry, message_thread_id=self.thread_id, reply_parameters=above
                )
            )
        return answered

    async def _reserve(self) -> int:
        """A placeholder for one more part, kept with the others before the part goes out
        (taken down again when it cannot be kept: the part is then sent as it is)."""
        assert self._record is not None
        sent = await send_again(
            lambda: self.bot.send_message(self.chat_id, MORE, message_thread_id=self.thread_id)
        )
        ids = [*self.message_ids, sent.message_id]
        kept = platform_ids(self.chat_id, ids)
        if len(kept) > KEPT:
            return int(sent.message_id)  # no room: this part alone could be posted twice
        try:
            await self._record(kept)
        except Exception:
            await self._take_down(sent.message_id)
            raise
        self.message_ids = ids
        return int(sent.message_id)

    async def note(self, text: str) -> None:
        """Say `text` instead of an answer: in the placeholder if there is one."""
        if self.message_id is None or not await edit_again(
            self.bot, self.chat_id, self.message_id, text, None
        ):
            await send_again(
                lambda: self.bot.send_message(self.chat_id, text, message_thread_id=self.thread_id)
            )

    async def _take_down(self, message_id: int) -> None:
        try:
            await self.bot.delete_message(self.chat_id, message_id)
        except TelegramError as exc:
            logger.warning("a placeholder was left in a chat: %s", type(exc).__name__)


def message_ids_of(placeholder_id: str | None, chat_id: int) -> list[int]:
    """The message ids in a stored `<chat_id>:<id>[,<id>…]`, if they are this chat's."""
    if not placeholder_id:
        return []
    chat, _, messages = placeholder_id.rpartition(":")
    ids = messages.split(",")
    if chat != str(chat_id) or not all(i.isdigit() for i in ids):
        return []
    return [int(i) for i in ids]


def blocking_record(function: Callable[[str], None]) -> Record:
    """A `Record` from a blocking write, run on a thread of its own."""

    async def record(placeholder_id: str) -> None:
        await asyncio.to_thread(function, placeholder_id)

    return record
