"""The offline backend: a taught answer when it fits, named when unsure, else "I don't know".

It needs no network and no model: what the team taught is what it says. How
sure it must be is `bot.matching`'s business: a clear match is answered as is;
a plausible one is answered naming the question it answers, so the person can
tell ("Si te refieres a «¿Enviáis a Canarias?»: …"); otherwise it says it
doesn't know yet and how to teach it, in the person's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot import confirming, tokens
from bot.backends.base import ChatMessages, Completion, OnDelta
from bot.config import Settings
from bot.foreign import foreign_by_spelling, lift, swap_gain
from bot.knowledge import Knowledge
from bot.matching import Known, judge, thresholds_for, used_examples
from bot.tables import ReplyOutcome
from bot.text import looks_spanish

if TYPE_CHECKING:
    from tuning.redaction.redactor import Redactor

CANDIDATES = 4

UNKNOWN_EN = (
    "I don't know that one yet{flourish}: I only answer from what the team has taught me.{nearest} "
    "If you know the answer, correct this reply (✏️, or /fix in the terminal) and I'll use it "
    "from the next question on."
)
UNKNOWN_ES = (
    "Eso todavía no lo sé{flourish}: solo respondo con lo que el equipo me ha enseñado.{nearest} "
    "Si sabes la respuesta, corrige este mensaje (✏️, o /fix en la terminal) y la usaré "
    "desde la próxima pregunta."
)
IF_YOU_MEAN_EN = "If you mean “{question}”: {answer}"
IF_YOU_MEAN_ES = "Si te refieres a «{question}»: {answer}"


def unknown(question: str, voice: str, nearest: str | None = None) -> str:
    """The honest "don't know", with the voice's own plant only if the voice uses one, and
    the nearest taught question (never its answer) when there is one clearly nearest."""
    flourish = next((f" {mark}" for mark in ("🌱", "🌿") if mark in voice), "")
    spanish = looks_spanish(question)
    named = "" if nearest is None else confirming.pointer(nearest, spanish=spanish)
    return (UNKNOWN_ES if spanish else UNKNOWN_EN).format(flourish=flourish, nearest=named)


def naming(question: str, taught: str, answer: str) -> str:
    template = IF_YOU_MEAN_ES if looks_spanish(question) else IF_YOU_MEAN_EN
    return template.format(question=taught, answer=answer)


class ExamplesBackend:
    name = "examples"

    def __init__(self, knowledge: Knowledge, settings: Settings) -> None:
        self.knowledge = knowledge
        self.settings = settings
        self._redactor: Redactor | None = None

    def warm_up(self) -> None:
        """Build the redactor before the first question needs it (0.3-0.7 s; `bot.warmup`)."""
        self._redaction()

    def _redaction(self) -> Redactor:
        if self._redactor is None:
            from tuning.redaction.redactor import Redactor

            self._redactor = Redactor.for_settings(self.settings, self.settings.voice())
        return self._redactor

    def _shown(self, known: Known) -> str:
        """A taught question as another person may see it: a customer asked it, so their
        name, phone or e-mail in it is taken out, as in a training file (`tuning.redaction`)."""
        return " ".join(self._redaction()(known.question).split())

    def complete(
        self, messages: ChatMessages, *, model: str, on_delta: OnDelta | None = None
    ) -> Completion:
        question = next((str(m["content"]) for m in reversed(messages) if m["role"] == "user"), "")
        confirmed = self._confirmed(messages)
        if confirmed is not None:  # "yes" to the question a don't-know named: its answer
            return self._completion(messages, model, on_delta, confirmed.answer, [confirmed])
        matches = self.knowledge.closest(question, k=CANDIDATES)
        thresholds = thresholds_for(self.settings, dense=self.knowledge.has_vectors)
        if self.knowledge.has_vectors:  # a word the example never spells is weighed by its lift
            verdict = judge(
                matches,
                thresholds,
                lift=_lift(question, self.knowledge, thresholds.translation),
                swap=_swap(question, self.knowledge),
            )
        else:  # words only: a word the example never spells is a word it does not answer
            verdict = judge(matches, thresholds, foreign=_foreign_by_spelling(question))
        if verdict.best is None:
            nearest = None if verdict.nearest is None else self._shown(verdict.nearest)
            text = unknown(question, self.settings.voice(), nearest)
            used: list[Known] = []
        elif verdict.outcome == ReplyOutcome.answered:
            text, used = verdict.best.answer, [verdict.best]
        else:
            taught = self._shown(verdict.best)
            text, used = naming(question, taught, verdict.best.answer), [verdict.best]
        return self._completion(messages, model, on_delta, text, used, verdict.outcome)

    def _completion(
        self,
        messages: ChatMessages,
        model: str,
        on_delta: OnDelta | None,
        text: str,
        used: list[Known],
        outcome: ReplyOutcome = ReplyOutcome.answered,
    ) -> Completion:
        if on_delta is not None:
            for piece in _pieces(text):
                on_delta(piece)
        return Completion(
            text=text,
            model_id=model,
            prompt_tokens=tokens.count_messages(messages),
            completion_tokens=tokens.count(text),
            outcome=outcome.value,
            used_examples=used_examples(used),
        )

    def _confirmed(self, messages: ChatMessages) -> Known | None:
        """The example whose question the previous reply named as the nearest, when the
        person now says yes to it (`bot.confirming`); None otherwise."""
        said = confirming.confirmed([m for m in messages if m["role"] != "system"])
        if said is None:
            return None
        named = said[0]
        # Shown redacted: the example is the candidate that reads the same once redacted.
        return next(
            (m for m in self.knowledge.closest(named, k=CANDIDATES) if self._shown(m) == named),
            None,
        )


def _lift(question: str, knowledge: Knowledge, translation: float) -> Callable[[Known], float]:
    return lambda known: lift(question, known, knowledge, translation=translation)


def _swap(question: str, knowledge: Knowledge) -> Callable[[Known], float]:
    return lambda known: swap_gain(question, known, knowledge)


def _foreign_by_spelling(question: str) -> Callable[[Known], list[str]]:
    return lambda known: foreign_by_spelling(question, known.texts)


def _pieces(text: str, size: int = 24) -> list[str]:
    """Stream in word-aligned chunks, the way a model would."""
    out, current = [], ""
    for word in text.split(" "):
        current = f"{current} {word}" if current else word
        if len(current) >= size:
            out.append(current + " ")
            current = ""
    if current:
        out.append(current)
    if out:
        out[-1] = out[-1].rstrip(" ")
    return out
