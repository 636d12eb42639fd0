"""Row ids as people type them: an id no column can hold is simply not there.

Ids are 32-bit integers on PostgreSQL (and 64-bit on SQLite); a number past
that is an error in the driver ("integer out of range", an `OverflowError`),
not a missing row. Looking one up answers None, so the caller says "no such
answer" as it does for any other id it does not know.
"""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel

T = TypeVar("T", bound=SQLModel)

MAX_ID = 2**31 - 1  # PostgreSQL's `integer`, the narrowest id column


def by_id(session: Session, table: type[T], row_id: int) -> T | None:
    """The row with this id, or None (also for an id out of any column's range)."""
    if not 0 < row_id <= MAX_ID:
        return None
    return session.get(table, row_id)
