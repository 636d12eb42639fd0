"""Who may teach the bot, and what each kind of feedback does. Every channel ends here.

- A reviewer's 👍 turns the answer into an accepted example at once.
- A reviewer's correction becomes an accepted example at once, keeps the bot's
  original as the rejected side of a preference pair, and retires older
  accepted answers to the same question.
- Anyone else's 👍/👎 is only a signal; their corrections wait as *pending*
  until a reviewer approves them. A customer never puts words into training
  data on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from bot import store
from bot.config import Settings
from bot.desk import items as desk_items
from bot.errors import BadInput
from bot.identity import is_reviewer, parse_identity
from bot.tables import (
    Example,
    ExampleSource,
    ExampleStatus,
    Feedback,
    FeedbackKind,
)
from bot.tables import (
    Reply as ReplyRow,
)
from bot.text import clean_message


class Result(StrEnum):
    taught = "taught"  # an accepted example now shapes answers
    pending = "pending"  # waits for a reviewer
    signal = "signal"  # counted, teaches nothing by itself
    known = "known"  # the same example was already there


@dataclass(frozen=True)
class Outcome:
    result: Result
    message: str
    feedback_id: int
    example_id: int | None = None


MESSAGES = {
    (FeedbackKind.approve, Result.taught): "Thanks! I'll answer like this from now on.",
    (FeedbackKind.approve, Result.signal): "Thanks for the 👍, noted.",
    (FeedbackKind.approve, Result.known): "Thanks! I already knew this one.",
    (FeedbackKind.reject, Result.signal): "Thanks for telling me; noted for the team's review.",
    (FeedbackKind.correct, Result.taught): "Thanks, learned: I'll use your answer from now on.",
    (FeedbackKind.correct, Result.pending): (
        "Thanks for the correction! A reviewer will check it before I use it."
    ),
    (FeedbackKind.correct, Result.known): "Thanks! I already had exactly this answer.",
}


def context_of(reply: ReplyRow) -> list[dict[str, Any]]:
    """The conversation the model answered, without the system voice and retrieved examples."""
    return [
        {"role": m["role"], "content": m["content"]} for m in reply.prompt if m["role"] != "system"
    ]


def give(
    session: Session,
    settings: Settings,
    *,
    reply_id: int,
    user: str,
    kind: FeedbackKind,
    corrected_text: str | None = None,
) -> Outcome:
    """Record one piece of feedback on a reply and apply the teaching rules."""
    parse_identity(user)
    reply = store.get_reply(session, reply_id=reply_id)
    reviewer = is_reviewer(user, settings)
    correction = None
    if kind == FeedbackKind.correct:
        correction = clean_message(corrected_text, max_chars=settings.max_message_chars * 4).text
    elif corrected_text is not None:
        raise BadInput("Only a correction carries text.")

    example: Example | None = None
    result = Result.signal
    if kind == FeedbackKind.approve and reviewer:
        if not reply.ok:
            raise BadInput("That answer was an error notice; there is nothing in it to learn.")
        example, result = _teach(session, reply, reply.text, user, ExampleSource.approved)
    elif kind == FeedbackKind.correct and correction is not None:
        if reviewer:
            example, result = _teach(session, reply, correction, user, ExampleSource.corrected)
        else:
            example, result = _suggest(session, reply, correction, user)

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
    return Outcome(result, MESSAGES[(kind, result)], row.id or 0, example.id if example else None)


def _rejected_side(reply: ReplyRow, answer: str) -> str | None:
    """The bot's original is the losing side of a preference pair, if it differs and was real."""
    return reply.text if reply.ok and reply.text.strip() != answer.strip() else None


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
    store.supersede_same_question(session, example=example)
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
    session: Session, settings: Settings, *, example_id: int, reviewer: str, approve: bool
) -> Example:
    """A reviewer approves (accepts) or rejects a pending example."""
    if not is_reviewer(reviewer, settings):
        raise BadInput(f"{reviewer} is not a reviewer; only reviewers can approve examples.")
    example = store.get_example(session, example_id=example_id)
    if example.status != ExampleStatus.pending:
        raise BadInput(f"Example {example_id} is {example.status}, not pending.")
    example.status = ExampleStatus.accepted if approve else ExampleStatus.rejected
    example.reviewed_by = reviewer
    store.save_example(session, example)
    if approve:
        store.supersede_same_question(session, example=example)
    desk_items.after_review(session, example=example, reviewer=reviewer, approved=approve)
    return example
