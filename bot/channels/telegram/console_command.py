"""`/console`: a reviewer gets a one-time sign-in link to the web console, in private.

Thin: `bot.signin.console_link` decides who is a reviewer and makes the link. In a
group the bot only says to ask in private, so a link is never shown to others; the
link's preview is switched off, so Telegram does not open it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor

from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.app import Core
from bot.channels.telegram import records
from bot.channels.telegram.texts import say
from bot.errors import BadInput
from bot.signin import console_link

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def register(application: Application, core: Core, workers: Executor) -> None:
    """Add the handler; before the others, so the unknown-command reply does not catch it."""

    async def console(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send a reviewer a one-time link into the web console (private chats only)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if message.chat.type != ChatType.PRIVATE:
            await message.reply_text(say("console_private", user))
            return
        identity = f"{records.CHANNEL}:{user.id}"
        loop = asyncio.get_running_loop()
        try:
            link = await loop.run_in_executor(workers, console_link, core, identity)
        except BadInput:
            await message.reply_text(say("console_not_reviewer", user))
            return
        minutes = max(1, core.settings.console_link_ttl_s // 60)
        await message.reply_text(
            say("console_link", user, link=link, minutes=minutes), link_preview_options=NO_PREVIEW
        )

    application.add_handler(CommandHandler("console", console))
