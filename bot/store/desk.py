"""The review desk's items, handoffs and subscriptions (its cards are in `desk_cards`).

One way of writing queries here: ORM objects in the caller's `Session`, except that
every row that must exist once is written with `insert_once` and every change of hands
(open → handled, pending → sending) is a conditional UPDATE whose row count says who
won. The one write on an answer's path (an unanswered question's item) is a Core
statement on the answer's own connection: `add_item_on`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from bot.desk.tables import (
    DeskSubscription,
    Handoff,
    HandoffStatus,
    ItemAction,
    ItemKind,
    ItemStatus,
    ReviewItem,
)
from bot.errors import NotFound
from bot.store.once import changed, insert_once
from bot.tables import Conversation, Example, ExampleStatus, Message, Reply, utcnow

# --- items ------------------------------------------------------------------------


def add_item_on(connection: Connection, values: dict[str, Any]) -> int | None:
    """Write an item unless one with its key exists; its id, or None."""
    row = {"status": ItemStatus.open, "created_at": utcnow(), **values}
    return insert_once(connection, ReviewItem, row, ["key"])


def add_item(session: Session, values: dict[str, Any]) -> int | None:
    return add_item_on(session.connection(), values)


def get_item(session: Session, *, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"No desk item #{item_id}: `afina review` lists the open ones.")
    return item


def item_by_key(session: Session, *, key: str) -> ReviewItem | None:
    return session.exec(select(ReviewItem).where(ReviewItem.key == key)).first()


def open_items(
    session: Session,
    *,
    limit: int = 50,
    after_id: int = 0,
    kinds: Sequence[ItemKind] | None = None,
    channels: Sequence[str] | None = None,
) -> Sequence[ReviewItem]:
    """Open items, oldest first, after `after_id` (to walk them one by one), of these kinds
    and asked in these channels (all when None)."""
    query = (
        select(ReviewItem)
        .where(ReviewItem.status == ItemStatus.open)
        .where(col(ReviewItem.id) > after_id)
    )
    if kinds:
        query = query.where(col(ReviewItem.kind).in_(list(kinds)))
    if channels:
        query = query.where(col(ReviewItem.channel).in_(list(channels)))
    return session.exec(query.order_by(col(ReviewItem.id)).limit(limit)).all()


def count_open(session: Session) -> dict[str, int]:
    """Open items by kind (every kind present, 0 when none)."""
    found = session.exec(
        select(ReviewItem.kind, func.count())
        .where(ReviewItem.status == ItemStatus.open)
        .group_by(ReviewItem.kind)
    ).all()
    counts = {kind.value: 0 for kind in ItemKind}
    counts.update({str(kind): int(n) for kind, n in found})
    return counts


def count_unanswered_since(session: Session, *, since: datetime) -> int:
    """Questions the bot could not answer since `since`, whatever became of them."""
    return int(
        session.exec(
            select(func.count())
            .select_from(ReviewItem)
            .where(ReviewItem.kind == ItemKind.unanswered)
            .where(col(ReviewItem.created_at) >= since)
        ).one()
    )


def claim_item(
    session: Session, *, item_id: int, action: ItemAction, by: str, at: datetime
) -> bool:
    """Mark an open item handled; False when someone handled it first."""
    done = session.execute(
        update(ReviewItem)
        .where(col(ReviewItem.id) == item_id)
        .where(col(ReviewItem.status) == ItemStatus.open)
        .values(status=ItemStatus.handled, action=action, handled_by=by, handled_at=at)
    )
    session.expire_all()  # the ORM's copies of the item are stale now
    return bool(changed(done))


def resolve_reply_items(session: Session, *, reply_id: int, by: str, at: datetime) -> int:
    """A reviewer taught an answer to this reply elsewhere: its 👎 / unanswered item is done."""
    done = session.execute(
        update(ReviewItem)
        .where(col(ReviewItem.key) == f"reply:{reply_id}")
        .where(col(ReviewItem.status) == ItemStatus.open)
        .values(status=ItemStatus.handled, action=ItemAction.resolved, handled_by=by, handled_at=at)
    )
    return changed(done)


def resolve_suggestion(session: Session, *, example_id: int, by: str, approved: bool) -> int:
    """A pending suggestion approved or rejected outside the desk (e.g. `afina review -a`)."""
    action = ItemAction.approved if approved else ItemAction.rejected
    done = session.execute(
        update(ReviewItem)
        .where(col(ReviewItem.key) == f"example:{example_id}")
        .where(col(ReviewItem.status) == ItemStatus.open)
        .values(status=ItemStatus.handled, action=action, handled_by=by, handled_at=utcnow())
    )
    return changed(done)


def record_answer(
    session: Session, *, item_id: int, answer: str | None, example_id: int | None
) -> None:
    item = get_item(session, item_id=item_id)
    item.answer_given = answer
    item.taught_example_id = example_id
    session.add(item)
    session.flush()


def reply_was_taught(session: Session, *, reply_id: int) -> bool:
    """Whether a reviewer already turned this reply into an accepted example."""
    found = session.exec(
        select(Example.id)
        .where(Example.reply_id == reply_id)
        .where(Example.status == ExampleStatus.accepted)
        .where(col(Example.reviewed_by).is_not(None))
        .limit(1)
    ).first()
    return found is not None


def asker_of(session: Session, *, reply: Reply) -> str:
    """The identity of whoever asked the question a reply answers."""
    message = session.get(Message, reply.message_id)
    return message.user_id if message is not None else ""


# --- handoffs -------------------------------------------------------------------------


def add_handoff(session: Session, *, reply_id: int, item_id: int, text: str, by: str) -> int | None:
    """The one handoff of a question; None when the question already had one."""
    values = {
        "reply_id": reply_id,
        "item_id": item_id,
        "text": text,
        "by": by,
        "status": HandoffStatus.pending,
        "created_at": utcnow(),
    }
    return insert_once(session.connection(), Handoff, values, ["reply_id"])


def claim_handoff(session: Session, *, handoff_id: int) -> bool:
    done = session.execute(
        update(Handoff)
        .where(col(Handoff.id) == handoff_id)
        .where(col(Handoff.status) == HandoffStatus.pending)
        .values(status=HandoffStatus.sending)
    )
    return bool(changed(done))


def finish_handoff(
    session: Session, *, handoff_id: int, message_id: str | None, error: str | None
) -> None:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        return
    handoff.status = HandoffStatus.failed if error else HandoffStatus.sent
    handoff.message_id, handoff.error = message_id, error
    handoff.sent_at = None if error else utcnow()
    session.add(handoff)
    session.flush()


def pending_handoffs(session: Session, *, limit: int = 20) -> Sequence[int]:
    return session.exec(
        select(Handoff.id).where(Handoff.status == HandoffStatus.pending).limit(limit)
    ).all()  # type: ignore[return-value]


def get_handoff(session: Session, *, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound(f"No handoff {handoff_id}.")
    return handoff


def handoff_of_item(session: Session, *, item_id: int) -> Handoff | None:
    return session.exec(select(Handoff).where(Handoff.item_id == item_id)).first()


def reply_of(session: Session, *, reply_id: int) -> Reply:
    reply = session.get(Reply, reply_id)
    if reply is None:
        raise NotFound(f"No answer with id {reply_id}.")
    return reply


def add_team_message(
    session: Session,
    *,
    conversation_id: int,
    text: str,
    by: str,
    platform_message_id: str | None,
) -> None:
    """The team's handed-off answer, as a turn of the customer's conversation (its history)."""
    session.add(
        Message(
            conversation_id=conversation_id,
            role="assistant",
            user_id=by,
            text=text,
            platform_message_id=platform_message_id,
        )
    )
    session.flush()


def handoff_place(session: Session, *, reply: Reply) -> tuple[str, str | None]:
    """The question's thread, and the platform id of the question's message."""
    conversation = session.get(Conversation, reply.conversation_id)
    message = session.get(Message, reply.message_id)
    thread = conversation.thread_id if conversation is not None else ""
    return thread, message.platform_message_id if message is not None else None


# --- who gets the desk's cards in a chat ----------------------------------------------------


def subscribe(session: Session, *, destination: str, user_id: str, language: str = "") -> bool:
    """Opt a chat in; False when it already was (its language is kept up to date)."""
    tag = language[:16] or None  # the column's width; a Telegram code is 2-5 characters
    values = {
        "destination": destination,
        "user_id": user_id,
        "language": tag,
        "created_at": utcnow(),
    }
    if insert_once(session.connection(), DeskSubscription, values, ["destination"]) is not None:
        return True
    found = session.exec(
        select(DeskSubscription).where(DeskSubscription.destination == destination)
    ).one()
    if tag and found.language != tag:
        found.language = tag
        session.add(found)
        session.flush()
    return False


def subscription_language(session: Session, *, destination: str) -> str:
    """The language a subscribed chat's cards are written in ("" when none was given)."""
    found = session.exec(
        select(DeskSubscription.language).where(DeskSubscription.destination == destination)
    ).first()
    return found or ""


def unsubscribe(session: Session, *, destination: str) -> bool:
    found = session.exec(
        select(DeskSubscription).where(DeskSubscription.destination == destination)
    ).first()
    if found is None:
        return False
    session.delete(found)
    session.flush()
    return True


def subscriptions(session: Session) -> Sequence[DeskSubscription]:
    return session.exec(select(DeskSubscription).order_by(col(DeskSubscription.id))).all()
