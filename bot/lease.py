"""A lock in the database, so one retrain runs at a time whatever the number of processes.

Taking a lease is one atomic statement: insert the row, or take it over when it
expired (or is already ours). Works the same on SQLite and PostgreSQL, needs no
advisory locks, and a crashed holder frees it by letting it expire.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.tables import Lease, utcnow


def acquire(engine: Engine, *, name: str, owner: str, ttl: timedelta) -> bool:
    """Take (or renew) the lease `name` for `owner`; False if someone else holds it."""
    now = utcnow()
    expires = now + ttl
    with engine.begin() as conn:
        taken = conn.execute(
            update(Lease)
            .where(col(Lease.name) == name)
            .where((col(Lease.expires_at) < now) | (col(Lease.owner) == owner))
            .values(owner=owner, expires_at=expires)
        )
        if taken.rowcount == 1:
            return True
    try:
        with engine.begin() as conn:
            conn.execute(insert(Lease).values(name=name, owner=owner, expires_at=expires))
        return True
    except IntegrityError:  # a live lease exists and is not ours
        return False


def release(engine: Engine, *, name: str, owner: str) -> bool:
    with engine.begin() as conn:
        gone = conn.execute(
            delete(Lease).where(col(Lease.name) == name).where(col(Lease.owner) == owner)
        )
    return gone.rowcount == 1
