"""From a person's message to a stored, postable answer.

The prompt is the brand voice, then the closest accepted examples (so a
correction helps the very next similar question, before any retraining), then
the conversation's history trimmed to a token budget, then the new message.
The inbound message is committed before the model is called: whatever the
model does, nothing the person said is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from bot import store, tokens
from bot.backends.base import ChatMessages, Completion, ModelBackend, ModelError, OnDelta
from bot.config import Settings
from bot.db import write_transaction
from bot.deliveries import first_delivery
from bot.desk import items as desk_items
from bot.errors import AfinaError, Repeated
from bot.knowledge import Knowledge
from bot.matching import Known, thresholds_for, used_examples
from bot.messages import Answer, Incoming
from bot.posts import PostLog
from bot.tables import ReplyOutcome
from bot.text import clean_message

logger = logging.getLogger(__name__)

# Replies that leave the customer without an answer: each is a question for the review desk.
UNANSWERED = frozenset({ReplyOutcome.abstained.value, ReplyOutcome.error.value})

FALLBACK = (
    "Sorry, I couldn't reach my model just now. Your message is saved; "
    "please try again in a minute. / Perdona, ahora mismo no puedo responder; "
    "tu mensaje está guardado, prueba de nuevo en un minuto."
)
TRUNCATED = "Your message was longer than {limit} characters; I read the first {limit}."
HONESTY = (
    "If nothing below answers the question, say plainly that you don't know that yet and "
    "that the team can help; never guess facts, prices, dates or policies."
)

BackendFactory = Callable[[str], ModelBackend]


@dataclass(frozen=True)
class Target:
    """Which backend answers, with which model id, for which stored version."""

    backend: str
    model: str
    version_id: int | None


class Version(Protocol):
    """What choosing a target reads of a model version (a `ModelVersion`, or a lighter row)."""

    @property
    def id(self) -> int | None: ...
    @property
    def provider(self) -> str: ...
    @property
    def model_id(self) -> str: ...


def choose_target(settings: Settings, version: Version | None) -> Target:
    """The active version decides the model when the configured backend can serve it."""
    backend = settings.backend
    if backend == "examples":
        if version is not None and version.provider == "examples":
            return Target("examples", version.model_id, version.id)
        return Target("examples", "examples", None)
    servable = {"openai": {"openai", "local", "together"}, "transformers": {"local"}}[backend]
    if version is not None and version.provider in servable:
        # A Together model is asked for through the same client, at Together's endpoint.
        serving = "together" if version.provider == "together" else backend
        return Target(serving, version.model_id, version.id)
    default = settings.openai_model if backend == "openai" else (settings.local_base_model or "")
    return Target(backend, default, None)


class Responder:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        knowledge: Knowledge,
        backends: BackendFactory,
        posts: PostLog | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.knowledge = knowledge
        self.backends = backends
        self.posts = posts or PostLog(engine)

    def answer(
        self,
        incoming: Incoming,
        *,
        on_delta: OnDelta | None = None,
        version: Version | None = None,
    ) -> Answer:
        """Store the message, ask the model, store the reply; `Repeated` for a repeat delivery.

        `version`: answer with this model version instead of the active one (the console's
        playground compares versions side by side)."""
        try:
            cleaned = clean_message(incoming.text, max_chars=self.settings.max_message_chars)
        except AfinaError:  # nothing to store, but the person is told once, not per retry
            key = incoming.delivery_key
            if key and not first_delivery(self.engine, channel=incoming.channel, event_key=key):
                raise Repeated(key) from None
            raise
        # Two short transactions on plain Core statements (see `store`'s answer path):
        # the inbound message commits before the model is called, the reply after it.
        # The first also carries the delivery's id and where earlier answers were posted.
        with self.posts.transaction() as connection:
            if incoming.delivery_key and not store.mark_processed_on(
                connection, channel=incoming.channel, event_key=incoming.delivery_key
            ):
                raise Repeated(incoming.delivery_key)  # rolls back: nothing stored twice
            # First, while nothing is written yet: a correction saved by any process
            # up to now is in the index this answer searches.
            self.knowledge.refresh(connection)
            conversation_id = store.conversation_id_on(
                connection,
                channel=incoming.channel,
                chat_id=incoming.chat_id,
                thread_id=incoming.thread_id,
            )
            history = store.recent_turns_on(
                connection,
                conversation_id=conversation_id,
                limit=self.settings.history_max_messages,
            )
            inbound_id = store.add_message_on(
                connection,
                conversation_id=conversation_id,
                role="user",
                text=cleaned.text,
                user_id=incoming.identity,
                platform_message_id=incoming.platform_message_id,
            )
            chosen = version if version is not None else store.active_version_on(connection)
            target = choose_target(self.settings, chosen)

        prompt, known = self.prepare(cleaned.text, history)
        started = time.perf_counter()
        completion, error = self._complete(prompt, target, on_delta)
        latency_ms = int((time.perf_counter() - started) * 1000)
        text = completion.text if completion else FALLBACK
        model_id = completion.model_id if completion else target.model
        outcome, used = _how(completion, known)

        with write_transaction(self.engine) as connection:
            reply_id = store.add_reply_on(
                connection,
                {
                    "conversation_id": conversation_id,
                    "message_id": inbound_id,
                    "channel": incoming.channel,
                    "chat_id": incoming.chat_id,
                    "prompt": prompt,
                    "text": text,
                    "ok": completion is not None,
                    "error": error,
                    "backend": target.backend,
                    "model_id": model_id,
                    "model_version_id": target.version_id,
                    "latency_ms": latency_ms,
                    "prompt_tokens": completion.prompt_tokens if completion else 0,
                    "completion_tokens": completion.completion_tokens if completion else 0,
                    "outcome": outcome,
                    "used_examples": used,
                },
            )
            store.add_message_on(
                connection,
                conversation_id=conversation_id,
                role="assistant",
                text=text,
                user_id="bot",
            )
            if outcome in UNANSWERED:  # the bot could not answer: a card for the review desk
                desk_items.note_unanswered_on(
                    connection,
                    reply_id=reply_id,
                    incoming=incoming,
                    question=cleaned.text,
                    answer=text,
                )
        notice = None
        if cleaned.truncated:
            notice = TRUNCATED.format(limit=self.settings.max_message_chars)
        return Answer(
            reply_id=reply_id,
            text=text,
            ok=completion is not None,
            model_id=model_id,
            notice=notice,
            outcome=outcome,
        )

    def _complete(
        self, prompt: ChatMessages, target: Target, on_delta: OnDelta | None
    ) -> tuple[Completion | None, str | None]:
        try:
            backend = self.backends(target.backend)
            return backend.complete(prompt, model=target.model, on_delta=on_delta), None
        except ModelError as exc:
            logger.warning("model %s failed: %s", target.model, exc)
            return None, str(exc)
        except Exception as exc:  # a broken backend must never silence the bot
            logger.exception("model backend %s crashed", target.backend)
            return None, f"{type(exc).__name__}"

    # --- the prompt ---------------------------------------------------------
    def build_prompt(self, question: str, history: list[dict[str, str]]) -> ChatMessages:
        """Voice + closest accepted examples + history (newest kept) + the question."""
        return self.prepare(question, history)[0]

    def prepare(
        self, question: str, history: list[dict[str, str]]
    ) -> tuple[ChatMessages, list[Known]]:
        """The prompt, and the examples in it (only those clearing the prompt threshold)."""
        budget = self.settings.prompt_token_budget
        bar = thresholds_for(self.settings, dense=self.knowledge.has_vectors).prompt
        known = self.knowledge.closest(question, k=self.settings.retrieval_k, min_score=bar)
        system, known = self._system(known, budget // 2)
        question_turn = {"role": "user", "content": question}
        left = budget - tokens.count_messages([system, question_turn])
        kept: list[dict[str, Any]] = []
        for turn in reversed(history):
            cost = tokens.PER_MESSAGE + tokens.count(turn["content"])
            if cost > left:
                break
            kept.append(turn)
            left -= cost
        return [system, *reversed(kept), question_turn], known

    def _system(self, known: list[Known], budget: int) -> tuple[dict[str, Any], list[Known]]:
        voice = self.settings.voice()
        if self.settings.retrieval_k <= 0:
            # Retrieval off: the model answers from its training alone, so the prompt is
            # the voice exactly as the dataset and the gate give it (no train/serve skew).
            return {"role": "system", "content": voice}, []
        parts = [voice, "", HONESTY]
        if not known:
            return {"role": "system", "content": "\n".join(parts)}, []
        parts += [
            "",
            "Answers the team has approved, each with the question it answers. Use their "
            "facts and tone; when one answers the question, follow it closely:",
        ]
        used = tokens.count("\n".join(parts))
        shown: list[Known] = []
        for item in known:
            block = f"Q: {item.question}\nA: {item.answer}"
            cost = tokens.count(block)
            if used + cost > budget:
                break
            parts.append(block)
            shown.append(item)
            used += cost
        return {"role": "system", "content": "\n".join(parts)}, shown


def _how(completion: Completion | None, known: list[Known]) -> tuple[str, list[dict[str, Any]]]:
    """`reply.outcome` and `reply.used_examples` for what the backend returned."""
    if completion is None:
        return ReplyOutcome.error.value, []
    outcome = completion.outcome or ReplyOutcome.answered.value
    used = completion.used_examples
    return outcome, used_examples(known) if used is None else used
