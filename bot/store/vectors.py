"""Example vectors: what the embedder made of each example's question, answer, phrasings.

One way of writing queries here: SQLAlchemy Core statements on a `Connection`, like
`bot.store.snapshots`: the first index load reads every vector of every example
(hundreds of thousands of rows), where an ORM object per row would cost more than
the read, and the writes replace an example's vectors in one statement each.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.tables import Example, ExampleVector, utcnow


class VectorRow(NamedTuple):
    example_id: int
    kind: str  # question | answer | phrasing
    position: int
    text_hash: str
    vector: bytes


_VECTORS = sa_select(
    col(ExampleVector.example_id),
    col(ExampleVector.kind),
    col(ExampleVector.position),
    col(ExampleVector.text_hash),
    col(ExampleVector.vector),
).where(col(ExampleVector.embedder) == bindparam("embedder"))


def vectors_on(
    connection: Connection, *, embedder: str, example_ids: Sequence[int] | None = None
) -> Iterator[VectorRow]:
    """Stored vectors of one embedder: all of them in one streamed read, or some examples'."""
    if example_ids is None:
        result = connection.execute(
            _VECTORS.execution_options(yield_per=10_000), {"embedder": embedder}
        )
        for row in result:
            yield VectorRow(row[0], row[1], row[2], row[3], row[4])
        return
    ids = list(example_ids)
    for start in range(0, len(ids), 500):  # under every database's limit on parameters
        statement = _VECTORS.where(col(ExampleVector.example_id).in_(ids[start : start + 500]))
        for row in connection.execute(statement, {"embedder": embedder}):
            yield VectorRow(row[0], row[1], row[2], row[3], row[4])


def replace_vectors_on(
    connection: Connection, *, example_id: int, embedder: str, rows: Sequence[VectorRow]
) -> None:
    """Make these the example's vectors for this embedder (older ones go)."""
    connection.execute(
        delete(ExampleVector)
        .where(col(ExampleVector.example_id) == example_id)
        .where(col(ExampleVector.embedder) == embedder)
    )
    if rows:
        now = utcnow()
        connection.execute(
            insert(ExampleVector),
            [
                {
                    "example_id": example_id,
                    "embedder": embedder,
                    "kind": row.kind,
                    "position": row.position,
                    "text_hash": row.text_hash,
                    "vector": row.vector,
                    "created_at": now,
                }
                for row in rows
            ],
        )


def touch_examples_on(connection: Connection, *, example_ids: Sequence[int]) -> None:
    """Stamp examples as changed so every process's index takes them in again."""
    ids = list(example_ids)
    for start in range(0, len(ids), 500):
        connection.execute(
            update(Example)
            .where(col(Example.id).in_(ids[start : start + 500]))
            .values(updated_at=utcnow())
        )
