"""Platforms deliver some events more than once (retries, restarts): answer each one once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot import store
from bot.db import write_transaction
from bot.tables import utcnow

# Slack retries an event within the hour and Telegram keeps an undelivered update for 24
# hours: a week of delivery ids catches every repeat, and the table stops growing there.
KEPT = timedelta(days=7)


def first_delivery(engine: Engine, *, channel: str, event_key: str) -> bool:
    """True the first time an event is seen; False for every repeat, even a concurrent one."""
    try:
        # Every delivery passes here: one statement on a plain connection, no ORM session.
        with write_transaction(engine) as connection:
            return store.mark_processed_on(connection, channel=channel, event_key=event_key)
    except IntegrityError:
        # Two workers raced on the same delivery: the unique constraint picked the winner.
        return False


def forget_old(engine: Engine, *, now: datetime | None = None, kept: timedelta = KEPT) -> int:
    """Delete the delivery records older than `kept` (no platform repeats them now); how many."""
    with write_transaction(engine) as connection:
        return store.forget_processed_on(connection, before=(now or utcnow()) - kept)
