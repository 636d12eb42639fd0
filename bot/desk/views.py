"""What a desk card shows, as plain data and plain sentences every channel can render.

A card carries the item alone: the question, the bot's answer, a suggestion, who
asked and where, and how it ended. Nothing here reads a conversation, so no other
turn (nobody else's words) can reach the desk through a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.desk.tables import Handoff, HandoffStatus, ItemAction, ItemKind, ItemStatus, ReviewItem
from bot.desk.wording import ENGLISH, Words

ICONS = {ItemKind.suggestion: "✏️", ItemKind.rejected: "👎", ItemKind.unanswered: "❓"}
# What a reviewer can do with an open item of each kind, in the order the buttons show.
CHOICES = {
    ItemKind.suggestion: (ItemAction.approved, ItemAction.edited, ItemAction.rejected),
    ItemKind.rejected: (ItemAction.corrected, ItemAction.dismissed),
    ItemKind.unanswered: (ItemAction.answered, ItemAction.dismissed),
}
# Actions that need the reviewer's words (a modal on Slack, a reply on Telegram).
NEEDS_TEXT = frozenset({ItemAction.edited, ItemAction.answered, ItemAction.corrected})
# Every action a reviewer can choose (all but `resolved`, which happens elsewhere).
CHOICES_ANY: tuple[ItemAction, ...] = tuple(
    action for action in ItemAction if action != ItemAction.resolved
)
# English, for code that names an action (the desk's own errors, Slack's action ids).
LABELS: dict[ItemAction, str] = {
    action: ENGLISH.say(f"label.{action.value}") for action in CHOICES_ANY
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

    def title_in(self, words: Words) -> str:
        return f"{ICONS[self.kind]} {words.say(f'title.{self.kind.value}')} #{self.id}"

    @property
    def choices(self) -> tuple[ItemAction, ...]:
        return CHOICES[self.kind] if self.open else ()

    @property
    def where(self) -> str:
        return self.where_in(ENGLISH)

    def where_in(self, words: Words) -> str:
        """`Telegram, private chat 42` / `Slack, channel C123`."""
        key = f"place.{self.channel}"
        place = words.say(key) if key in words.table else self.channel
        if self.channel == "telegram":
            kind = words.say("chat.private" if not self.chat_id.startswith("-") else "chat.group")
            return f"{place}, {kind} {self.chat_id}"
        if self.channel == "slack":
            kind = words.say("chat.dm" if self.chat_id.startswith("D") else "chat.channel")
            return f"{place}, {kind} {self.chat_id}"
        return place

    def done_line(self, words: Words = ENGLISH, *, who: str | None = None) -> str:
        """`Answered by slack:U1 at 2026-12-01 10:32 UTC · sent to the customer`; `who` writes
        the reviewer another way (Slack's `<@U1>`)."""
        if self.open or self.action is None:
            return words.say("waiting")
        return words.say(
            "done_line",
            done=words.say(f"done.{self.action.value}"),
            who=self.handled_by if who is None else who,
            when=words.say("done_at", when=self.handled_at) if self.handled_at else "",
            handoff=self.handoff_line(words),
        )

    def handoff_line(self, words: Words = ENGLISH) -> str:
        if self.handoff in (HandoffStatus.pending, HandoffStatus.sending):
            return words.say("handoff.going")
        if self.handoff == HandoffStatus.sent:
            return words.say("handoff.sent")
        if self.handoff == HandoffStatus.failed:
            return words.say("handoff.failed", error=self.handoff_error)
        return ""


def short(text: str, limit: int) -> str:
    """`text` on one line, cut at `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
