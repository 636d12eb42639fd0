"""The review desk in a reviewer's private chat: `/review`, `/notify`, and the cards' buttons.

- `/review` walks the open items one by one: Approve / Edit / Reject (a suggestion),
  Correct / Dismiss (a 👎), Answer / Dismiss (an unanswered question), and Skip.
  Edit, Correct and Answer ask for the words with a ForceReply prompt; the reply to
  it is the answer.
- `/notify` opts the chat in to the desk's cards as they come (`/notify off` stops).

Thin: who may act and what an action does is `bot.desk`; blocking core calls run on
the worker pool. Reviewers only, in private chats only (a card holds a customer's
question); anyone else is told so, and a press from them changes nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

from telegram import CallbackQuery, ForceReply, Message, ReplyParameters, Update, User
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import Core
from bot.channels.telegram import records
from bot.channels.telegram.addressing import MESSAGES, PLAIN_TEXT, delivery_key
from bot.channels.telegram.buttons import keyboard_kwargs
from bot.channels.telegram.desk_cards import (
    PROMOTE,
    ROLLBACK,
    SKIP,
    TEXT_ACTION,
    DeskPress,
    DeskSigner,
    item_text,
    prompt_text,
    prompted_item,
)
from bot.channels.telegram.desk_texts import say
from bot.channels.telegram.texts import say as say_common
from bot.deliveries import first_delivery
from bot.desk import actions, runs, walk
from bot.desk.actions import AlreadyHandled, NotReviewer
from bot.desk.views import NEEDS_TEXT, ItemCard
from bot.desk.wording import Words, words_for
from bot.errors import AfinaError
from bot.identity import is_reviewer

logger = logging.getLogger(__name__)

T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE


class AnswersDeskPrompt(filters.MessageFilter):
    """A reply to one of the bot's desk prompts: a reviewer's answer to an item."""

    def filter(self, message: Message) -> bool:
        return prompted_item(message) is not None


class Review:
    def __init__(self, core: Core, signer: DeskSigner, workers: Executor) -> None:
        self.core = core
        self.signer = signer
        self.workers = workers

    def register(self, application: Application) -> None:
        """Before the answering handlers: a reply to a desk prompt is not a question."""
        private = filters.ChatType.PRIVATE
        application.add_handler(CommandHandler("review", self.review))
        application.add_handler(CommandHandler("notify", self.notify))
        application.add_handler(CallbackQueryHandler(self.press, pattern=r"^[du]:"))
        application.add_handler(
            MessageHandler(MESSAGES & private & filters.TEXT & AnswersDeskPrompt(), self.answered)
        )

    async def blocking(self, function: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.workers, functools.partial(function, *args, **kwargs)
        )

    def identity(self, user: User) -> str:
        return f"{records.CHANNEL}:{user.id}"

    async def allowed(self, message: Message, user: User, command: str) -> bool:
        """Private chats and reviewers only; anyone else is told why."""
        if message.chat.type != ChatType.PRIVATE:
            await message.reply_text(say("private", user, command=command))
            return False
        if not is_reviewer(self.identity(user), self.core.settings):
            await message.reply_text(say("not_reviewer", user))
            return False
        return True

    # --- commands ---------------------------------------------------------------------
    async def review(self, update: Update, context: Context) -> None:
        """Walk the open items one by one, oldest first."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not await self.allowed(message, user, "/review"):
            return
        card, total = await self.blocking(walk.next_open, self.core, user=self.identity(user))
        if card is None:
            await message.reply_text(say("empty", user))
            return
        words = words_for(user.language_code)
        keyboard = self.signer.item_keyboard(message.chat_id, card, walking=True, words=words)
        await message.reply_text(
            item_text(card, heading=say("heading", user, total=total), words=words),
            api_kwargs=keyboard_kwargs(keyboard),
        )

    async def notify(self, update: Update, context: Context) -> None:
        """Opt this chat in to the desk's cards (`/notify off` opts out)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not await self.allowed(message, user, "/notify"):
            return
        destination = f"{records.CHANNEL}:{message.chat_id}"
        if (message.text or "").split()[1:2] == ["off"]:
            gone = await self.blocking(walk.unsubscribe, self.core, destination=destination)
            await message.reply_text(say("notify_off" if gone else "notify_was_off", user))
            return
        added = await self.blocking(
            walk.subscribe,
            self.core,
            user=self.identity(user),
            destination=destination,
            language=user.language_code or "",
        )
        await message.reply_text(say("notify_on" if added else "notify_again", user))

    # --- buttons ----------------------------------------------------------------------------
    async def press(self, update: Update, context: Context) -> None:
        """A desk button: act, ask for the words, skip, or a run's Roll back / Promote anyway."""
        query = update.callback_query
        if query is None or query.message is None:
            return
        pressed = self.signer.verify(query.message.chat.id, query.data)
        if pressed is None:
            await query.answer(say_common("button_invalid", query.from_user), show_alert=True)
            return
        user = self.identity(query.from_user)
        words = words_for(query.from_user.language_code)
        try:
            if pressed.what == "u":
                said = await self.run_press(pressed, user, words)
            elif pressed.code == SKIP:
                await query.answer()
                await self.next_after(query, pressed.target, user, words, edit=True)
                return
            else:
                pressed_said = await self.item_press(query, pressed, user, words)
                if pressed_said is None:
                    return
                said = pressed_said
        except NotReviewer:
            said = say("not_reviewer", query.from_user)
        except AfinaError as exc:
            said = exc.message
        await query.answer(said[:200], show_alert=len(said) > 200)

    async def item_press(
        self, query: CallbackQuery, pressed: DeskPress, user: str, words: Words
    ) -> str | None:
        action = pressed.action
        if action is None:
            return None
        if action in NEEDS_TEXT:
            card = await self.blocking(
                actions.can_act, self.core, item_id=pressed.target, user=user, words=words
            )
            await query.answer(say("ask_words", query.from_user))
            await query.get_bot().send_message(
                query.message.chat.id,  # type: ignore[union-attr]
                prompt_text(card, words),
                reply_markup=ForceReply(selective=True, input_field_placeholder="✏️"),
            )
            return None
        try:
            acted = await self.blocking(
                actions.act,
                self.core,
                item_id=pressed.target,
                user=user,
                action=action,
                words=words,
            )
        except AlreadyHandled as exc:
            await self.blocking(self.core.desk.refresh_item, pressed.target)
            await self.redraw(query, exc.card, words)
            return exc.message
        await self.redraw(query, acted.card, words)
        if pressed.walking:
            await self.next_after(query, pressed.target, user, words, edit=False)
        return acted.message

    async def run_press(self, pressed: DeskPress, user: str, words: Words) -> str:
        mine = {"run_id": pressed.target, "user": user, "words": words}
        if pressed.code == ROLLBACK:
            return await self.blocking(runs.roll_back, self.core, **mine)
        if pressed.code == PROMOTE:
            return await self.blocking(runs.promote_anyway, self.core, **mine)
        return ""

    async def redraw(self, query: CallbackQuery, card: ItemCard, words: Words) -> None:
        """The pressed card as the item is now (a walk's card is no desk card: redrawn here)."""
        chat_id = query.message.chat.id  # type: ignore[union-attr]
        keyboard = self.signer.item_keyboard(chat_id, card, walking=True, words=words)
        text = item_text(card, words=words)
        try:
            await query.edit_message_text(text, api_kwargs=keyboard_kwargs(keyboard))
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                logger.warning("could not redraw a desk card: %s", exc.message)

    async def next_after(
        self, query: CallbackQuery, item_id: int, user: str, words: Words, *, edit: bool
    ) -> None:
        card, _total = await self.blocking(walk.next_open, self.core, user=user, after_id=item_id)
        chat_id = query.message.chat.id  # type: ignore[union-attr]
        if card is None:
            if edit:
                await query.edit_message_text(say("done", query.from_user))
            else:
                await query.get_bot().send_message(chat_id, say("done", query.from_user))
            return
        keyboard = self.signer.item_keyboard(chat_id, card, walking=True, words=words)
        text = item_text(card, words=words)
        if edit:
            await query.edit_message_text(text, api_kwargs=keyboard_kwargs(keyboard))
        else:
            await query.get_bot().send_message(chat_id, text, api_kwargs=keyboard_kwargs(keyboard))

    # --- the reviewer's words ----------------------------------------------------------------
    async def answered(self, update: Update, context: Context) -> None:
        """The reply to a desk prompt: the item answered (or edited, or corrected) with it."""
        message, user = update.effective_message, update.effective_user
        item_id = prompted_item(message) if message else None
        if message is None or user is None or item_id is None:
            return
        if PLAIN_TEXT.check_update(update) and not await self.blocking(
            first_delivery,
            self.core.engine,
            channel=records.CHANNEL,
            event_key=delivery_key(update, context),
        ):
            return
        if not (message.text or "").strip():
            await message.reply_text(say("empty_words", user), do_quote=True)
            return
        identity = self.identity(user)
        try:
            card = await self.blocking(actions.card_of, self.core, item_id)
            acted = await self.blocking(
                actions.act,
                self.core,
                item_id=item_id,
                user=identity,
                action=TEXT_ACTION[card.kind],
                text=message.text,
                words=words_for(user.language_code),
            )
            said = acted.message
        except NotReviewer:
            said = say("not_reviewer", user)
        except AfinaError as exc:
            said = exc.message
        _next, left = (
            await self.blocking(walk.next_open, self.core, user=identity)
            if is_reviewer(identity, self.core.settings)
            else (None, 0)
        )
        await message.reply_text(
            say("after_reply", user, said=said, left=left),
            reply_parameters=ReplyParameters(message.message_id),
        )
