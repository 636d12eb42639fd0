"""What a reviewer does with a desk item, from any channel: one function, the same rules.

`act` checks the person is a reviewer, takes the item (open → handled, in one
conditional UPDATE, so two reviewers pressing at once cannot both act), applies the
existing feedback rules (`bot.feedback`: an answer or correction becomes an accepted
example at once; a suggestion is approved or rejected), and decides the handoff: the
reviewer's words go back to whoever asked, once per question (`handoff.reply_id` is
unique), unless HANDOFF_REPLY=false, the question came from somewhere nobody can be
answered later, or the words are that person's own (their approved suggestion). All
of it commits or fails whole; then the desk delivers the handoff and updates the
item's cards everywhere (`Desk.settle`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot import feedback
from bot.db import session_scope
from bot.desk.tables import ItemAction, ItemKind, ReviewItem
from bot.desk.views import CHOICES, LABELS, NEEDS_TEXT, ItemCard
from bot.desk.wording import ENGLISH, Words
from bot.errors import AfinaError, BadInput
from bot.identity import is_reviewer
from bot.store import desk as store_desk
from bot.tables import FeedbackKind, utcnow

if TYPE_CHECKING:
    from bot.app import Core

NOT_REVIEWER = ENGLISH.say("act.not_reviewer")


class NotReviewer(BadInput):
    """The person who pressed is not a reviewer: nothing happens, they are told why."""


class AlreadyHandled(AfinaError):
    """Someone handled the item first; `card` says who, what and when."""

    def __init__(self, card: ItemCard, words: Words = ENGLISH) -> None:
        super().__init__(words.say("act.handled", item=card.id, done=card.done_line(words)))
        self.card = card


@dataclass(frozen=True)
class Acted:
    card: ItemCard  # the item as it is now, handoff included
    message: str  # what the reviewer is told


def check_reviewer(core: Core, user: str, words: Words = ENGLISH) -> None:
    if not is_reviewer(user, core.settings):
        raise NotReviewer(words.say("act.not_reviewer"))


def card_of(core: Core, item_id: int) -> ItemCard:
    with session_scope(core.engine) as session:
        return view(session, store_desk.get_item(session, item_id=item_id))


def view(session: Session, item: ReviewItem) -> ItemCard:
    return ItemCard.of(item, store_desk.handoff_of_item(session, item_id=item.id or 0))


def can_act(core: Core, *, item_id: int, user: str, words: Words = ENGLISH) -> ItemCard:
    """The item, if `user` may act on it now; `NotReviewer` or `AlreadyHandled` otherwise.
    (Before a modal opens: the press itself changes nothing.)"""
    check_reviewer(core, user, words)
    card = card_of(core, item_id)
    if not card.open:
        raise AlreadyHandled(card, words)
    return card


def act(
    core: Core,
    *,
    item_id: int,
    user: str,
    action: ItemAction,
    text: str | None = None,
    words: Words = ENGLISH,
) -> Acted:
    """Handle one item as `user` (a reviewer) chose; see the module docstring. What the
    reviewer is told is in `words` (their language, where their channel knows it)."""
    check_reviewer(core, user, words)
    said = (text or "").strip()
    if action in NEEDS_TEXT and not said:
        raise BadInput(words.say("act.no_words"))
    handoff_id = None
    try:
        with session_scope(core.engine) as session:
            item = store_desk.get_item(session, item_id=item_id)
            if action not in CHOICES[ItemKind(item.kind)]:
                raise BadInput(f"{LABELS.get(action, action)} does not apply to a {item.kind}.")
            if not store_desk.claim_item(
                session, item_id=item_id, action=action, by=user, at=utcnow()
            ):
                raise _Lost
            answer, example_id = _apply(session, core, item, action, said, user)
            store_desk.record_answer(session, item_id=item_id, answer=answer, example_id=example_id)
            if answer is not None and _hands_off(core, item, action):
                handoff_id = store_desk.add_handoff(
                    session, reply_id=item.reply_id, item_id=item_id, text=answer, by=user
                )
    except _Lost:
        raise AlreadyHandled(card_of(core, item_id), words) from None
    card = core.desk.settle(item_id, handoff_id)
    return Acted(card, _told(card, action, words))


class _Lost(Exception):
    """Another reviewer took the item between our read and our claim."""


def _apply(
    session: Session, core: Core, item: ReviewItem, action: ItemAction, said: str, user: str
) -> tuple[str | None, int | None]:
    """The feedback rules for one action: the answer now taught (if any) and its example."""
    settings = core.settings
    if action == ItemAction.dismissed:
        return None, None
    if action in (ItemAction.approved, ItemAction.rejected):
        example, _replaced = feedback.review(
            session,
            settings,
            example_id=item.example_id or 0,
            reviewer=user,
            approve=action == ItemAction.approved,
            knowledge=core.knowledge,
        )
        return (example.answer, example.id) if action == ItemAction.approved else (None, None)
    outcome = feedback.give(
        session,
        settings,
        reply_id=item.reply_id,
        user=user,
        kind=FeedbackKind.correct,
        corrected_text=said,
        knowledge=core.knowledge,
    )
    if action == ItemAction.edited and item.example_id is not None:
        _retire_suggestion(session, core, item.example_id, user)
    return said, outcome.example_id


def _retire_suggestion(session: Session, core: Core, example_id: int, user: str) -> None:
    """The reviewer's words replace the suggestion: it stops waiting (unless it *is* them)."""
    from bot.store import get_example
    from bot.tables import ExampleStatus

    if get_example(session, example_id=example_id).status == ExampleStatus.pending:
        feedback.review(
            session,
            core.settings,
            example_id=example_id,
            reviewer=user,
            approve=False,
            knowledge=core.knowledge,
        )


def would_hand_off(core: Core, card: ItemCard) -> bool:
    """Whether an answer to this item would go back to the customer (what a modal says)."""
    return core.settings.handoff_reply and core.desk.end_for(card.channel) is not None


def _hands_off(core: Core, item: ReviewItem, action: ItemAction) -> bool:
    if not core.settings.handoff_reply or core.desk.end_for(item.channel) is None:
        return False
    # Approving a customer's own suggestion would only tell them what they told us.
    return not (action == ItemAction.approved and item.raised_by == item.asked_by)


def _told(card: ItemCard, action: ItemAction, words: Words) -> str:
    if action in (ItemAction.rejected, ItemAction.dismissed):
        return words.say(f"act.{action.value}", item=card.id)
    reach = ""
    if card.handoff is not None:
        reach = card.handoff_line(words).replace(" · ", "; ", 1)
    done = words.say(f"act.{action.value}")
    return words.say("act.taught", done=done, item=card.id, reach=reach)
