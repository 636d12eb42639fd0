"""Model backends: one interface, several ways to produce an answer."""

from bot.backends.base import Completion, ModelBackend, ModelError, OnDelta

__all__ = ["Completion", "ModelBackend", "ModelError", "OnDelta"]
