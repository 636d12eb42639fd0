"""What channels hand the core, and what the core hands back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Incoming:
    """One message from a person, in any channel."""

    channel: str  # console | slack | telegram | web
    chat_id: str
    user_id: str  # the platform's id; the identity is `channel:user_id`
    text: str
    thread_id: str = ""
    platform_message_id: str | None = None
    # The platform's id for this delivery (a Slack event_id, a Telegram update): the core
    # records it with the message, and raises `Repeated` for a second delivery of it.
    delivery_key: str | None = None

    @property
    def identity(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True)
class Answer:
    """The bot's answer, ready for a channel to post with feedback controls.

    (The stored row it comes from is `bot.tables.Reply`; `reply_id` is its id.)"""

    reply_id: int
    text: str
    ok: bool  # False when this is the polite fallback after a model failure
    model_id: str
    notice: str | None = None  # e.g. the question was cut to the length limit
    outcome: str = "answered"  # a `ReplyOutcome`: answered | transparent | abstained | error
