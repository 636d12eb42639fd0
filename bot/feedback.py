"""Who may teach the bot, and what each kind of feedback does. Every channel ends here.

- A reviewer's 👍 turns the answer into an accepted example at once. When the
  answer was a taught one (the offline backend's, from example X) for a
  differently worded question, that wording is added to X instead.
- A 👍 on "I don't know that one yet" or on an error notice teaches nothing, and
  says so: ✏️ is the way to teach there.
- A reviewer's correction becomes an accepted example at once, keeps the bot's
  original as the rejected side of a preference pair, and retires older
  accepted answers to the same or a near-identical question (and says which).
- Anyone else's 👍/👎 is only a signal; their corrections wait as *pending*
  until a reviewer approves them. A customer never puts words into training
  data on their own.

Every confirmation names the question taught and the example's id, in every
channel (they all show `Outcome.message`), in the person's language
(`bot.feedback_texts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from bot import feedback_texts, store, teaching
from bot.config import Settings
from bot.desk import items as desk_items
from bot.errors import BadInput
from bot.identity import is_reviewer, parse_identity
from bot.knowledge import Knowledge
from bot.tables import (
    Example,
    ExampleSource,
    ExampleStatus,
    Feedback,
    FeedbackKind,
    ReplyOutcome,
    utcnow,
)
from bot.tables import (
    Reply as ReplyRow,
)
from bot.text import clean_message


class Result(StrEnum):
    taught = "taught"  # an accepted example now shapes answers
    phrasing = "phrasing"  # another wording now gets an example's answer
    pending = "pending"  # waits for a reviewer
    signal = "signal"  # counted, teaches nothing by itself
    known = "known"  # the same example was already there
    nothing = "nothing"  # a 👍 on "I don't know" or an error notice: nothing to learn


@dataclass(frozen=True)
class Outcome:
    result: Result
    message: str
    feedback_id: int
    example_id: int | None = None


# Feedback on these teaches nothing (a 👍 says so; ✏️ is the way to teach there).
NOT_LEARNABLE = frozenset({ReplyOutcome.abstained, ReplyOutcome.error})


def context_of(reply: ReplyRow) -> list[dict[str, Any]]:
    """The conversation the model answered, without the system voice and retrieved examples,
    and without anyone else's words: a turn named after another person (a message the asker
    replied to, a thread's earlier messages; see `bot.asking`) is nobody's to teach."""
    return [
        {"role": m["role"], "content": m["content"]}
        for m in reply.prompt
        if m["role"] != "system" and not m.get("name")
    ]


def give(
    session: Session,
    settings: Settings,
    *,
    reply_id: int,
    user: str,
    kind: FeedbackKind,
    corrected_text: str | None = None,
    knowledge: Knowledge | None = None,
    language: str | None = None,
) -> Outcome:
    """Record one piece of feedback on a reply and apply the teaching rules.

    `knowledge`: the process's index, to embed what is taught at once and to find
    near-identical questions; without it vectors are made by the next index refresh.
    `language`: the person's, where their channel knows it (`es`, `en-GB`); without it
    the confirmation follows their correction's language, or the question's.
    """
    parse_identity(user)
    if knowledge is not None:  # before anything is written: it must only see committed rows
        knowledge.refresh(session.connection())
    reply = store.get_reply(session, reply_id=reply_id)
    reviewer = is_reviewer(user, settings)
    correction = None
    if kind == FeedbackKind.correct:
        correction = clean_message(corrected_text, max_chars=settings.max_message_chars * 4).text
    elif corrected_text is not None:
        raise BadInput("Only a correction carries text.")

    example: Example | None = None
    result = Result.signal
    replaced: list[Example] = []
    outcome = ReplyOutcome(reply.outcome) if reply.ok else ReplyOutcome.error
    if kind == FeedbackKind.approve and outcome in NOT_LEARNABLE:
        result = Result.nothing
    elif kind == FeedbackKind.approve and reviewer:
        example, result = _approve(session, reply, user, knowledge)
    elif kind == FeedbackKind.correct and correction is not None:
        if reviewer:
            example, result = _teach(session, reply, correction, user, ExampleSource.corrected)
        else:
            example, result = _suggest(session, reply, correction, user)
    if result == Result.taught and example is not None:
        teaching.embed_example(session, knowledge, example)
        replaced = teaching.supersede(session, knowledge, example, by=user)

    row = store.add_feedback(
        session,
        Feedback(
            reply_id=reply_id,
            user_id=user,
            kind=kind,
            corrected_text=correction,
            is_reviewer=reviewer,
            example_id=example.id if example else None,
        ),
    )
    # What waits for a person (a 👎, a suggestion) becomes a review desk item, and a
    # reviewer's teaching settles the answer's own item, in this same transaction.
    desk_items.after_feedback(session, reply=reply, feedback=row, example=example, result=result)
    asked = str(desk_items.question_of(reply))
    texts = feedback_texts.table_for(language, correction or "", asked)
    message = _message(texts, kind, result, example, asked, outcome, replaced)
    return Outcome(result, message, row.id or 0, example.id if example else None)


def _message(
    texts: dict[object, str],
    kind: FeedbackKind,
    result: Result,
    example: Example | None,
    asked: str,
    outcome: ReplyOutcome,
    replaced: list[Example],
) -> str:
    text = texts[(kind, result.value)].format(
        id=example.id if example else "",
        question=teaching.short(example.question) if example else "",
        asked=teaching.short(asked),
        what=texts.get(outcome, ""),
    )
    if replaced:
        older = ", ".join(f"#{row.id} «{teaching.short(row.question, 40)}»" for row in replaced)
        text += texts["replaces"].format(older=older)
    return text


def _approve(
    session: Session, reply: ReplyRow, user: str, knowledge: Knowledge | None
) -> tuple[Example, Result]:
    """A reviewer's 👍: a taught answer given to other words adds those words to it."""
    used = reply.used_examples[0]["id"] if reply.used_examples else None
    taught_answer = reply.backend == "examples" and reply.outcome in (
        ReplyOutcome.answered,
        ReplyOutcome.transparent,
    )
    if not taught_answer or used is None:
        return _teach(session, reply, reply.text, user, ExampleSource.approved)
    example = teaching.add_phrasing(session, knowledge, int(used), desk_items.question_of(reply))
    if example is not None:
        return example, Result.phrasing
    source = store.get_example(session, example_id=int(used))
    if source.status == ExampleStatus.accepted:
        return source, Result.known
    # Taken out since: the 👍 vouches for its answer here (without "If you mean …").
    return _teach(session, reply, source.answer, user, ExampleSource.approved)


def _rejected_side(reply: ReplyRow, answer: str) -> str | None:
    """The bot's original is the losing side of a preference pair, if it differs and was an
    answer (not an error notice, nor "I don't know": nothing to prefer the correction over)."""
    real = reply.ok and reply.outcome in (ReplyOutcome.answered, ReplyOutcome.transparent)
    return reply.text if real and reply.text.strip() != answer.strip() else None


def _teach(
    session: Session, reply: ReplyRow, answer: str, user: str, source: ExampleSource
) -> tuple[Example, Result]:
    candidate = store.new_example(
        prompt=context_of(reply),
        answer=answer,
        rejected_answer=_rejected_side(reply, answer),
        source=source,
        status=ExampleStatus.accepted,
        conversation_key=f"{reply.channel}:{reply.conversation_id}",
        reply_id=reply.id,
        created_by=user,
        reviewed_by=user,
    )
    existing = store.find_example_by_hash(session, digest=candidate.content_hash)
    if existing is not None and existing.status == ExampleStatus.accepted:
        return existing, Result.known
    if existing is not None:  # pending, rejected or superseded: a reviewer now vouches for it
        existing.status = ExampleStatus.accepted
        existing.reviewed_by = user
        example = store.save_example(session, existing)
    else:
        example = store.save_example(session, candidate)
    return example, Result.taught


def _suggest(session: Session, reply: ReplyRow, answer: str, user: str) -> tuple[Example, Result]:
    candidate = store.new_example(
        prompt=context_of(reply),
        answer=answer,
        rejected_answer=_rejected_side(reply, answer),
        source=ExampleSource.corrected,
        status=ExampleStatus.pending,
        conversation_key=f"{reply.channel}:{reply.conversation_id}",
        reply_id=reply.id,
        created_by=user,
    )
    existing = store.find_example_by_hash(session, digest=candidate.content_hash)
    if existing is not None:
        return (
            existing,
            Result.known if existing.status == ExampleStatus.accepted else Result.pending,
        )
    return store.save_example(session, candidate), Result.pending


def review(
    session: Session,
    settings: Settings,
    *,
    example_id: int,
    reviewer: str,
    approve: bool,
    knowledge: Knowledge | None = None,
) -> tuple[Example, list[Example]]:
    """A reviewer approves a pending example, or rejects a pending or accepted one.

    Returns the example and, on approval, the older answers it replaced.
    """
    if not is_reviewer(reviewer, settings):
        raise BadInput(f"{reviewer} is not a reviewer; only reviewers can approve examples.")
    example = store.get_example(session, example_id=example_id)
    if not approve:
        taken = teaching.take_back(session, example_id=example_id, by=reviewer)
        desk_items.after_review(session, example=taken, reviewer=reviewer, approved=False)
        return taken, []
    if example.status != ExampleStatus.pending:
        raise BadInput(f"Example {example_id} is {example.status}, not pending.")
    example.status = ExampleStatus.accepted
    example.reviewed_by, example.reviewed_at = reviewer, utcnow()
    store.save_example(session, example)
    teaching.embed_example(session, knowledge, example)
    replaced = teaching.supersede(session, knowledge, example, by=reviewer)
    desk_items.after_review(session, example=example, reviewer=reviewer, approved=True)
    return example, replaced
