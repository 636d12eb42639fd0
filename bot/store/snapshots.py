"""Every accepted example at once, as plain rows: the retrieval index and training snapshots.

One way of writing queries here: SQLAlchemy Core statements returning column
tuples, never ORM objects. These reads cover every example (a first index load, a
million-row export), where building an ORM instance per row would cost several
times the query, and the big ones stream (a server-side cursor on PostgreSQL) so
they never sit in memory at once. They run on whatever the caller holds: the
answer's `Connection`, or a `Session` (its connection executes them).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from bot.tables import Example, ExampleStatus

SNAPSHOT_COLUMNS = (
    col(Example.id),
    col(Example.prompt),
    col(Example.answer),
    col(Example.rejected_answer),
    col(Example.source),
    col(Example.conversation_key),
    col(Example.content_hash),
    col(Example.updated_at),
)


class IndexRow(NamedTuple):
    id: int
    question: str
    answer: str
    status: ExampleStatus
    updated_at: datetime
    phrasings: list[str]


_INDEX_ROWS = sa_select(
    col(Example.id),
    col(Example.question),
    col(Example.answer),
    col(Example.status),
    col(Example.updated_at),
    col(Example.phrasings),
).order_by(col(Example.updated_at), col(Example.id))  # lets the updated_at index serve
_INDEX_ROWS_SINCE = _INDEX_ROWS.where(col(Example.updated_at) > bindparam("since"))


def index_rows_on(connection: Connection, *, since: datetime | None) -> Iterator[IndexRow]:
    """What retrieval needs of examples touched strictly after `since` (all when None).

    Every answer asks, so it is one prepared statement. Only the first load (which
    reads every example) is streamed; the answer-time question reads a handful.
    """
    if since is None:
        result = connection.execute(_INDEX_ROWS.execution_options(yield_per=5000))
    else:
        result = connection.execute(_INDEX_ROWS_SINCE, {"since": since})
    for row in result:
        yield IndexRow(row[0] or 0, row[1], row[2], ExampleStatus(row[3]), row[4], row[5] or [])


def max_example_id(session: Session) -> int:
    return int(session.execute(sa_select(func.max(col(Example.id)))).scalar() or 0)


def _accepted_upto(upto_id: int) -> Any:
    return (
        sa_select(func.count())
        .select_from(Example)
        .where(col(Example.status) == ExampleStatus.accepted)
        .where(col(Example.id) <= upto_id)
    )


def count_snapshot(session: Session, *, upto_id: int) -> int:
    """How many accepted examples a snapshot up to `upto_id` reads."""
    return int(session.execute(_accepted_upto(upto_id)).scalar() or 0)


def count_new_examples(
    session: Session,
    *,
    upto_id: int,
    after_id: int,
    since: datetime,
    seen: Sequence[int] = (),
) -> int:
    """Accepted examples a retrain has not seen: newer ids, or accepted since the last snapshot."""
    recent = col(Example.updated_at) >= since
    if seen:
        recent = recent & col(Example.id).not_in(list(seen))
    query = _accepted_upto(upto_id).where(or_(col(Example.id) > after_id, recent))
    return int(session.execute(query).scalar() or 0)


def snapshot_rows(session: Session, *, upto_id: int, batch: int = 5000) -> Iterator[Any]:
    """The accepted examples up to `upto_id` as plain rows, streamed in id order.

    Rows carry `SNAPSHOT_COLUMNS` in order."""
    query = (
        sa_select(*SNAPSHOT_COLUMNS)
        .where(col(Example.status) == ExampleStatus.accepted)
        .where(col(Example.id) <= upto_id)
        .order_by(col(Example.id))
        .execution_options(yield_per=batch)
    )
    yield from session.execute(query)
