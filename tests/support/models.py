"""A model backend that answers at once or slowly, for tests and benches that time the rest.

`with_model(core, model)` is the core with its backends replaced by one model, the
way `build_core` would have made it otherwise: same settings, database and index.
"""

from __future__ import annotations

import time

from bot.app import Core
from bot.backends.base import ChatMessages, Completion, OnDelta
from bot.responder import Responder

ANSWER = "Free on orders over €35 🌱 Below that it's €3.95 in mainland Spain (24–48h)."


class FakeModel:
    """Answers `answer` after `delay_s`, streamed in `pieces` parts (0: word by word).

    By default the whole delay passes before the first piece, like a model that thinks,
    then writes fast; `spread=True` spreads it between the pieces, like one that writes
    slowly. The completion's text is exactly what was streamed."""

    name = "fake"

    def __init__(
        self, answer: str = ANSWER, *, delay_s: float = 0.0, pieces: int = 0, spread: bool = False
    ) -> None:
        self.answer = answer
        self.delay_s = delay_s
        self.pieces = pieces
        self.spread = spread

    def parts(self) -> list[str]:
        words = self.answer.split(" ")
        step = max(1, len(words) // self.pieces) if self.pieces else 1
        return [" ".join(words[i : i + step]) + " " for i in range(0, len(words), step)]

    def complete(
        self, messages: ChatMessages, *, model: str, on_delta: OnDelta | None = None
    ) -> Completion:
        parts = self.parts()
        if self.delay_s and not self.spread:
            time.sleep(self.delay_s)
        for part in parts:
            if self.delay_s and self.spread:
                time.sleep(self.delay_s / len(parts))
            if on_delta is not None:
                on_delta(part)
        return Completion("".join(parts), model, prompt_tokens=20, completion_tokens=20)


def with_model(core: Core, model: FakeModel) -> Core:
    """`core`, answering with `model` whatever backend the settings name."""
    responder = Responder(
        settings=core.settings,
        engine=core.engine,
        knowledge=core.knowledge,
        backends=lambda _name: model,
    )
    return Core(core.settings, core.engine, core.knowledge, responder)
