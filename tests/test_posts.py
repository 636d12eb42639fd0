"""Deliveries recorded with the question, and where answers were posted written in batches."""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session, select

from bot.app import Core
from bot.errors import BadInput, Repeated
from bot.messages import Incoming
from bot.posts import PostLog
from bot.tables import Message, ProcessedEvent, Reply
from bot.threads import find_post


def ask(core: Core, text: str, *, chat: str = "C1", key: str | None = None) -> int:
    incoming = Incoming("slack", chat, "U1", text, thread_id="1.0", delivery_key=key)
    return core.responder.answer(incoming).reply_id


def posted_as(core: Core) -> dict[int, str | None]:
    with Session(core.engine) as session:
        return {r.id or 0: r.platform_message_id for r in session.exec(select(Reply))}


def test_a_repeated_delivery_raises_and_stores_nothing_twice(core: Core) -> None:
    ask(core, "How much is shipping?", key="Ev1")
    with pytest.raises(Repeated):
        ask(core, "How much is shipping?", key="Ev1")
    ask(core, "How much is shipping?", key="Ev2")

    with Session(core.engine) as session:
        inbound = [m for m in session.exec(select(Message)) if m.role == "user"]
        keys = sorted(e.event_key for e in session.exec(select(ProcessedEvent)))
    assert len(inbound) == 2 and keys == ["Ev1", "Ev2"]
    assert len(posted_as(core)) == 2


def test_a_repeated_empty_question_is_refused_once(core: Core) -> None:
    with pytest.raises(BadInput):
        ask(core, "   ", key="Ev1")
    with pytest.raises(Repeated):  # the channel stays quiet instead of saying it again
        ask(core, "   ", key="Ev1")


def test_post_ids_ride_along_with_the_next_answer(core: Core) -> None:
    first = ask(core, "How much is shipping?")
    core.posts.add(reply_id=first, platform_message_id="C1:1.5")
    assert posted_as(core)[first] is None  # nothing written yet: no transaction of its own

    second = ask(core, "Do you ship to the UK?")
    assert posted_as(core) == {first: "C1:1.5", second: None}
    assert core.posts.pending == 0


def test_a_failed_answer_keeps_the_waiting_post_ids(core: Core) -> None:
    first = ask(core, "How much is shipping?", key="Ev1")
    core.posts.add(reply_id=first, platform_message_id="C1:1.5")
    with pytest.raises(Repeated):  # its transaction rolls back, with the post id in it
        ask(core, "How much is shipping?", key="Ev1")
    assert core.posts.pending == 1

    core.posts.close()  # as a stopping server does
    assert posted_as(core)[first] == "C1:1.5"


def test_a_quiet_bot_writes_post_ids_within_the_flush_interval(core: Core) -> None:
    posts = PostLog(core.engine, flush_s=0.05)
    reply_id = ask(core, "How much is shipping?")
    posts.add(reply_id=reply_id, platform_message_id="C1:1.5")
    deadline = time.monotonic() + 5
    while posted_as(core)[reply_id] is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert posted_as(core)[reply_id] == "C1:1.5"


def test_a_lookup_finds_a_post_still_waiting(core: Core) -> None:
    reply_id = ask(core, "How much is shipping?")
    core.posts.add(reply_id=reply_id, platform_message_id="C1:1.5")

    found = find_post(core.posts, channel="slack", platform_message_id="C1:1.5")
    assert found is not None and (found.reply_id, found.thread_id) == (reply_id, "1.0")
    assert find_post(core.posts, channel="slack", platform_message_id="C1:9.9") is None
