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
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Bot, ReplyParameters
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.buttons import Keyboard, keyboard_kwargs

logger = logging.getLogger(__name__)

# Posts one more placeholder for a part of a long answer and keeps it; its message id.
Reserve = Callable[[], Awaitable[int]]

NOTICEABLE_S = 0.25  # an answer taking longer than this shows "typing…"
TYPING_EVERY_S = 4.5  # Telegram shows "typing…" for 5 s per action
DRAFT_EVERY_S = 0.3  # at most one draft update per chat this often (the first one too)
COSMETIC_PER_S = 40.0  # typing actions and drafts per second, all chats together
LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096, counted in UTF-16 code units
SEND_BACKOFF_S = (0.5, 1.0, 2.0, 4.0)  # waits before each new try of a part of an answer
MAX_RETRY_AFTER_S = 60.0  # a longer wait Telegram asks for is cut short (the claim holds)


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


# What a `Repeating` calls each time: the request to send now, or None when there is
# nothing to send (no budget left, nothing new): then it asks again after DRAFT_EVERY_S.
Attempt = Callable[[], Awaitable[Any] | None]


class Repeating:
    """Calls `attempt` after `first_after` s, then every `every` s until stopped.

    When `attempt` has nothing to send (the budget refused it) it is asked again
    after `DRAFT_EVERY_S` instead. A failure (a 429, a network error) ends it quietly.
    Driven by the loop's timers, with a task only while a request is on the wire:
    in a burst every answer holds a typing action and a draft, and a task waking
    every 0.3 s through `asyncio.wait_for` only to hear "no budget" costs more
    CPU than the answers themselves.
    """

    def __init__(self, attempt: Attempt, *, first_after: float, every: float, what: str) -> None:
        self.attempt = attempt
        self.first_after = first_after
        self.every = every
        self.what = what
        self._stopped = False
        self._timer: asyncio.TimerHandle | None = None
        self._sending: asyncio.Future[None] | None = None

    def start(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self.first_after, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._stopped:
            return
        request = self.attempt()
        if request is None:
            self._timer = asyncio.get_running_loop().call_later(DRAFT_EVERY_S, self._fire)
            return
        self._sending = asyncio.ensure_future(self._send(request))

    async def _send(self, request: Awaitable[Any]) -> None:
        try:
            await request
        except TelegramError as exc:
            logger.debug("%s skipped: %s", self.what, exc)
            return
        if not self._stopped:
            self._timer = asyncio.get_running_loop().call_later(self.every, self._fire)

    async def stop(self) -> None:
        """Stop, letting a request already on the wire finish first."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._sending is not None:
            await self._sending


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
        self._pieces: list[str] = []
        self._shown = ""
        self._ticker = Repeating(
            self._attempt, first_after=DRAFT_EVERY_S, every=DRAFT_EVERY_S, what="draft"
        )

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    def start(self) -> None:
        self._ticker.start()

    def feed(self, piece: str) -> None:
        """Called on the model's worker thread with each new piece of text.

        A list append is atomic, so the pieces wait here for the next tick: no
        lock, and no wake-up of the event loop for every token a model streams.
        """
        self._pieces.append(piece)

    def _attempt(self) -> Awaitable[Any] | None:
        text = fit(self.text)
        if not text.strip() or text == self._shown:
            return None  # nothing new to show
        if not self.budget.take():
            return None
        self._shown = text
        return self.bot.send_message_draft(
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
    keyboard: Keyboard | None,
    thread_id: int | None,
    reply_to: int | None,
    into: Sequence[int] = (),
    reserve: Reserve | None = None,
) -> int:
    """Post the answer, split if needed, with the keyboard under the last part; the id of
    that last message. `into`: messages posted before (the placeholders), which the parts
    are written into in order, so that doing this again after a crash edits them instead of
    posting the answer twice. `reserve`: posts and keeps one more placeholder for a part
    beyond those, before that part goes out. Each part is sent again after a transient
    failure (`send_again`), so a ready answer is never lost to a dropped connection."""
    parts = split_text(text)
    quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    standing = list(into)
    kept: list[int] = []
    for number, part in enumerate(parts, start=1):
        markup = keyboard_kwargs(keyboard) if number == len(parts) else None
        if len(standing) < number and reserve is not None and number > 1:
            standing.append(await reserve())
        target = standing[number - 1] if len(standing) >= number else None
        if target is not None and await edit_again(bot, chat_id, target, part, markup):
            kept.append(target)
            continue
        first = quote if number == 1 else None
        kept.append(await _send_part(bot, chat_id, part, thread_id, first, markup))
    return kept[-1]


async def _send_part(
    bot: Bot,
    chat_id: int,
    text: str,
    thread_id: int | None,
    quote: ReplyParameters | None,
    markup: dict[str, Any] | None,
) -> int:
    sent = await send_again(
        lambda: bot.send_message(
            chat_id, text, message_thread_id=thread_id, reply_parameters=quote, api_kwargs=markup
        )
    )
    return int(sent.message_id)


async def edit_again(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: dict[str, Any] | None
) -> bool:
    """Write `text` (and its keyboard) into a message of ours, tried again after a transient
    failure like a send; True once it reads so, also when it did already ("message is not
    modified": an edit that got through before a crash or a dropped connection). False when
    the message cannot be edited (deleted, too old): the caller posts a new one instead."""

    async def edit() -> bool:
        try:
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, api_kwargs=markup
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            logger.warning("message %s could not be edited (%s)", message_id, exc.message)
            return False
        return True

    return await send_again(edit)


T = TypeVar("T")


async def send_again(send: Callable[[], Awaitable[T]]) -> T:
    """`send()`, tried again with back-off after a transient failure: a dropped or reset
    connection, a timeout, a 5xx (`NetworkError`), a 429 (`RetryAfter`: after the wait
    Telegram names; in a running bot the rate limiter has waited and tried first). Anything
    Telegram refuses (a 400, a 403) fails at once."""
    for wait in SEND_BACKOFF_S:
        try:
            return await send()
        except BadRequest:
            raise  # a `NetworkError` in PTB's tree, but a refusal: sending again won't help
        except RetryAfter as exc:
            asked = retry_after_s(exc.retry_after)
            logger.warning("Telegram asked to wait %g s before sending again", asked)
            await asyncio.sleep(min(asked, MAX_RETRY_AFTER_S))
        except NetworkError as exc:
            logger.warning("sending an answer failed (%s); again in %g s", _what(exc), wait)
            await asyncio.sleep(wait)
    return await send()


def retry_after_s(retry_after: float | timedelta) -> float:
    """`RetryAfter.retry_after`: seconds in PTB 21, a `timedelta` in 22."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


def _what(exc: NetworkError) -> str:
    """A network failure in a log line: the kind, never the URL (which holds the token)."""
    cause = exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__


def typing(bot: Bot, budget: CosmeticBudget, chat_id: int, thread_id: int | None) -> Repeating:
    def attempt() -> Awaitable[Any] | None:
        if not budget.take():
            return None
        return bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)

    return Repeating(attempt, first_after=NOTICEABLE_S, every=TYPING_EVERY_S, what="typing action")
