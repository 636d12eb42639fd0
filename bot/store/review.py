"""Read-only queries behind the console's Review, Unanswered and Import pages.

The review desk's items (`bot.desk.tables.ReviewItem`) are listed here as the console
shows them: filtered by kind, channel and status, newest first, a page at a time
(one row more than shown tells whether another page follows). The desk's own
store (`bot.store.desk`) writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from bot.desk.tables import ItemKind, ItemStatus, ReviewItem
from bot.tables import ImportBatch


def items_page(
    session: Session,
    *,
    status: ItemStatus | None = ItemStatus.open,
    kind: ItemKind | None = None,
    channel: str = "",
    offset: int = 0,
    limit: int = 20,
) -> Sequence[ReviewItem]:
    query = select(ReviewItem).order_by(col(ReviewItem.id).desc()).offset(offset).limit(limit)
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


def open_unanswered(
    session: Session, *, since: datetime, limit: int = 2000
) -> Sequence[ReviewItem]:
    """The open `unanswered` items made since `since`, newest first, at most `limit`."""
    return session.exec(
        select(ReviewItem)
        .where(ReviewItem.status == ItemStatus.open)
        .where(ReviewItem.kind == ItemKind.unanswered)
        .where(col(ReviewItem.created_at) >= since)
        .order_by(col(ReviewItem.id).desc())
        .limit(limit)
    ).all()


def items_by_id(session: Session, *, ids: Sequence[int]) -> list[ReviewItem]:
    if not ids:
        return []
    return list(session.exec(select(ReviewItem).where(col(ReviewItem.id).in_(set(ids)))).all())


def import_batches_page(session: Session, *, offset: int, limit: int) -> Sequence[ImportBatch]:
    return session.exec(
        select(ImportBatch).order_by(col(ImportBatch.id).desc()).offset(offset).limit(limit)
    ).all()
