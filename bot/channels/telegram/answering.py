"""How an answer reaches Telegram: typing, a streamed draft, then the real message(s).

Telegram recommends the typing action only when an answer takes a noticeable
time, so an answer ready within `NOTICEABLE_S` goes out with neither typing nor
draft. Typing and drafts are cosmetic, so they are best-effort: they share one
`CosmeticBudget` across all chats (in a burst they thin out instead of slowing
every answer down), and a failure there is logged and never costs anyone their
answer. Both are stopped, and a request already in flight awaited, *before* the
real message goes out, so no stale "typing…" or draft lands after the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ChatAction, MessageLimit
from telegram.error import TelegramError

logger = logging.getLogger(__name__)

NOTICEABLE_S = 0.25  # an answer taking longer than this shows "typing…"
TYPING_EVERY_S = 4.5  # Telegram shows "typing…" for 5 s per action
DRAFT_EVERY_S = 0.3  # at most one draft update per chat this often (the first one too)
COSMETIC_PER_S = 40.0  # typing actions and drafts per second, all chats together
LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096, counted in UTF-16 code units


class CosmeticBudget:
    """A token bucket for cosmetic calls: `per_second` a second, bursts of as many."""

    def __init__(self, per_second: float = COSMETIC_PER_S) -> None:
        self.per_second = per_second
        self._tokens = per_second
        self._at = time.monotonic()

    def take(self) -> bool:
        """Spend one call if the budget allows it (event-loop thread only)."""
        now = time.monotonic()
        self._tokens = min(self.per_second, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class Repeating:
    """Calls `action` after `first_after` s, then every `every` s until stopped.

    `action` returns False when the budget refused it: it is tried again after
    `DRAFT_EVERY_S` instead. A failure (a 429, a network error) ends it quietly.
    """

    def __init__(
        self,
        action: Callable[[], Awaitable[bool]],
        *,
        first_after: float,
        every: float,
        what: str,
    ) -> None:
        self.action = action
        self.first_after = first_after
        self.every = every
        self.what = what
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        wait = self.first_after
        while not await self._stopped_within(wait):
            try:
                done = await self.action()
            except TelegramError as exc:
                logger.debug("%s skipped: %s", self.what, exc)
                return
            wait = self.every if done else DRAFT_EVERY_S

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

    def __init__(
        self, bot: Bot, budget: CosmeticBudget, chat_id: int, draft_id: int, thread_id: int | None
    ) -> None:
        self.bot = bot
        self.budget = budget
        self.chat_id = chat_id
        self.draft_id = draft_id  # any non-zero id; edits of the same id animate
        self.thread_id = thread_id
        self.text = ""
        self._shown = ""
        self._loop = asyncio.get_running_loop()
        self._ticker = Repeating(
            self._show, first_after=DRAFT_EVERY_S, every=DRAFT_EVERY_S, what="draft"
        )

    def start(self) -> None:
        self._ticker.start()

    def feed(self, piece: str) -> None:
        """Called on the model's worker thread with each new piece of text."""
        self._loop.call_soon_threadsafe(self._add, piece)

    def _add(self, piece: str) -> None:
        self.text += piece

    async def _show(self) -> bool:
        text = fit(self.text)
        if not text.strip() or text == self._shown:
            return True  # nothing new to show
        if not self.budget.take():
            return False
        self._shown = text
        await self.bot.send_message_draft(
            self.chat_id, self.draft_id, text, message_thread_id=self.thread_id
        )
        return True

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


def typing(bot: Bot, budget: CosmeticBudget, chat_id: int, thread_id: int | None) -> Repeating:
    async def action() -> bool:
        if not budget.take():
            return False
        await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)
        return True

    return Repeating(action, first_after=NOTICEABLE_S, every=TYPING_EVERY_S, what="typing action")
