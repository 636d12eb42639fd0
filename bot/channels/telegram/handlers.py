"""Telegram updates in, core calls, Telegram messages out. No SQL or model calls here.

Where the bot speaks: every text in a private chat; in groups only when
mentioned, when someone replies to it, or with /ask. Everything blocking (the
responder, feedback, the database) runs on the worker pool, so one slow answer
never holds another chat; within one chat (or forum topic) answers keep order.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

from telegram import (
    CallbackQuery,
    ForceReply,
    MaybeInaccessibleMessage,
    Message,
    ReactionTypeEmoji,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    MessageReactionHandler,
    TypeHandler,
    filters,
)

from bot.app import Core
from bot.channels.telegram import records
from bot.channels.telegram.addressing import (
    MESSAGES,
    NOT_TEXT,
    PLAIN_TEXT,
    THUMBS_UP,
    ChatTurns,
    NotPlainText,
    RepliesToBot,
    RepliesToPrompt,
    delivery_key,
    question_for_bot,
    thread_of,
)
from bot.channels.telegram.answering import CosmeticBudget
from bot.channels.telegram.buttons import ButtonSigner, prompted_reply_id
from bot.channels.telegram.placeholder import Place
from bot.channels.telegram.receipts import Receipts, receipts_of
from bot.channels.telegram.replying import Replier
from bot.channels.telegram.texts import say
from bot.deliveries import first_delivery
from bot.errors import AfinaError, Repeated
from bot.messages import Incoming
from bot.tables import FeedbackKind

logger = logging.getLogger(__name__)

T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE


class Handlers:
    def __init__(self, core: Core, signer: ButtonSigner, workers: Executor) -> None:
        self.core = core
        self.signer = signer
        self.workers = workers
        self.turns = ChatTurns()
        self.cosmetics = CosmeticBudget()
        self.receipts = Receipts()  # the Application's, once registered
        self.replier = Replier(core, signer, self.cosmetics, self.blocking)

    def register(self, application: Application) -> None:
        # Group -1 runs first for every update but plain text: a repeated delivery stops there.
        application.add_handler(NotPlainText(Update, self.skip_repeats), group=-1)
        private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
        for handler in (
            CommandHandler("start", self.start),
            CommandHandler("help", self.help),
            CommandHandler("new", self.new),
            CommandHandler("ask", self.ask),
            MessageHandler(MESSAGES & RepliesToPrompt(), self.correction),
            MessageHandler(MESSAGES & private & filters.COMMAND, self.unknown_command),
            MessageHandler(MESSAGES & private & filters.TEXT, self.private_text),
            MessageHandler(MESSAGES & groups & filters.TEXT & ~filters.COMMAND, self.group_text),
            MessageHandler(MESSAGES & NOT_TEXT & (private | RepliesToBot()), self.not_text),
            CallbackQueryHandler(self.button),
            MessageReactionHandler(self.reaction),
        ):
            application.add_handler(handler)
        # Last for every update: the webhook may acknowledge it now (a question's, sooner).
        self.receipts = receipts_of(application)
        application.add_handler(TypeHandler(Update, self.handled), group=1)

    async def blocking(self, function: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run a blocking core call on the worker pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.workers, functools.partial(function, *args, **kwargs)
        )

    # --- every update ------------------------------------------------------------
    async def skip_repeats(self, update: Update, context: Context) -> None:
        """Stop a delivery we have already handled (Telegram retries, restarts).

        Plain text never comes here (`NotPlainText`): a question's update is recorded by
        the core in the same transaction as the question (one write less on every answer),
        the other handlers of text check with `first`, and text nobody acts on needs no record.
        """
        if not await self.first(update, context):
            self.receipts.done(update.update_id)
            raise ApplicationHandlerStop

    async def handled(self, update: Update, context: Context) -> None:
        self.receipts.done(update.update_id)

    async def first(self, update: Update, context: Context) -> bool:
        """False (and logged) for an update that was delivered before."""
        key = delivery_key(update, context)
        if await self.blocking(
            first_delivery, self.core.engine, channel=records.CHANNEL, event_key=key
        ):
            return True
        logger.info("update %s was delivered again; it is answered already", update.update_id)
        return False

    # --- commands ----------------------------------------------------------------
    async def start(self, update: Update, context: Context) -> None:
        """Greet in the brand's voice."""
        message, user = update.effective_message, update.effective_user
        if message is None:
            return
        name = f", {user.first_name}" if user and user.first_name else ""
        brand = self.core.settings.brand_name
        await message.reply_text(say("start", user, name=name, brand=brand))

    async def help(self, update: Update, context: Context) -> None:
        """Explain how to ask and how to rate answers."""
        if update.effective_message is not None:
            text = say("help", update.effective_user, username=context.bot.username)
            await update.effective_message.reply_text(text)

    async def new(self, update: Update, context: Context) -> None:
        """Start a fresh conversation in this chat (or forum topic)."""
        message = update.effective_message
        if message is None:
            return
        thread = thread_of(message)
        await self.blocking(
            records.start_fresh, self.core, chat_id=message.chat_id, thread_id=str(thread or "")
        )
        await message.reply_text(say("new", update.effective_user))

    async def ask(self, update: Update, context: Context) -> None:
        """Answer the question after /ask (the way to ask in a group)."""
        message = update.effective_message
        if message is None or update.effective_user is None:
            return
        parts = (message.text or "").split(maxsplit=1)
        if len(parts) < 2 or not parts[1].strip():
            await message.reply_text(say("ask_empty", update.effective_user))
            return
        await self.answer(message, update.effective_user, parts[1], update_id=update.update_id)

    async def unknown_command(self, update: Update, context: Context) -> None:
        """Point to /help for a command we don't know."""
        if update.effective_message is not None:
            await update.effective_message.reply_text(say("unknown_command", update.effective_user))

    # --- questions ---------------------------------------------------------------
    async def private_text(self, update: Update, context: Context) -> None:
        """Answer every text in a private chat."""
        message, user = update.effective_message, update.effective_user
        if message is not None and user is not None and message.text:
            await self.answer(
                message,
                user,
                message.text,
                delivery_key(update, context),
                update_id=update.update_id,
            )

    async def group_text(self, update: Update, context: Context) -> None:
        """Answer in a group only when the bot is mentioned or replied to."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        question = question_for_bot(message, context.bot)
        if question is None:
            return
        if not question:
            if await self.first(update, context):
                await message.reply_text(say("ask_empty", user))
            return
        await self.answer(
            message, user, question, delivery_key(update, context), update_id=update.update_id
        )

    async def not_text(self, update: Update, context: Context) -> None:
        """Say kindly that only text is understood."""
        if update.effective_message is not None:
            await update.effective_message.reply_text(say("text_only", update.effective_user))

    async def answer(
        self,
        message: Message,
        user: User,
        text: str,
        delivery: str | None = None,
        *,
        update_id: int = 0,
    ) -> None:
        """Store the question, then answer it in its turn (`Replier`): a placeholder, typing,
        a streamed draft in private chats, then the answer with its buttons written in.

        `delivery` is the update's key when no handler has recorded it yet; `update_id`
        the update's, acknowledged once the question is stored."""
        bot, chat_id, thread = message.get_bot(), message.chat_id, thread_of(message)
        private = message.chat.type == ChatType.PRIVATE
        incoming = Incoming(
            channel=records.CHANNEL,
            chat_id=str(chat_id),
            user_id=str(user.id),
            text=text,
            thread_id=str(thread or ""),
            platform_message_id=records.platform_id(chat_id, message.message_id),
            delivery_key=delivery,
            route=records.route(message, user),
            quoted=records.quoted(message, user),
        )
        try:  # stored before it waits its turn: Telegram has this update off its list now
            try:
                taken = await self.blocking(self.core.responder.take, incoming)
            finally:
                self.receipts.done(update_id)
        except Repeated:
            logger.info("update for message %s was delivered again", message.message_id)
            return
        except AfinaError as exc:  # e.g. nothing left of the text once cleaned
            await message.reply_text(exc.message)
            return
        place = Place(
            bot,
            chat_id=chat_id,
            thread_id=thread,
            quote=None if private else message.message_id,
            language=user.language_code or "",
            placeholder_id=taken.placeholder_id,
        )
        async with self.turns.turn(f"{chat_id}:{thread or ''}"):
            await self.replier.reply(place, taken, draft_id=message.message_id if private else None)

    # --- feedback ------------------------------------------------------------------
    async def button(self, update: Update, context: Context) -> None:
        """Record 👍 / 👎, or ask for the right answer on ✏️; refuse forged or stale buttons."""
        query = update.callback_query
        if query is None:
            return
        message = query.message
        pressed = self.signer.verify(message.chat.id, query.data) if message else None
        if message is None or pressed is None:
            await self.refuse(query)
            return
        mine = {"core": self.core, "reply_id": pressed.reply_id, "chat_id": message.chat.id}
        if pressed.kind == FeedbackKind.correct:
            if not await self.blocking(records.belongs_to_chat, **mine):
                await self.refuse(query)
                return
            await query.answer(say("correct_toast", query.from_user))
            await self.ask_for_correction(message, query.from_user, pressed.reply_id)
            return
        said = await self.blocking(
            records.rate,
            **mine,
            user_id=query.from_user.id,
            kind=pressed.kind,
            language=query.from_user.language_code,
        )
        if said is None:
            await self.refuse(query)
            return
        await query.answer(said)

    async def refuse(self, query: CallbackQuery) -> None:
        """Tell the presser the button is not valid here; log who tried."""
        chat_id = query.message.chat.id if query.message else None
        logger.warning(
            "refused feedback button from user %s in chat %s: %r",
            query.from_user.id,
            chat_id,
            (query.data or "")[:64],
        )
        await query.answer(say("button_invalid", query.from_user), show_alert=True)

    async def ask_for_correction(
        self, answer: MaybeInaccessibleMessage, user: User, reply_id: int
    ) -> None:
        """A ForceReply prompt under the answer; the reply to it is the correction."""
        text = say("correct_prompt", user, reply_id=reply_id)
        parse_mode = None
        if answer.chat.type != ChatType.PRIVATE:
            # Selective ForceReply opens the reply box only for users mentioned in the prompt.
            text = f"{user.mention_html()} {html.escape(text)}"
            parse_mode = ParseMode.HTML
        await answer.get_bot().send_message(
            answer.chat.id,
            text,
            parse_mode=parse_mode,
            message_thread_id=thread_of(answer),
            reply_markup=ForceReply(selective=True, input_field_placeholder="✏️"),
            reply_parameters=ReplyParameters(answer.message_id, allow_sending_without_reply=True),
        )

    async def correction(self, update: Update, context: Context) -> None:
        """Take the corrected answer sent in reply to a ✏️ prompt."""
        message, user = update.effective_message, update.effective_user
        reply_id = prompted_reply_id(message) if message else None
        if message is None or user is None or reply_id is None:
            return
        if PLAIN_TEXT.check_update(update) and not await self.first(update, context):
            return  # (anything else was checked by `skip_repeats`)
        if not (message.text or "").strip():
            await message.reply_text(say("correction_empty", user), do_quote=True)
            return
        said = await self.blocking(
            records.rate,
            self.core,
            reply_id=reply_id,
            chat_id=message.chat_id,
            user_id=user.id,
            kind=FeedbackKind.correct,
            corrected_text=message.text,
            language=user.language_code,
        )
        await message.reply_text(said or say("button_invalid", user), do_quote=True)

    async def reaction(self, update: Update, context: Context) -> None:
        """A 👍 reaction on an answer counts as approval."""
        changed = update.message_reaction
        if changed is None or changed.user is None:  # anonymous reactions teach nothing
            return
        before = {r.emoji for r in changed.old_reaction if isinstance(r, ReactionTypeEmoji)}
        after = {r.emoji for r in changed.new_reaction if isinstance(r, ReactionTypeEmoji)}
        if THUMBS_UP not in after - before:
            return
        chat_id = changed.chat.id
        reply_id = await self.blocking(
            records.answer_at, self.core, chat_id=chat_id, message_id=changed.message_id
        )
        if reply_id is None:
            return
        said = await self.blocking(
            records.rate,
            self.core,
            reply_id=reply_id,
            chat_id=chat_id,
            user_id=changed.user.id,
            kind=FeedbackKind.approve,
            language=changed.user.language_code,
        )
        # Not what was said: the confirmation quotes the question, a person's words.
        outcome = "recorded" if said is not None else "ignored: not this chat's"
        logger.info("👍 reaction on reply %s by %s %s", reply_id, changed.user.id, outcome)
