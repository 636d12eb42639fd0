"""What every model backend offers the responder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

OnDelta = Callable[[str], None]
ChatMessages = list[dict[str, Any]]


@dataclass(frozen=True)
class Completion:
    text: str
    model_id: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Set by a backend that decides for itself how it answers (the offline one): a
    # `ReplyOutcome` value and the examples it used. Others leave them to the responder.
    outcome: str | None = None
    used_examples: list[dict[str, Any]] | None = None


class ModelError(Exception):
    """The model could not answer; the message is safe to log (no secrets)."""


class ModelBackend(Protocol):
    name: str

    def complete(
        self, messages: ChatMessages, *, model: str, on_delta: OnDelta | None = None
    ) -> Completion:
        """Answer the chat; call `on_delta` with each new piece of text when streaming."""
        ...
