"""The offline backend: answers with the closest accepted example, or says it doesn't know.

It needs no network and no model: what the team taught is what it says. When
nothing is close enough it says so honestly and tells the person how to teach
it, in their language.
"""

from __future__ import annotations

from bot import tokens
from bot.backends.base import ChatMessages, Completion, OnDelta
from bot.knowledge import Knowledge
from bot.text import words

ANSWER_MIN_SCORE = 0.45
_SPANISH = {
    "que",
    "como",
    "cuanto",
    "donde",
    "cuando",
    "el",
    "la",
    "los",
    "las",
    "es",
    "hola",
    "tienes",
    "teneis",
    "puedo",
    "para",
    "por",
    "envio",
    "gracias",
    "quiero",
    "hay",
}

UNKNOWN_EN = (
    "I don't know that one yet 🌱 — I only answer from what the team has taught me. "
    "If you know the answer, correct this reply (✏️, or /fix in the terminal) and I'll use it "
    "from the next question on."
)
UNKNOWN_ES = (
    "Eso todavía no lo sé 🌱: solo respondo con lo que el equipo me ha enseñado. "
    "Si sabes la respuesta, corrige este mensaje (✏️, o /fix en la terminal) y la usaré "
    "desde la próxima pregunta."
)


def looks_spanish(text: str) -> bool:
    tokens_ = words(text)
    return (
        "¿" in text
        or "¡" in text
        or sum(t in _SPANISH for t in tokens_) >= max(1, len(tokens_) // 5)
    )


class ExamplesBackend:
    name = "examples"

    def __init__(self, knowledge: Knowledge, *, min_score: float = ANSWER_MIN_SCORE) -> None:
        self.knowledge = knowledge
        self.min_score = min_score

    def complete(
        self, messages: ChatMessages, *, model: str, on_delta: OnDelta | None = None
    ) -> Completion:
        question = next((str(m["content"]) for m in reversed(messages) if m["role"] == "user"), "")
        best = self.knowledge.closest(question, k=1, min_score=self.min_score)
        if best:
            text = best[0].answer
        else:
            text = UNKNOWN_ES if looks_spanish(question) else UNKNOWN_EN
        if on_delta is not None:
            for piece in _pieces(text):
                on_delta(piece)
        return Completion(
            text=text,
            model_id=model,
            prompt_tokens=tokens.count_messages(messages),
            completion_tokens=tokens.count(text),
        )


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
