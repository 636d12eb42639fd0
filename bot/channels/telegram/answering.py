"""How an answer reaches Telegram: typing, a streamed draft, then the real message(s).

The typing action and drafts are cosmetic and best-effort: a failure there is
logged and never costs the person their answer. Both are stopped, and any
request already in flight awaited, *before* the real message goes out, so no
stale "typing…" or draft can land after the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ChatAction, MessageLimit
from telegram.error import TelegramError

logger = logging.getLogger(__name__)

TYPING_EVERY_S = 4.5  # Telegram shows "typing…" for 5 s per action
DRAFT_EVERY_S = 0.3  # at most one draft update per chat this often
LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096, counted in UTF-16 code units


class Repeating:
    """Calls `action` now and then every `every` seconds until stopped; failures end it quietly."""

    def __init__(self, action: Callable[[], Awaitable[object]], every: float, what: str) -> None:
        self.action = action
        self.every = every
        self.what = what
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self, *, first_after: float = 0.0) -> None:
        self._task = asyncio.create_task(self._run(first_after))

    async def _run(self, first_after: float) -> None:
        wait = first_after
        while not await self._stopped_within(wait):
            try:
                await self.action()
            except TelegramError as exc:
                logger.debug("%s skipped: %s", self.what, exc)
                return
            wait = self.every

    async def _stopped_within(self, seconds: float) -> bool:
        if seconds <= 0:
            return self._stop.is_set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        return self._stop.is_set()

    async def stop(self) -> None:
        """Stop, letting a request already on the wire finish first."""
        self._stop.set()
        if self._task is not None:
            await self._task


class Draft:
    """The answer as it streams in, shown as a draft message (private chats)."""

    def __init__(self, bot: Bot, chat_id: int, draft_id: int, thread_id: int | None) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.draft_id = draft_id  # any non-zero id; edits of the same id animate
        self.thread_id = thread_id
        self.text = ""
        self._shown = ""
        self._loop = asyncio.get_running_loop()
        self._ticker = Repeating(self._show, DRAFT_EVERY_S, "draft")

    def start(self) -> None:
        # The first draft waits one interval too: an answer done by then needs no draft.
        self._ticker.start(first_after=DRAFT_EVERY_S)

    def feed(self, piece: str) -> None:
        """Called on the model's worker thread with each new piece of text."""
        self._loop.call_soon_threadsafe(self._add, piece)

    def _add(self, piece: str) -> None:
        self.text += piece

    async def _show(self) -> None:
        text = fit(self.text)
        if text.strip() and text != self._shown:
            self._shown = text
            await self.bot.send_message_draft(
                self.chat_id, self.draft_id, text, message_thread_id=self.thread_id
            )

    async def stop(self) -> None:
        await self._ticker.stop()


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int = LIMIT) -> str:
    """The longest prefix of `text` within Telegram's length limit."""
    if utf16_len(text) <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Cut a long answer into messages at paragraph, line, sentence or word breaks."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        head = fit(rest, limit)
        cut = _best_break(head)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts or [""]


def _best_break(head: str) -> int:
    """Where to end a message that must fit in `head`: the latest natural break past halfway."""
    floor = len(head) // 2
    for separator in ("\n\n", "\n", ". ", "! ", "? ", " "):
        at = head.rfind(separator, floor)
        if at > 0:
            return at + len(separator)
    return len(head)  # one enormous word: cut it


async def post_answer(
    bot: Bot,
    *,
    chat_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
    thread_id: int | None,
    reply_to: int | None,
) -> Message:
    """Post the answer, split if needed, with the keyboard under the last part."""
    *first, last = split_text(text)
    quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    for part in first:
        await bot.send_message(chat_id, part, message_thread_id=thread_id, reply_parameters=quote)
        quote = None
    return await bot.send_message(
        chat_id, last, message_thread_id=thread_id, reply_markup=keyboard, reply_parameters=quote
    )


def typing(bot: Bot, chat_id: int, thread_id: int | None) -> Repeating:
    async def action() -> None:
        await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)

    return Repeating(action, TYPING_EVERY_S, "typing action")
