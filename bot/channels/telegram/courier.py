"""Delivering a question late into its Telegram chat (`bot.recovery.Courier`).

Any process with the token can: a Bot of its own (no polling, no webhook), on an
event loop of its own, for the few late questions of one recovery pass. It says
sorry for the wait in the asker's language, then posts the answer with its
signed 👍 / 👎 / ✏️ buttons as `Handlers.answer` would (quoting the question in a
group), each message sent again after a transient failure.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot

from bot.channels.telegram.answering import post_answer, send_again
from bot.channels.telegram.app import file_url
from bot.channels.telegram.buttons import ButtonSigner
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
        thread = int(pending.thread_id) if pending.thread_id else None
        language = str(route.get("language") or "")
        private = bool(route.get("private", chat_id > 0))
        asked_in = route.get("message_id")
        quote = None if private or not asked_in else int(asked_in)
        bot = Bot(self.token, base_url=self.api_url, base_file_url=file_url(self.api_url))
        async with bot:
            first = say_in(language, "late" if late.answer is not None else "too_late")
            await send_again(lambda: bot.send_message(chat_id, first, message_thread_id=thread))
            if late.answer is None:
                return None
            answer = await asyncio.to_thread(late.answer)
            keyboard = self.signer.keyboard(chat_id, answer.reply_id) if answer.ok else None
            sent = await post_answer(
                bot,
                chat_id=chat_id,
                text=answer.text,
                keyboard=keyboard,
                thread_id=thread,
                reply_to=quote,
            )
        return platform_id(chat_id, sent.message_id)
