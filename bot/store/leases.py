"""Named leases: one holder at a time across processes and hosts, freed by expiry.

One way of writing queries here: SQLAlchemy Core statements, because taking a
lease is a compare-and-set that only a single `UPDATE … WHERE` does safely (two
processes can never both win); the rest follows suit. They run in the caller's
`Session`, which commits. The policy (who may take over whose lease) is
`bot.leases`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.tables import Lease, utcnow


def get_lease(session: Session, *, name: str) -> Lease | None:
    """The lease as it stands (a plain value; changing it changes nothing)."""
    row = session.execute(
        sa_select(col(Lease.owner), col(Lease.expires_at)).where(col(Lease.name) == name)
    ).first()
    return None if row is None else Lease(name=name, owner=row[0], expires_at=row[1])


def take_lease(
    session: Session, *, name: str, owner: str, until: datetime, replace: str | None = None
) -> bool:
    """Hold the named lease until `until` if it is free, expired, ours, or held by `replace`."""
    now = utcnow()
    holders = [owner] if replace is None else [owner, replace]
    result = session.execute(
        update(Lease)
        .where(col(Lease.name) == name)
        .where(or_(col(Lease.expires_at) < now, col(Lease.owner).in_(holders)))
        .values(owner=owner, expires_at=until)
    )
    if int(result.rowcount or 0):  # type: ignore[attr-defined]
        return True
    if get_lease(session, name=name) is not None:
        return False
    try:
        with session.begin_nested():
            session.execute(insert(Lease).values(name=name, owner=owner, expires_at=until))
    except IntegrityError:  # another process inserted it first
        return False
    return True


def drop_lease(session: Session, *, name: str, owner: str) -> None:
    """Give the lease up, if `owner` still holds it."""
    session.execute(delete(Lease).where(col(Lease.name) == name).where(col(Lease.owner) == owner))
