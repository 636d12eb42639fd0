"""What a desk card shows, as plain data and plain sentences every channel can render.

A card carries the item alone: the question, the bot's answer, a suggestion, who
asked and where, and how it ended. Nothing here reads a conversation, so no other
turn (nobody else's words) can reach the desk through a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.desk.tables import Handoff, HandoffStatus, ItemAction, ItemKind, ItemStatus, ReviewItem

TITLES = {
    ItemKind.suggestion: "Suggested correction",
    ItemKind.rejected: "Answer rated 👎",
    ItemKind.unanswered: "Question the bot could not answer",
}
ICONS = {ItemKind.suggestion: "✏️", ItemKind.rejected: "👎", ItemKind.unanswered: "❓"}
# What a reviewer can do with an open item of each kind, in the order the buttons show.
CHOICES = {
    ItemKind.suggestion: (ItemAction.approved, ItemAction.edited, ItemAction.rejected),
    ItemKind.rejected: (ItemAction.corrected, ItemAction.dismissed),
    ItemKind.unanswered: (ItemAction.answered, ItemAction.dismissed),
}
# Actions that need the reviewer's words (a modal on Slack, a reply on Telegram).
NEEDS_TEXT = frozenset({ItemAction.edited, ItemAction.answered, ItemAction.corrected})
LABELS = {
    ItemAction.approved: "Approve",
    ItemAction.edited: "Edit",
    ItemAction.rejected: "Reject",
    ItemAction.answered: "Answer",
    ItemAction.corrected: "Correct",
    ItemAction.dismissed: "Dismiss",
}
DONE = {
    ItemAction.approved: "Approved",
    ItemAction.edited: "Approved, edited",
    ItemAction.rejected: "Rejected",
    ItemAction.answered: "Answered",
    ItemAction.corrected: "Corrected",
    ItemAction.dismissed: "Dismissed",
    ItemAction.resolved: "Taught in place",
}
PLACES = {
    "slack": "Slack",
    "telegram": "Telegram",
    "console": "the terminal",
    "playground": "the console's playground",
}


@dataclass(frozen=True)
class ItemCard:
    """One item as its card shows it."""

    id: int
    kind: ItemKind
    status: ItemStatus
    channel: str
    chat_id: str
    asked_by: str
    raised_by: str
    question: str
    answer: str
    suggestion: str | None
    created_at: datetime
    action: ItemAction | None = None
    handled_by: str | None = None
    handled_at: datetime | None = None
    answer_given: str | None = None
    handoff: HandoffStatus | None = None
    handoff_error: str | None = None

    @classmethod
    def of(cls, item: ReviewItem, handoff: Handoff | None = None) -> ItemCard:
        return cls(
            id=item.id or 0,
            kind=ItemKind(item.kind),
            status=ItemStatus(item.status),
            channel=item.channel,
            chat_id=item.chat_id,
            asked_by=item.asked_by,
            raised_by=item.raised_by,
            question=item.question,
            answer=item.answer,
            suggestion=item.suggestion,
            created_at=item.created_at,
            action=ItemAction(item.action) if item.action else None,
            handled_by=item.handled_by,
            handled_at=item.handled_at,
            answer_given=item.answer_given,
            handoff=HandoffStatus(handoff.status) if handoff else None,
            handoff_error=handoff.error if handoff else None,
        )

    @property
    def open(self) -> bool:
        return self.status == ItemStatus.open

    @property
    def title(self) -> str:
        return f"{ICONS[self.kind]} {TITLES[self.kind]} #{self.id}"

    @property
    def choices(self) -> tuple[ItemAction, ...]:
        return CHOICES[self.kind] if self.open else ()

    @property
    def where(self) -> str:
        """`Telegram, private chat 42` / `Slack, channel C123`."""
        place = PLACES.get(self.channel, self.channel)
        if self.channel == "telegram":
            kind = "private chat" if not self.chat_id.startswith("-") else "group"
            return f"{place}, {kind} {self.chat_id}"
        if self.channel == "slack":
            return f"{place}, {'DM' if self.chat_id.startswith('D') else 'channel'} {self.chat_id}"
        return place

    def done_line(self) -> str:
        """`Answered by slack:U1 at 2026-12-01 10:32 UTC · sent to the customer`."""
        if self.open or self.action is None:
            return "Waiting for a reviewer"
        when = f" at {self.handled_at:%Y-%m-%d %H:%M} UTC" if self.handled_at else ""
        return f"{DONE[self.action]} by {self.handled_by}{when}{self.handoff_line()}"

    def handoff_line(self) -> str:
        if self.handoff in (HandoffStatus.pending, HandoffStatus.sending):
            return " · on its way to the customer"
        if self.handoff == HandoffStatus.sent:
            return " · sent to the customer"
        if self.handoff == HandoffStatus.failed:
            return f" · could not reach the customer ({self.handoff_error})"
        return ""


def short(text: str, limit: int) -> str:
    """`text` on one line, cut at `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
