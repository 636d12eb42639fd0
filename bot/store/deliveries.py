"""Platform deliveries already handled (a Slack event_id, a Telegram update), kept a week.

One way of writing queries here: SQLAlchemy Core statements on a `Connection`.
Every delivery passes through `mark_processed_on`, on the answer's path: one
`INSERT … ON CONFLICT DO NOTHING`, no read-then-write race between two workers
handed the same retry. The policy (how long ids are kept) is `bot.deliveries`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.store.once import UPSERTING, dialect_insert
from bot.tables import ProcessedEvent, utcnow

_MARK_PROCESSED: dict[str, Any] = {}  # per dialect, built on first use
_FIND_PROCESSED = (
    sa_select(col(ProcessedEvent.id))
    .where(col(ProcessedEvent.channel) == bindparam("channel"))
    .where(col(ProcessedEvent.event_key) == bindparam("event_key"))
)


def mark_processed_on(connection: Connection, *, channel: str, event_key: str) -> bool:
    """Record a platform delivery; False if it was already handled (a retry)."""
    values = {"channel": channel, "event_key": event_key, "created_at": utcnow()}
    dialect = connection.dialect.name
    if dialect not in UPSERTING:  # another database: read, then write
        keys = {"channel": channel, "event_key": event_key}
        if connection.execute(_FIND_PROCESSED, keys).first() is not None:
            return False
        connection.execute(insert(ProcessedEvent), values)
        return True
    statement = _MARK_PROCESSED.get(dialect)
    if statement is None:
        statement = (
            dialect_insert(dialect)(ProcessedEvent)
            .on_conflict_do_nothing(index_elements=["channel", "event_key"])
            .returning(col(ProcessedEvent.id))
        )
        _MARK_PROCESSED[dialect] = statement
    return connection.execute(statement, values).first() is not None


def forget_processed_on(connection: Connection, *, before: datetime) -> int:
    """Delete the delivery records older than `before`; how many went."""
    statement = delete(ProcessedEvent).where(col(ProcessedEvent.created_at) < before)
    return int(connection.execute(statement).rowcount)
