"""The desk's cards: which item (or run) was posted where, claimed before it is posted.

One way of writing queries here: ORM reads in the caller's `Session`; every claim is
`insert_once` (a new card) or a conditional UPDATE (a retry, a refresh) whose row
count says whether this process won it. The desk's loop reads what is owed with
`NOT EXISTS` against the unique (item, destination) index, so the open items alone
decide its cost, however many cards were ever posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, update
from sqlmodel import Session, col, select

from bot.desk.tables import DeskCard, ItemStatus, ReviewItem
from bot.store.once import changed, insert_once
from bot.tables import FINAL_RUN_STATES, TuningRun, utcnow

MAX_ATTEMPTS = 3  # a card that failed this often is left (the item stays in `afina review`)


def claim_card(
    session: Session, *, destination: str, item_id: int | None = None, run_id: int | None = None
) -> int | None:
    """Claim posting a card at `destination`; its id, or None when it was claimed before."""
    now = utcnow()
    values = {
        "item_id": item_id,
        "run_id": run_id,
        "destination": destination,
        "shown": ItemStatus.open,
        "note": "",
        "attempts": 1,
        "created_at": now,
        "updated_at": now,
    }
    unique = ["item_id", "destination"] if item_id is not None else ["run_id", "destination"]
    return insert_once(session.connection(), DeskCard, values, unique)


def get_card(session: Session, *, card_id: int) -> DeskCard | None:
    return session.get(DeskCard, card_id)


def card_posted(session: Session, *, card_id: int, message_id: str, shown: str) -> None:
    session.execute(
        update(DeskCard)
        .where(col(DeskCard.id) == card_id)
        .values(message_id=message_id, shown=shown, error=None, updated_at=utcnow())
    )


def card_failed(session: Session, *, card_id: int, error: str) -> None:
    session.execute(
        update(DeskCard)
        .where(col(DeskCard.id) == card_id)
        .values(error=error[:255], updated_at=utcnow())
    )


def items_owed(
    session: Session, *, destination: str, since: datetime, limit: int
) -> Sequence[ReviewItem]:
    """Open items made since `since` that have no card at `destination` yet, oldest first."""
    carded = exists().where(
        and_(col(DeskCard.item_id) == col(ReviewItem.id), col(DeskCard.destination) == destination)
    )
    return session.exec(
        select(ReviewItem)
        .where(ReviewItem.status == ItemStatus.open)
        .where(col(ReviewItem.created_at) >= since)
        .where(~carded)
        .order_by(col(ReviewItem.id))
        .limit(limit)
    ).all()


def runs_owed(
    session: Session, *, destination: str, since: datetime, limit: int
) -> Sequence[TuningRun]:
    """Runs that ended since `since` without an announcement at `destination`."""
    carded = exists().where(
        and_(col(DeskCard.run_id) == col(TuningRun.id), col(DeskCard.destination) == destination)
    )
    return session.exec(
        select(TuningRun)
        .where(col(TuningRun.state).in_(list(FINAL_RUN_STATES)))
        .where(col(TuningRun.finished_at) >= since)
        .where(~carded)
        .order_by(col(TuningRun.id))
        .limit(limit)
    ).all()


def cards_to_retry(session: Session, *, before: datetime, limit: int) -> Sequence[DeskCard]:
    """Claimed cards whose post failed, last tried before `before`, with tries left."""
    return session.exec(
        select(DeskCard)
        .where(col(DeskCard.message_id).is_(None))
        .where(col(DeskCard.error).is_not(None))
        .where(col(DeskCard.attempts) < MAX_ATTEMPTS)
        .where(col(DeskCard.updated_at) < before)
        .limit(limit)
    ).all()


def claim_retry(session: Session, *, card: DeskCard) -> bool:
    done = session.execute(
        update(DeskCard)
        .where(col(DeskCard.id) == card.id)
        .where(col(DeskCard.attempts) == card.attempts)
        .where(col(DeskCard.message_id).is_(None))
        .values(attempts=card.attempts + 1, updated_at=utcnow())
    )
    return bool(changed(done))


def stale_item_cards(session: Session, *, limit: int) -> Sequence[DeskCard]:
    """Posted cards still showing an item as open after it was handled."""
    return session.exec(
        select(DeskCard)
        .join(ReviewItem, col(ReviewItem.id) == col(DeskCard.item_id))
        .where(col(DeskCard.message_id).is_not(None))
        .where(DeskCard.shown == ItemStatus.open)
        .where(ReviewItem.status == ItemStatus.handled)
        .limit(limit)
    ).all()


def claim_refresh(session: Session, *, card_id: int, was: str, now: str, note: str = "") -> bool:
    """Take the job of updating one posted card from `was` to `now`; False if taken."""
    done = session.execute(
        update(DeskCard)
        .where(col(DeskCard.id) == card_id)
        .where(col(DeskCard.shown) == was)
        .values(shown=now, note=note[:255], updated_at=utcnow())
    )
    return bool(changed(done))


def cards_of(
    session: Session, *, item_id: int | None = None, run_id: int | None = None
) -> Sequence[DeskCard]:
    """The posted cards of one item or run."""
    query = select(DeskCard).where(col(DeskCard.message_id).is_not(None))
    if item_id is not None:
        query = query.where(DeskCard.item_id == item_id)
    else:
        query = query.where(DeskCard.run_id == run_id)
    return session.exec(query.order_by(col(DeskCard.id))).all()


def run_card(session: Session, *, run_id: int, destination: str) -> DeskCard | None:
    return session.exec(
        select(DeskCard).where(DeskCard.run_id == run_id).where(DeskCard.destination == destination)
    ).first()
