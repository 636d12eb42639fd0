"""Replies looked up for feedback, and the feedback itself.

One way of writing queries here: ORM objects in the caller's `Session`. Feedback
rules (`bot.feedback`) read a reply, write the feedback and an example in one unit
of work that commits or fails whole, so they want the objects, and a click is
rare next to answers: the ORM's cost does not matter here.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.errors import NotFound
from bot.store.ids import by_id
from bot.tables import Feedback, Reply


def get_reply(session: Session, *, reply_id: int) -> Reply:
    reply = by_id(session, Reply, reply_id)
    if reply is None:
        raise NotFound(f"No answer with id {reply_id}: check the id shown under the answer.")
    return reply


def add_feedback(session: Session, feedback: Feedback) -> Feedback:
    session.add(feedback)
    session.flush()
    return feedback
