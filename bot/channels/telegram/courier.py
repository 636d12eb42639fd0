"""Delivering a question late into its Telegram chat (`bot.recovery.Courier`).

Any process with the token can: a Bot of its own (no polling, no webhook), on an
event loop of its own, for the few late questions of one recovery pass. The answer
is written into the question's placeholder (`bot.channels.telegram.placeholder`):
the one the process that died had posted, or one posted now and kept before the
answer goes out, so a delivery repeated after another crash edits the same
message. Then it says sorry for the wait in the asker's language, quoting the
answer (a new message: an edit notifies nobody). Too late for an answer, the
polite note takes the placeholder's place (or is posted, without one).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot

from bot.channels.telegram.app import file_url
from bot.channels.telegram.buttons import ButtonSigner
from bot.channels.telegram.placeholder import Place, blocking_record
from bot.channels.telegram.records import platform_id
from bot.channels.telegram.setup import bot_token
from bot.channels.telegram.texts import say_in
from bot.config import Settings
from bot.recovery import Late

logger = logging.getLogger(__name__)


class TelegramCourier:
    def __init__(self, settings: Settings) -> None:
        self.token = bot_token(settings)
        self.api_url = settings.telegram_api_url
        self.signer = ButtonSigner(self.token)

    def deliver(self, late: Late) -> str | None:
        return asyncio.run(self._deliver(late))

    async def _deliver(self, late: Late) -> str | None:
        pending, route = late.pending, late.pending.route
        chat_id = int(pending.chat_id)
        private = bool(route.get("private", chat_id > 0))
        asked_in = route.get("message_id")
        bot = Bot(self.token, base_url=self.api_url, base_file_url=file_url(self.api_url))
        async with bot:
            place = Place(
                bot,
                chat_id=chat_id,
                thread_id=int(pending.thread_id) if pending.thread_id else None,
                quote=None if private or not asked_in else int(asked_in),
                language=str(route.get("language") or ""),
                placeholder_id=pending.placeholder_id,
            )
            if late.answer is None:
                await place.note(say_in(place.language, "too_late"))
                return None
            if late.placed is not None:
                await place.hold(blocking_record(late.placed))
            answer = await asyncio.to_thread(late.answer)
            keyboard = self.signer.keyboard(chat_id, answer.reply_id) if answer.ok else None
            answered = await place.answer(answer.text, keyboard, late=True)
        return platform_id(chat_id, answered)
