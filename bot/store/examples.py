"""Examples one at a time: taught, suggested, reviewed, imported, listed.

One way of writing queries here: ORM objects in the caller's `Session`, which
leaves committing to the caller (`bot.db.session_scope`) so a feedback click or
an import commits or fails whole. The streamed reads over every example (the
retrieval index, training snapshots) are `bot.store.snapshots`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.errors import NotFound
from bot.store.browse import LIKE_ESCAPE, like_pattern
from bot.store.ids import by_id
from bot.tables import Example, ExampleSource, ExampleStatus, ImportBatch, utcnow
from bot.text import content_hash, question_hash


def find_example_by_hash(session: Session, *, digest: str) -> Example | None:
    return session.exec(select(Example).where(Example.content_hash == digest)).first()


def new_example(
    *,
    prompt: list[dict[str, Any]],
    answer: str,
    source: ExampleSource,
    status: ExampleStatus,
    rejected_answer: str | None = None,
    conversation_key: str = "",
    reply_id: int | None = None,
    created_by: str = "",
    reviewed_by: str | None = None,
) -> Example:
    """An unsaved example with its question and hashes derived from the prompt."""
    question = next((str(m["content"]) for m in reversed(prompt) if m.get("role") == "user"), "")
    return Example(
        question=question,
        prompt=prompt,
        answer=answer,
        rejected_answer=rejected_answer,
        source=source,
        status=status,
        content_hash=content_hash(prompt, answer),
        question_hash=question_hash(question),
        conversation_key=conversation_key,
        reply_id=reply_id,
        created_by=created_by,
        reviewed_by=reviewed_by,
    )


def save_example(session: Session, example: Example) -> Example:
    example.updated_at = utcnow()
    session.add(example)
    session.flush()
    return example


def same_question_examples(session: Session, *, example: Example) -> Sequence[Example]:
    """The other accepted examples asking exactly this question (up to case and accents)."""
    return session.exec(
        select(Example)
        .where(Example.question_hash == example.question_hash)
        .where(Example.status == ExampleStatus.accepted)
        .where(Example.id != example.id)
    ).all()


def get_example(session: Session, *, example_id: int) -> Example:
    example = by_id(session, Example, example_id)
    if example is None:
        raise NotFound(f"No example with id {example_id}.")
    return example


def list_examples(
    session: Session,
    *,
    status: ExampleStatus | None = None,
    search: str | None = None,
    limit: int = 50,
) -> Sequence[Example]:
    query = select(Example).order_by(col(Example.id).desc()).limit(limit)
    if status is not None:
        query = query.where(Example.status == status)
    if search:
        pattern = like_pattern(search)  # `%` and `_` match themselves
        query = query.where(
            col(Example.question).ilike(pattern, escape=LIKE_ESCAPE)
            | col(Example.answer).ilike(pattern, escape=LIKE_ESCAPE)
        )
    return session.exec(query).all()


def count_examples(session: Session, *, status: ExampleStatus | None = None) -> int:
    query = select(func.count()).select_from(Example)
    if status is not None:
        query = query.where(Example.status == status)
    return int(session.exec(query).one())


def accepted_examples(session: Session, *, limit: int = 10_000) -> Sequence[Example]:
    return session.exec(
        select(Example)
        .where(Example.status == ExampleStatus.accepted)
        .order_by(col(Example.id))
        .limit(limit)
    ).all()


def examples_by_source(session: Session, *, source: ExampleSource) -> Sequence[Example]:
    return session.exec(
        select(Example).where(Example.source == source).order_by(col(Example.id))
    ).all()


def retire_examples(
    session: Session, *, example_ids: Sequence[int], by: str, status: ExampleStatus
) -> int:
    """Take examples out of use (rejected or superseded), saying who and when.

    Rows are kept, never deleted: every process's index hears of a change through
    `updated_at`, and a deleted row would stay findable in the processes that had it.
    """
    if not example_ids:
        return 0
    now = utcnow()
    result = session.execute(
        update(Example)
        .where(col(Example.id).in_(list(example_ids)))
        .where(col(Example.status) != status)
        .values(status=status, reviewed_by=by, reviewed_at=now, updated_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- import batches: what one `afina import` added, so `--undo` can take it back ---


def add_import_batch(session: Session, batch: ImportBatch) -> ImportBatch:
    session.add(batch)
    session.flush()
    return batch


def get_import_batch(session: Session, *, batch_id: int) -> ImportBatch:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"No import batch {batch_id}: `afina import --batches` lists them.")
    return batch


def list_import_batches(session: Session, *, limit: int = 20) -> Sequence[ImportBatch]:
    return session.exec(select(ImportBatch).order_by(col(ImportBatch.id).desc()).limit(limit)).all()


def examples_of_batch(session: Session, *, batch_id: int) -> Sequence[Example]:
    return session.exec(
        select(Example).where(Example.import_batch_id == batch_id).order_by(col(Example.id))
    ).all()
