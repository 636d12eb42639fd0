"""When something needs a person: the review items that feedback and answers make.

- A non-reviewer's correction waits as a pending example: a `suggestion` item.
- Any 👎 on an answer: a `rejected` item, unless a reviewer already taught an
  answer for it (the 👎 is then only a signal).
- A question the bot could not answer: an `unanswered` item, written by the
  responder with the reply itself.

An answer has at most one item of its own (`reply:N`: a 👎 on a question already
waiting as unanswered adds nothing), and a suggestion one per pending example
(`example:N`). A reviewer who teaches an answer anywhere (👍 or ✏️ in place, the
console, the CLI, or by approving a suggestion made on it) settles that answer's
item: it is marked handled, `resolved`.
The playground's answers are the reviewers' own tests and make no item.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection
from sqlmodel import Session

from bot import confirming
from bot.desk.tables import ItemKind
from bot.store import desk as store_desk
from bot.tables import Example, ExampleStatus, Feedback, FeedbackKind, Reply, utcnow

if TYPE_CHECKING:
    from bot.asking import Asked

NO_ITEMS = frozenset({"playground"})  # channels whose answers never reach the desk
TEACHING = frozenset({"taught", "known", "phrasing"})  # results that put a reviewer's answer in


def question_of(reply: Reply) -> str:
    """The question a reply answers: the last user turn of its prompt or, when that only said
    yes to the question a "don't know" named (`bot.confirming`), the question asked before."""
    said = confirming.confirmed([m for m in reply.prompt if m["role"] != "system"])
    if said is not None:
        return said[1]
    return next((str(m["content"]) for m in reversed(reply.prompt) if m["role"] == "user"), "")


def note_unanswered_on(connection: Connection, *, reply_id: int, asked: Asked, answer: str) -> None:
    """The item of a question the bot could not answer, written with its reply (the
    responder's transaction, on the answer's path: one statement)."""
    if asked.channel in NO_ITEMS:
        return
    values = {
        "key": f"reply:{reply_id}",
        "kind": ItemKind.unanswered,
        "reply_id": reply_id,
        "channel": asked.channel,
        "chat_id": asked.chat_id,
        "asked_by": asked.user_id,
        "question": asked.text,
        "answer": answer,
    }
    store_desk.add_item_on(connection, values)


def after_feedback(
    session: Session, *, reply: Reply, feedback: Feedback, example: Example | None, result: str
) -> int | None:
    """Make the item a piece of feedback calls for, or settle the one it answers; the new
    item's id, if any. Runs in the feedback's own transaction (`bot.feedback.give`)."""
    if reply.channel in NO_ITEMS or reply.id is None:
        return None
    if feedback.is_reviewer and str(result) in TEACHING and feedback.kind != FeedbackKind.reject:
        store_desk.resolve_reply_items(session, reply_id=reply.id, by=feedback.user_id, at=utcnow())
        return None
    if feedback.kind == FeedbackKind.reject:
        if store_desk.reply_was_taught(session, reply_id=reply.id):
            return None
        return store_desk.add_item(
            session,
            _about(session, reply, feedback, key=f"reply:{reply.id}", kind=ItemKind.rejected),
        )
    pending = example is not None and example.status == ExampleStatus.pending
    if feedback.kind == FeedbackKind.correct and pending and example is not None:
        values = _about(
            session, reply, feedback, key=f"example:{example.id}", kind=ItemKind.suggestion
        )
        values |= {"example_id": example.id, "suggestion": example.answer}
        return store_desk.add_item(session, values)
    return None


def _about(
    session: Session, reply: Reply, feedback: Feedback, *, key: str, kind: ItemKind
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "reply_id": reply.id,
        "feedback_id": feedback.id,
        "channel": reply.channel,
        "chat_id": reply.chat_id,
        "asked_by": store_desk.asker_of(session, reply=reply),
        "raised_by": feedback.user_id,
        "question": question_of(reply),
        "answer": reply.text,
    }


def after_review(session: Session, *, example: Example, reviewer: str, approved: bool) -> None:
    """A pending suggestion approved or rejected, on the desk or outside it (`afina review
    -a`): its item is handled too, so its cards stop asking. Approved, it is a reviewer's
    answer to the reply it came from: that reply's 👎 or unanswered item is settled too."""
    if example.id is not None:
        store_desk.resolve_suggestion(
            session, example_id=example.id, by=reviewer, approved=approved
        )
    if approved and example.reply_id is not None:
        store_desk.resolve_reply_items(session, reply_id=example.reply_id, by=reviewer, at=utcnow())
