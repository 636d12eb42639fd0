"""Platforms deliver some events more than once (retries, restarts): answer each one once."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot import store
from bot.db import session_scope


def first_delivery(engine: Engine, *, channel: str, event_key: str) -> bool:
    """True the first time an event is seen; False for every repeat, even a concurrent one."""
    try:
        with session_scope(engine) as session:
            return store.mark_processed(session, channel=channel, event_key=event_key)
    except IntegrityError:
        # Two workers raced on the same delivery: the unique constraint picked the winner.
        return False
