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
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import asking, store, tokens
from bot.asking import Asked, Taken, db_error_kind
from bot.backends.base import ChatMessages, Completion, ModelBackend, ModelError, OnDelta
from bot.config import Settings
from bot.db import write_transaction
from bot.deliveries import first_delivery
from bot.desk import items as desk_items
from bot.errors import AfinaError, NotSaved, Repeated, SavedNotAnswered, TakenOver
from bot.knowledge import Knowledge
from bot.matching import Known, thresholds_for, used_examples
from bot.messages import Answer, Incoming
from bot.posts import PostLog
from bot.questions import Questions
from bot.store.questions import Pending
from bot.tables import QuestionState, ReplyOutcome
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
        questions: Questions | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.knowledge = knowledge
        self.backends = backends
        self.posts = posts or PostLog(engine)
        self.questions = questions or Questions(engine, hold_s=settings.recover_after_s)

    def answer(
        self,
        incoming: Incoming,
        *,
        on_delta: OnDelta | None = None,
        version: Version | None = None,
    ) -> Answer:
        """Store the message, ask the model, store the reply (`take`, then `reply`).

        `version`: answer with this model version instead of the active one (the console's
        playground compares versions side by side)."""
        return self.reply(self.take(incoming, version=version), on_delta=on_delta)

    def take(self, incoming: Incoming, *, version: Version | None = None) -> Taken:
        """Store the message as a question, claimed by this process, before anything waits
        (a chat's earlier answer, the model): from here on nothing the person said is lost.

        `Repeated` for a repeat delivery, unless its question never got its answer out (the
        process answering it died): then that question, now ours. `NotSaved` when the
        message could not be stored."""
        try:
            cleaned = clean_message(incoming.text, max_chars=self.settings.max_message_chars)
        except AfinaError:  # nothing to store, but the person is told once, not per retry
            key = incoming.delivery_key
            if key and not first_delivery(self.engine, channel=incoming.channel, event_key=key):
                raise Repeated(key) from None
            raise
        try:
            asked = self._store_question(incoming, cleaned.text, version)
        except SQLAlchemyError as exc:
            logger.error(
                "a %s message could not be stored: %s", incoming.channel, db_error_kind(exc)
            )
            raise NotSaved() from None
        return Taken(asked, cleaned.truncated)

    def reply(self, taken: Taken, *, on_delta: OnDelta | None = None) -> Answer:
        """The answer to a question `take` stored. `SavedNotAnswered` when its reply could
        not be stored (recovery answers it later); `TakenOver` (a `Repeated`) when another
        process took it over meanwhile."""
        if isinstance(taken.asked, Pending):  # a redelivery of a question left unanswered:
            return self.answer_pending(taken.asked)  # no stream, the apology goes first
        answer = self._reply(taken.asked, on_delta)
        if taken.truncated:
            notice = TRUNCATED.format(limit=self.settings.max_message_chars)
            answer = replace(answer, notice=notice)
        return answer

    def answer_pending(self, pending: Pending, *, on_delta: OnDelta | None = None) -> Answer:
        """The answer of a question this process has claimed: its stored reply if it has one,
        else the model's, with the history the person had when they asked (`Answer.late`)."""
        if pending.reply_id is not None:
            with self.engine.connect() as connection:
                text, ok, model_id = store.reply_text_on(connection, reply_id=pending.reply_id)
            return Answer(pending.reply_id, text, ok, model_id, question_id=pending.id, late=True)
        with self.engine.connect() as connection:
            self.knowledge.refresh(connection)
            target = choose_target(self.settings, store.active_version_on(connection))
        asked = asking.pending_asked(pending, target=target)
        return replace(self._reply(asked, on_delta), late=True)

    def _store_question(
        self, incoming: Incoming, text: str, version: Version | None
    ) -> Asked | Pending:
        """The first transaction: the delivery's id, the message and its question (claimed by
        us), and where earlier answers were posted. A redelivery finds its question instead."""
        questions = self.questions
        with self.posts.transaction() as connection:
            if incoming.delivery_key and not store.mark_processed_on(
                connection, channel=incoming.channel, event_key=incoming.delivery_key
            ):
                return asking.redelivered_on(connection, incoming, questions)
            # First, while nothing is written yet: a correction saved by any process
            # up to now is in the index this answer searches.
            self.knowledge.refresh(connection)
            chosen = version if version is not None else store.active_version_on(connection)
            asked = asking.ask_on(
                connection,
                incoming,
                text,
                target=choose_target(self.settings, chosen),
                questions=questions,
            )
        questions.hold(asked.question_id)
        return asked

    def _reply(self, asked: Asked, on_delta: OnDelta | None) -> Answer:
        """Ask the model, then store its reply while the question is still ours."""
        with self.engine.connect() as connection:
            history = asking.history_on(connection, asked, limit=self.settings.history_max_messages)
        prompt, known = self.prepare(asked.text, history)
        started = time.perf_counter()
        completion, error = self._complete(prompt, asked.target, on_delta)
        latency_ms = int((time.perf_counter() - started) * 1000)
        text = completion.text if completion else FALLBACK
        model_id = completion.model_id if completion else asked.target.model
        outcome, used = _how(completion, known)
        try:
            with write_transaction(self.engine) as connection:
                reply_id = store.add_reply_on(
                    connection,
                    {
                        "conversation_id": asked.conversation_id,
                        "message_id": asked.message_id,
                        "channel": asked.channel,
                        "chat_id": asked.chat_id,
                        "prompt": prompt,
                        "text": text,
                        "ok": completion is not None,
                        "error": error,
                        "backend": asked.target.backend,
                        "model_id": model_id,
                        "model_version_id": asked.target.version_id,
                        "latency_ms": latency_ms,
                        "prompt_tokens": completion.prompt_tokens if completion else 0,
                        "completion_tokens": completion.completion_tokens if completion else 0,
                        "outcome": outcome,
                        "used_examples": used,
                    },
                )
                store.add_message_on(
                    connection,
                    conversation_id=asked.conversation_id,
                    role="assistant",
                    text=text,
                    user_id="bot",
                )
                if outcome in UNANSWERED:  # the bot could not answer: a card for the desk
                    desk_items.note_unanswered_on(
                        connection, reply_id=reply_id, asked=asked, answer=text
                    )
                if not store.set_answered_on(
                    connection,
                    question_id=asked.question_id,
                    owner=self.questions.owner,
                    reply_id=reply_id,
                ):
                    raise TakenOver(f"question {asked.question_id}")  # rolls the reply back
                if not asked.deliver:  # the caller shows it: nothing is owed afterwards
                    store.close_on(
                        connection,
                        question_id=asked.question_id,
                        state=QuestionState.posted,
                        reply_id=reply_id,
                    )
        except TakenOver:
            logger.warning("question %s was taken over; its answer is dropped", asked.question_id)
            self.questions.let_go(asked.question_id)
            raise
        except SQLAlchemyError as exc:
            why = db_error_kind(exc)
            logger.error("the reply to question %s could not be stored: %s", asked.question_id, why)
            self.questions.failed(asked.question_id)
            raise SavedNotAnswered() from None
        if not asked.deliver:
            self.questions.let_go(asked.question_id)
        return Answer(
            reply_id=reply_id,
            text=text,
            ok=completion is not None,
            model_id=model_id,
            question_id=asked.question_id,
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
        whole = [system, *history, question_turn]
        if tokens.messages_at_most(whole) <= budget:  # fits without counting a token
            return whole, known
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
        blocks = [f"Q: {item.question}\nA: {item.answer}" for item in known]
        if tokens.at_most("\n".join([*parts, *blocks])) <= budget:  # fits without counting
            parts += blocks
            return {"role": "system", "content": "\n".join(parts)}, known
        used = tokens.count("\n".join(parts))
        shown: list[Known] = []
        for item, block in zip(known, blocks, strict=True):
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
