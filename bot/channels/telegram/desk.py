"""Telegram's part of the review desk: cards for reviewers who sent `/notify`, and handoffs.

A reviewer's answer to a Telegram customer goes back into the customer's chat as a
reply to their question, marked as coming from the team. Any process can send it:
the Bot API takes `sendMessage` from anyone holding the token (only `getUpdates`
has a single consumer), so the process where a reviewer pressed a button in Slack
delivers it, whether this bot polls there or in a worker.

The desk calls from plain threads; the Bot API client is asynchronous, so this end
keeps one event loop on a thread of its own and runs each call there.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels.telegram.app import file_url
from bot.channels.telegram.buttons import keyboard_kwargs
from bot.channels.telegram.desk_cards import DeskSigner, item_text, run_text
from bot.channels.telegram.setup import bot_token
from bot.config import Settings
from bot.desk.ends import DeskError, HandoffNote
from bot.desk.reports import RunReport
from bot.desk.views import ItemCard
from bot.desk.wording import Words, words_for

CHANNEL = "telegram"
CALL_TIMEOUT_S = 60.0
T = TypeVar("T")


def team_says(brand: str, text: str) -> str:
    """A reviewer's answer as the customer sees it: plainly the team's, not the bot's."""
    return f"💬 {brand} team / equipo de {brand}:\n\n{text}"


class TelegramDesk:
    """`bot.desk.ends.DeskEnd` for Telegram."""

    channel = CHANNEL

    def __init__(self, settings: Settings, language_of: Callable[[str], str]) -> None:
        self.settings = settings
        self.language_of = language_of  # a destination's reviewer's language (their /notify)
        self.signer = DeskSigner(bot_token(settings))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bot: Bot | None = None
        self._lock = threading.Lock()

    def destinations(self) -> list[str]:
        return []  # Telegram's destinations are the chats of reviewers who sent /notify

    # --- cards ----------------------------------------------------------------------
    def post_item(self, destination: str, card: ItemCard) -> str:
        chat, words = _chat(destination), self._words(destination)
        keyboard = self.signer.item_keyboard(chat, card, walking=False, words=words)
        return self._send(chat, item_text(card, words=words), keyboard_kwargs(keyboard))

    def update_item(self, destination: str, message_id: str, card: ItemCard) -> None:
        chat, words = _chat(destination), self._words(destination)
        keyboard = self.signer.item_keyboard(chat, card, walking=False, words=words)
        self._edit(chat, message_id, item_text(card, words=words), keyboard_kwargs(keyboard))

    def post_run(self, destination: str, report: RunReport) -> str:
        chat, words = _chat(destination), self._words(destination)
        keyboard = self.signer.run_keyboard(chat, report, words)
        return self._send(chat, run_text(report, words), keyboard_kwargs(keyboard))

    def update_run(self, destination: str, message_id: str, report: RunReport) -> None:
        chat, words = _chat(destination), self._words(destination)
        keyboard = self.signer.run_keyboard(chat, report, words)
        self._edit(chat, message_id, run_text(report, words), keyboard_kwargs(keyboard))

    def _words(self, destination: str) -> Words:
        return words_for(self.language_of(destination))

    # --- handing an answer back ----------------------------------------------------------
    def hand_off(self, note: HandoffNote) -> str:
        chat = int(note.chat_id)
        question = note.question_message_id.partition(":")[2] if note.question_message_id else ""
        quote = (
            ReplyParameters(int(question), allow_sending_without_reply=True) if question else None
        )
        topic = int(note.thread_id) if note.thread_id.isdigit() else None
        text = team_says(self.settings.brand_name, note.text)

        async def send(bot: Bot) -> str:
            sent = await bot.send_message(
                chat, text, reply_parameters=quote, message_thread_id=topic
            )
            return f"{chat}:{sent.message_id}"

        return self._call(send)

    # --- the Bot API, from any thread ---------------------------------------------------------
    def _send(self, chat: int, text: str, extra: dict[str, Any] | None) -> str:
        async def send(bot: Bot) -> str:
            sent = await bot.send_message(chat, text, api_kwargs=extra)
            return f"{chat}:{sent.message_id}"

        return self._call(send)

    def _edit(self, chat: int, message_id: str, text: str, extra: dict[str, Any] | None) -> None:
        message = int(message_id.partition(":")[2])

        async def edit(bot: Bot) -> None:
            try:
                await bot.edit_message_text(
                    text, chat_id=chat, message_id=message, api_kwargs=extra
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():  # the same text twice is no failure
                    raise

        self._call(edit)

    def _call(self, work: Callable[[Bot], Awaitable[T]]) -> T:
        loop, bot = self._started()
        future = asyncio.run_coroutine_threadsafe(_within(bot, work), loop)
        try:
            return future.result(CALL_TIMEOUT_S)
        except (BadRequest, Forbidden) as exc:  # the Bot API's own words: no token, no URL
            raise DeskError(f"Telegram refused: {exc.message}") from None
        except TelegramError as exc:  # a network failure's text may quote the URL (the token)
            raise DeskError(f"Telegram could not be reached ({type(exc).__name__})") from None
        except TimeoutError:
            future.cancel()
            raise DeskError("Telegram did not answer in time") from None

    def _started(self) -> tuple[asyncio.AbstractEventLoop, Bot]:
        with self._lock:
            if self._loop is None or self._bot is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="telegram-desk", daemon=True).start()
                api = self.settings.telegram_api_url
                self._bot = Bot(bot_token(self.settings), base_url=api, base_file_url=file_url(api))
                self._loop = loop
            return self._loop, self._bot


async def _within(bot: Bot, work: Callable[[Bot], Awaitable[T]]) -> T:
    await bot.initialize()  # once (getMe); later calls return at once
    return await work(bot)


def _chat(destination: str) -> int:
    return int(destination.partition(":")[2])
