"""What channels hand the core, and what the core hands back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
    # records it with the message; a second delivery of it raises `Repeated`, unless the
    # first one's answer never got out: then it is answered (or delivered) now.
    delivery_key: str | None = None
    # How the channel delivers the answer into its platform, kept with the question so that
    # any process can deliver it later (`bot.recovery`). None: the caller shows the answer
    # itself (the terminal, the console's playground) and nothing is owed afterwards.
    route: Mapping[str, Any] | None = None
    # The message of someone else this one replies to (their identity, its text): the one
    # other person's turn the history then holds.
    quoted: tuple[str, str] | None = None

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
    question_id: int | None = None  # the question it answers (channels confirm its delivery)
    late: bool = False  # answered after a restart or a redelivery: apologise for the wait first
    outcome: str = "answered"  # a `ReplyOutcome`: answered | transparent | abstained | error
