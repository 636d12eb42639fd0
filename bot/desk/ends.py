"""What a channel implements to take part in the review desk: its *desk end*.

A channel's `desk(core)` returns one (or None when its settings give it no part).
The desk (`bot.desk.desk.Desk`) decides what to post where and when, claims each
card in the database first, and calls the end; the end only speaks its platform.
Every method may raise (the platform refused, the network failed): the desk
records the failure and carries on.

Destinations are strings the end understands, prefixed with its channel name:
`slack:C0123` (a channel), `telegram:42` (a chat).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.desk.reports import RunReport
    from bot.desk.views import ItemCard


class DeskError(Exception):
    """A platform refused (`channel_not_found`, `Forbidden: bot was blocked by the user`):
    raise it with a short reason that holds no token, no URL and no message text; the desk
    logs and stores it. Anything else is recorded by its type alone."""


@dataclass(frozen=True)
class HandoffNote:
    """A reviewer's answer going back to the customer who asked, in their own conversation."""

    channel: str  # where the question was asked: slack | telegram
    chat_id: str
    thread_id: str  # the conversation's thread (Slack's thread_ts; a Telegram topic)
    question_message_id: str | None  # the question's platform id, to reply to it
    text: str
    reviewer: str  # the identity of the reviewer who wrote it


class DeskEnd(Protocol):
    channel: str  # the channel's name, the prefix of its destinations

    def destinations(self) -> list[str]:
        """Where every card goes regardless of who opted in (Slack's review channel)."""

    def post_item(self, destination: str, card: ItemCard) -> str:
        """Post an item's card; the platform's id of the message."""

    def update_item(self, destination: str, message_id: str, card: ItemCard) -> None:
        """Show the item as it is now (handled: what was done, by whom; no buttons)."""

    def post_run(self, destination: str, report: RunReport) -> str:
        """Post a run's announcement; the platform's id of the message."""

    def update_run(self, destination: str, message_id: str, report: RunReport) -> None:
        """Show the run as it is now (rolled back, promoted anyway)."""

    def hand_off(self, note: HandoffNote) -> str:
        """Send the reviewer's answer into the customer's conversation; the message's id."""
