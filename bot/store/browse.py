"""Read-only queries behind the console's pages: lists that stay fast at 100,000 rows.

Lists are newest first, `limit` rows from `offset`; callers ask for one row more
than they show to know whether another page follows, so no list needs a count of
everything that matches. Searches match `%` and `_` as themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, func, text
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from bot.db import SEARCH_TABLE
from bot.errors import NotFound
from bot.store.ids import by_id
from bot.tables import (
    Conversation,
    Example,
    ExampleSource,
    ExampleStatus,
    Feedback,
    FeedbackKind,
    Message,
    Reply,
    ReplyOutcome,
    TuningRun,
)

PLAYGROUND = "playground"  # the console's own channel: never counted as customers'
LIKE_ESCAPE = "\\"
TRIGRAM = 3  # the trigram index finds substrings of at least this many characters


def like_pattern(text: str) -> str:
    """`%text%` for LIKE with `\\`, `%` and `_` in `text` matching themselves."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return f"%{text}%"


# --- examples -------------------------------------------------------------------------


def examples_page(
    session: Session,
    *,
    search: str = "",
    status: ExampleStatus | None = None,
    source: ExampleSource | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Sequence[Example]:
    query = select(Example).order_by(col(Example.id).desc()).offset(offset).limit(limit)
    if status is not None:
        query = query.where(Example.status == status)
    if source is not None:
        query = query.where(Example.source == source)
    if search:
        query = query.where(_matching(session, search))
    return session.exec(query).all()


def _matching(session: Session, search: str) -> Any:
    """Examples whose question or answer holds `search`, case aside.

    On SQLite, three characters or more go through the trigram index `example_search`
    (a quoted FTS5 phrase: every character literal); shorter ones, and PostgreSQL, scan
    with (I)LIKE. SQLite's LIKE already ignores ASCII case, and its lower() knows no more."""
    if session.get_bind().dialect.name == "sqlite":
        if len(search) >= TRIGRAM:
            phrase = '"' + search.replace('"', '""') + '"'
            hits = text(f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :phrase")
            return col(Example.id).in_(hits.bindparams(phrase=phrase).columns(rowid=Integer))
        pattern = like_pattern(search)
        return col(Example.question).like(pattern, escape=LIKE_ESCAPE) | col(Example.answer).like(
            pattern, escape=LIKE_ESCAPE
        )
    pattern = like_pattern(search)
    return col(Example.question).ilike(pattern, escape=LIKE_ESCAPE) | col(Example.answer).ilike(
        pattern, escape=LIKE_ESCAPE
    )


def examples_by_status(session: Session) -> dict[str, int]:
    """How many examples there are in each status, in one pass."""
    rows = session.exec(select(Example.status, func.count()).group_by(col(Example.status))).all()
    counts = {str(status): int(n) for status, n in rows}
    return {s.value: counts.get(s.value, 0) for s in ExampleStatus}


def feedback_on_reply(session: Session, *, reply_id: int) -> Sequence[Feedback]:
    return session.exec(
        select(Feedback).where(Feedback.reply_id == reply_id).order_by(col(Feedback.id))
    ).all()


def examples_by_id(session: Session, *, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """The question and answer of each of these examples that exists (by primary key)."""
    if not ids:
        return {}
    rows = session.exec(
        select(Example.id, Example.question, Example.answer).where(col(Example.id).in_(set(ids)))
    ).all()
    return {example_id or 0: (question, answer) for example_id, question, answer in rows}


# --- conversations ------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationRow:
    conversation: Conversation
    first_question: str
    replies: int
    feedback: int


def conversations_page(
    session: Session, *, channel: str = "", offset: int = 0, limit: int = 50
) -> list[ConversationRow]:
    query = select(Conversation).order_by(col(Conversation.id).desc()).offset(offset).limit(limit)
    if channel:
        query = query.where(Conversation.channel == channel)
    conversations = session.exec(query).all()
    ids = [c.id for c in conversations]
    if not ids:
        return []
    firsts = session.exec(
        select(func.min(Message.id))
        .where(col(Message.conversation_id).in_(ids))
        .where(Message.role == "user")
        .group_by(col(Message.conversation_id))
    ).all()
    questions = dict(
        session.exec(
            select(Message.conversation_id, Message.text).where(col(Message.id).in_(list(firsts)))
        ).all()
    )
    replies = dict(
        session.exec(
            select(Reply.conversation_id, func.count())
            .where(col(Reply.conversation_id).in_(ids))
            .group_by(col(Reply.conversation_id))
        ).all()
    )
    feedback = dict(
        session.exec(
            select(Reply.conversation_id, func.count())
            .join(Feedback, col(Feedback.reply_id) == col(Reply.id))
            .where(col(Reply.conversation_id).in_(ids))
            .group_by(col(Reply.conversation_id))
        ).all()
    )
    return [
        ConversationRow(
            c, questions.get(c.id or 0, ""), replies.get(c.id or 0, 0), feedback.get(c.id or 0, 0)
        )
        for c in conversations
    ]


def conversation_channels(session: Session) -> list[str]:
    """The channels conversations came from (the lookup index serves this)."""
    return sorted(str(c) for c in session.exec(select(Conversation.channel).distinct()).all())


def open_threads(session: Session, *, channel: str, chat_id: str) -> list[str]:
    """The threads of a chat that hold an open conversation."""
    return list(
        session.exec(
            select(Conversation.thread_id)
            .where(Conversation.channel == channel)
            .where(Conversation.chat_id == chat_id)
            .where(col(Conversation.closed_at).is_(None))
        ).all()
    )


@dataclass(frozen=True)
class Thread:
    """A conversation's messages with the replies, and their feedback, by inbound message."""

    conversation: Conversation
    messages: Sequence[Message]
    replies: dict[int, list[Reply]]  # by the id of the message answered
    feedback: dict[int, list[Feedback]]  # by reply id


def conversation(session: Session, *, conversation_id: int) -> Conversation:
    found = by_id(session, Conversation, conversation_id)
    if found is None:
        raise NotFound(f"No conversation with id {conversation_id}.")
    return found


def thread(session: Session, *, conversation: Conversation) -> Thread:
    messages = session.exec(
        select(Message).where(Message.conversation_id == conversation.id).order_by(col(Message.id))
    ).all()
    replies: dict[int, list[Reply]] = defaultdict(list)
    for reply in session.exec(
        select(Reply).where(Reply.conversation_id == conversation.id).order_by(col(Reply.id))
    ).all():
        replies[reply.message_id].append(reply)
    ids = [r.id for rows in replies.values() for r in rows]
    feedback: dict[int, list[Feedback]] = defaultdict(list)
    if ids:
        for row in session.exec(
            select(Feedback).where(col(Feedback.reply_id).in_(ids)).order_by(col(Feedback.id))
        ).all():
            feedback[row.reply_id].append(row)
    return Thread(conversation, messages, dict(replies), dict(feedback))


# --- home -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    starts: datetime
    good: int
    bad: int
    corrected: int


def feedback_by_week(session: Session, *, now: datetime, weeks: int = 8) -> list[Week]:
    """👍 / 👎 / ✏️ per week (weeks start on Monday, UTC), oldest first; playground left out.

    One pass: a CASE names each row's week from boundaries computed here, so SQLite
    and PostgreSQL agree without date functions of their own."""
    monday = week_start(now)
    starts = [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    created = col(Feedback.created_at)
    week = case(
        *[(created >= start, index) for index, start in reversed(list(enumerate(starts)))],
        else_=-1,
    )
    rows = session.exec(
        select(week, Feedback.kind, func.count())
        .join(Reply, col(Reply.id) == col(Feedback.reply_id))
        .where(created >= starts[0])
        .where(col(Reply.channel) != PLAYGROUND)
        .group_by(week, col(Feedback.kind))
    ).all()
    counts: dict[tuple[int, str], int] = {(int(w), str(k)): int(n) for w, k, n in rows}
    return [
        Week(
            start,
            counts.get((i, FeedbackKind.approve), 0),
            counts.get((i, FeedbackKind.reject), 0),
            counts.get((i, FeedbackKind.correct), 0),
        )
        for i, start in enumerate(starts)
    ]


def unanswered_since(session: Session, *, since: datetime) -> int:
    """Questions the bot could not answer (`reply.outcome` abstained or error), playground
    left out."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Reply)
            .where(col(Reply.created_at) >= since)
            .where(col(Reply.outcome).in_([ReplyOutcome.abstained, ReplyOutcome.error]))
            .where(col(Reply.channel) != PLAYGROUND)
        ).one()
    )


def week_start(now: datetime) -> datetime:
    """Monday 00:00 UTC of `now`'s week: where every weekly count begins."""
    return (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


# --- runs -----------------------------------------------------------------------------


def runs_page(session: Session, *, offset: int = 0, limit: int = 20) -> Sequence[TuningRun]:
    """Runs without their metrics (a local run's holds its whole loss curve): lists need none."""
    return session.exec(
        select(TuningRun)
        .options(defer(TuningRun.metrics))  # type: ignore[arg-type]
        .order_by(col(TuningRun.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
