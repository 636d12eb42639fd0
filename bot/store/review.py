"""Read-only queries behind the console's Review, Unanswered and Import pages.

The review desk's items (`bot.desk.tables.ReviewItem`) are listed here as the console
shows them: filtered by kind, channel and status, newest first, a page at a time
(one row more than shown tells whether another page follows). The desk's own
store (`bot.store.desk`) writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from bot.desk.tables import Handoff, ItemKind, ItemStatus, ReviewItem
from bot.tables import ImportBatch


@dataclass(frozen=True)
class Asked:
    """An open unanswered question, as the Unanswered page groups it."""

    item_id: int
    reply_id: int
    channel: str
    asked_by: str
    text: str
    at: datetime


def items_page(
    session: Session,
    *,
    status: ItemStatus | None = ItemStatus.open,
    kind: ItemKind | None = None,
    channel: str = "",
    offset: int = 0,
    limit: int = 20,
) -> Sequence[ReviewItem]:
    # Newest first by (created_at, id): the order of the index (status, created_at), so a
    # page is read from it, not sorted out of every open item.
    newest = (col(ReviewItem.created_at).desc(), col(ReviewItem.id).desc())
    query = select(ReviewItem).order_by(*newest).offset(offset).limit(limit)
    if status is not None:
        query = query.where(ReviewItem.status == status)
    if kind is not None:
        query = query.where(ReviewItem.kind == kind)
    if channel:
        query = query.where(ReviewItem.channel == channel)
    return session.exec(query).all()


def item_channels(session: Session) -> list[str]:
    """The channels review items came from, for the filter."""
    return sorted(str(c) for c in session.exec(select(ReviewItem.channel).distinct()).all())


def _open_unanswered(since: datetime) -> Any:
    return (
        col(ReviewItem.status) == ItemStatus.open,
        col(ReviewItem.kind) == ItemKind.unanswered,
        col(ReviewItem.created_at) >= since,
    )


def open_unanswered(session: Session, *, since: datetime, limit: int = 2000) -> list[Asked]:
    """The open `unanswered` items made since `since`, newest first, at most `limit`."""
    found = session.execute(  # six columns: more than sqlmodel's `select` types
        columns(
            col(ReviewItem.id),
            col(ReviewItem.reply_id),
            col(ReviewItem.channel),
            col(ReviewItem.asked_by),
            col(ReviewItem.question),
            col(ReviewItem.created_at),
        )
        .where(*_open_unanswered(since))
        .order_by(col(ReviewItem.created_at).desc(), col(ReviewItem.id).desc())
        .limit(limit)
    ).all()
    return [Asked(i or 0, r, c, a, q, at) for i, r, c, a, q, at in found]


def unanswered_state(session: Session, *, since: datetime) -> tuple[int, int]:
    """(how many, the newest id) of those items: it changes whenever the set does, since
    items are only ever added (with a higher id) or handled (leaving it)."""
    count, newest = session.exec(
        select(func.count(), func.max(ReviewItem.id)).where(*_open_unanswered(since))
    ).one()
    return int(count), int(newest or 0)


def items_by_id(session: Session, *, ids: Sequence[int]) -> list[ReviewItem]:
    if not ids:
        return []
    return list(session.exec(select(ReviewItem).where(col(ReviewItem.id).in_(set(ids)))).all())


def handoffs_of_items(session: Session, *, item_ids: Sequence[int]) -> dict[int, Handoff]:
    """The handoff of each of these items that has one, by item id (one query for a page)."""
    if not item_ids:
        return {}
    found = session.exec(select(Handoff).where(col(Handoff.item_id).in_(set(item_ids)))).all()
    return {handoff.item_id: handoff for handoff in found}


def items_of_replies(session: Session, *, reply_ids: Sequence[int]) -> dict[int, ReviewItem]:
    """The 👎 or unanswered item of each of these replies that has one, by reply id."""
    if not reply_ids:
        return {}
    keys = [f"reply:{reply_id}" for reply_id in set(reply_ids)]
    found = session.exec(select(ReviewItem).where(col(ReviewItem.key).in_(keys))).all()
    return {item.reply_id: item for item in found}


def import_batches_page(session: Session, *, offset: int, limit: int) -> Sequence[ImportBatch]:
    return session.exec(
        select(ImportBatch).order_by(col(ImportBatch.id).desc()).offset(offset).limit(limit)
    ).all()
