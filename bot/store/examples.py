"""Examples one at a time: taught, suggested, reviewed, imported, listed.

One way of writing queries here: ORM objects in the caller's `Session`, which
leaves committing to the caller (`bot.db.session_scope`) so a feedback click or
an import commits or fails whole. The streamed reads over every example (the
retrieval index, training snapshots) are `bot.store.snapshots`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.errors import NotFound
from bot.store.browse import LIKE_ESCAPE, like_pattern
from bot.store.ids import by_id
from bot.tables import Example, ExampleSource, ExampleStatus, utcnow
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


def supersede_same_question(session: Session, *, example: Example) -> int:
    """Retire older accepted answers to the same question once a newer one is accepted."""
    older = session.exec(
        select(Example)
        .where(Example.question_hash == example.question_hash)
        .where(Example.status == ExampleStatus.accepted)
        .where(Example.id != example.id)
    ).all()
    for row in older:
        row.status = ExampleStatus.superseded
        save_example(session, row)
    return len(older)


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
