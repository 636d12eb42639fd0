"""One stored question answered in its chat: placeholder, typing and draft, then the answer.

The placeholder goes out and its id is kept while the model works (the two run
side by side, so it costs the answer no time); only then is the answer written
into it (`bot.channels.telegram.placeholder`). When the placeholder cannot be
posted or kept, nothing more is sent here: the question is left to recovery,
which delivers the stored reply into a placeholder of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.app import Core
from bot.asking import Taken
from bot.channels.telegram import records
from bot.channels.telegram.answering import CosmeticBudget, Draft, Repeating, typing
from bot.channels.telegram.buttons import ButtonSigner
from bot.channels.telegram.placeholder import Place
from bot.errors import AfinaError, Repeated

logger = logging.getLogger(__name__)

Blocking = Callable[..., Awaitable[Any]]


class Replier:
    def __init__(
        self, core: Core, signer: ButtonSigner, cosmetics: CosmeticBudget, blocking: Blocking
    ) -> None:
        self.core = core
        self.signer = signer
        self.cosmetics = cosmetics
        self.blocking = blocking  # runs a blocking core call on the worker pool

    async def reply(self, place: Place, taken: Taken, *, draft_id: int | None) -> None:
        """Answer `taken` into `place` (call within the chat's turn); `draft_id`: stream a
        draft under that id (private chats)."""
        shows = _Cosmetics(place, self.cosmetics, draft_id)
        answering = asyncio.ensure_future(
            self.blocking(self.core.responder.reply, taken, on_delta=shows.feed)
        )
        try:
            await place.hold(self._record(taken.question_id))
        except Exception:
            await asyncio.gather(answering, return_exceptions=True)  # its reply is kept
            await shows.stop()
            await self.blocking(self.core.questions.failed, taken.question_id)
            raise  # the error handler logs it; recovery delivers the answer later
        try:
            reply = await answering
        except Repeated:
            logger.info("question %s is answered by another process", taken.question_id)
            return
        except AfinaError as exc:  # e.g. saved but not answered: recovery writes it in later
            await shows.stop()
            await place.note(exc.message)
            return
        finally:
            await shows.stop()
        shown = f"({reply.notice})\n\n{reply.text}" if reply.notice else reply.text
        # The fallback after a model failure is a notice, not an answer to rate.
        keyboard = self.signer.keyboard(place.chat_id, reply.reply_id) if reply.ok else None
        try:
            answered = await place.answer(shown, keyboard, late=reply.late)
        except Exception:
            await self.blocking(self.core.questions.failed, reply.question_id)
            raise  # the error handler logs it; recovery delivers the answer later
        await self.blocking(
            records.delivered, self.core, answer=reply, chat_id=place.chat_id, message_id=answered
        )

    def _record(self, question_id: int) -> Callable[[str], Awaitable[None]]:
        def record(placeholder_id: str) -> Awaitable[None]:
            return self.blocking(self.core.questions.placed, question_id, placeholder_id)

        return record


class _Cosmetics:
    """ "typing…" and, in private chats, the streamed draft, while the model answers."""

    def __init__(self, place: Place, budget: CosmeticBudget, draft_id: int | None) -> None:
        self.typing: Repeating = typing(place.bot, budget, place.chat_id, place.thread_id)
        self.typing.start()
        self.draft = (
            Draft(place.bot, budget, place.chat_id, draft_id, place.thread_id)
            if draft_id is not None
            else None
        )
        if self.draft is not None:
            self.draft.start()
        self.feed = self.draft.feed if self.draft is not None else None
        self._stopped = False

    async def stop(self) -> None:
        """Stop both, awaiting a request in flight, before the answer goes out (once)."""
        if self._stopped:
            return
        self._stopped = True
        await self.typing.stop()
        if self.draft is not None:
            await self.draft.stop()
