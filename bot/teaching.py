"""Teaching you can see and undo: vectors on save, phrasings, near-identical questions,
editing and taking back examples, and the list of conflicting answers.

Every change stamps `updated_at`, so every process's index takes it in before its
next answer; a taken-back example is kept (status `rejected`, who and when), never
deleted, for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlmodel import Session

from bot import store, vectors
from bot.errors import BadInput
from bot.knowledge import Knowledge
from bot.matching import Known
from bot.tables import Example, ExampleStatus, utcnow
from bot.text import content_hash, normal_form

# Near-identical: the same question up to case, accents and punctuation, or nearly all
# the same words ("Do you ship to Italy?" / "do you ship to italy please"). Meaning alone
# is not enough: "¿Hacéis envíos a Canarias?" is as close to
# "¿Hacéis envíos a Baleares?" as most paraphrases are, and asks something else.
NEAR_IDENTICAL_WORDS = 0.85


def short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def embed_example(session: Session, knowledge: Knowledge | None, example: Example) -> None:
    """Store the example's vectors now, so no answering process has to embed it."""
    if knowledge is None or knowledge.embedder is None or example.id is None:
        return
    texts = vectors.ExampleTexts(
        example.id, example.question, example.answer, tuple(example.phrasings)
    )
    vectors.store_vectors(session.connection(), knowledge.embedder, [texts])


def near_identical(knowledge: Knowledge, question: str, *, exclude: int | None) -> list[Known]:
    """Accepted examples asking the same thing as `question`, in other spelling or wording.

    Searches the index as it is: the caller refreshes it first (`give` does).
    """
    same = normal_form(question)
    return [
        match
        for match in knowledge.closest(question, k=5)
        if match.example_id != exclude
        and (normal_form(match.question) == same or match.lexical >= NEAR_IDENTICAL_WORDS)
    ]


def supersede(
    session: Session, knowledge: Knowledge | None, example: Example, *, by: str
) -> list[Example]:
    """Retire the older accepted answers to this question (same or near-identical); them."""
    older = list(store.same_question_examples(session, example=example))
    if knowledge is not None:
        ids = {row.id for row in older}
        for match in near_identical(knowledge, example.question, exclude=example.id):
            if match.example_id not in ids:
                row = session.get(Example, match.example_id)
                if row is not None and row.status == ExampleStatus.accepted:
                    older.append(row)
    for row in older:
        row.status = ExampleStatus.superseded
        row.reviewed_by, row.reviewed_at = by, utcnow()
        store.save_example(session, row)
    return older


def add_phrasing(
    session: Session, knowledge: Knowledge | None, example_id: int, wording: str
) -> Example | None:
    """Another wording a reviewer confirmed gets this example's answer; None if it had it."""
    example = store.get_example(session, example_id=example_id)
    if example.status != ExampleStatus.accepted:
        return None
    known = {normal_form(text) for text in (example.question, *example.phrasings)}
    if normal_form(wording) in known:
        return None
    example.phrasings = [*example.phrasings, wording]
    store.save_example(session, example)
    embed_example(session, knowledge, example)
    return example


def edit_answer(
    session: Session, knowledge: Knowledge | None, *, example_id: int, answer: str, by: str
) -> Example:
    example = store.get_example(session, example_id=example_id)
    digest = content_hash(example.prompt, answer)
    clash = store.find_example_by_hash(session, digest=digest)
    if clash is not None and clash.id != example.id:
        raise BadInput(f"Example #{clash.id} already has exactly this question and answer.")
    example.answer, example.content_hash = answer, digest
    example.reviewed_by, example.reviewed_at = by, utcnow()
    store.save_example(session, example)
    embed_example(session, knowledge, example)
    return example


def take_back(session: Session, *, example_id: int, by: str) -> Example:
    """Stop using an example (pending or accepted): kept as rejected, with who and when."""
    example = store.get_example(session, example_id=example_id)
    if example.status == ExampleStatus.rejected:
        raise BadInput(f"Example #{example_id} was already taken out by {example.reviewed_by}.")
    example.status = ExampleStatus.rejected
    example.reviewed_by, example.reviewed_at = by, utcnow()
    store.save_example(session, example)
    return example


@dataclass(frozen=True)
class Conflict:
    first: Known
    second: Known


def conflicts(
    knowledge: Knowledge, *, progress: Callable[[int], None] | None = None
) -> Iterator[Conflict]:
    """Pairs of accepted examples that answer near-identical questions differently."""
    knowledge.refresh()
    seen: set[tuple[int, int]] = set()
    for key, example in sorted(knowledge.examples.items()):
        if progress is not None:
            progress(1)
        mine = Known(key, example.question, example.answer, 1.0)
        answer = normal_form(example.answer)
        for match in near_identical(knowledge, example.question, exclude=key):
            pair = (min(key, match.example_id), max(key, match.example_id))
            if pair in seen or normal_form(match.answer) == answer:
                continue
            seen.add(pair)
            yield Conflict(mine, match)
