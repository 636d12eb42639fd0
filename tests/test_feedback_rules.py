"""The teaching rules: reviewers teach at once, others suggest, duplicates are stored once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from bot.app import build_core
from bot.db import session_scope
from bot.errors import BadInput
from bot.feedback import Result, give, review
from bot.messages import Incoming
from bot.tables import Example, ExampleStatus, FeedbackKind
from tests.support.openai_server import FakeOpenAI


def ask(core: Any, text: str, user: str = "console:ana", chat: str = "c1") -> Any:
    channel, user_id = user.split(":")
    return core.responder.answer(
        Incoming(channel=channel, chat_id=chat, user_id=user_id, text=text)
    )


def feedback(
    core: Any, reply_id: int, user: str, kind: FeedbackKind, text: str | None = None
) -> Any:
    with session_scope(core.engine) as session:
        return give(
            session, core.settings, reply_id=reply_id, user=user, kind=kind, corrected_text=text
        )


def examples(core: Any) -> list[Example]:
    with Session(core.engine) as session:
        return list(session.exec(select(Example).where(Example.source != "demo")).all())


def load_demo(core: Any) -> None:
    from bot.demo import load_demo as load

    with session_scope(core.engine) as session:
        load(session, embedder=core.knowledge.embedder)


def test_reviewer_approval_becomes_an_accepted_example(
    make_settings: Any, fake_openai: FakeOpenAI
) -> None:
    core = build_core(
        make_settings(
            model_backend="openai",
            openai_api_key="sk-test",
            openai_base_url=fake_openai.base_url,
            openai_max_retries=0,
        )
    )
    try:
        fake_openai.reply("Yes: Portugal is 3–5 working days away.")
        reply = ask(core, "Do you ship to Portugal?")
        outcome = feedback(core, reply.reply_id, "console:ana", FeedbackKind.approve)
        assert outcome.result == Result.taught
        (example,) = examples(core)
        assert example.status == ExampleStatus.accepted
        assert example.answer == reply.text
        assert example.prompt == [{"role": "user", "content": "Do you ship to Portugal?"}]
        assert example.rejected_answer is None
    finally:
        core.engine.dispose()


def test_non_reviewer_thumbs_are_only_signals(core: Any) -> None:
    load_demo(core)  # so there is an answer to rate
    reply = ask(core, "How much is shipping?", user="telegram:7")
    assert reply.outcome != "abstained"
    assert (
        feedback(core, reply.reply_id, "telegram:7", FeedbackKind.approve).result == Result.signal
    )
    assert feedback(core, reply.reply_id, "telegram:7", FeedbackKind.reject).result == Result.signal
    assert examples(core) == []


def test_duplicate_correction_is_stored_once(core: Any) -> None:
    reply = ask(core, "What is the zorblat club?")
    feedback(core, reply.reply_id, "console:ana", FeedbackKind.correct, "Our loyalty club.")
    again = feedback(
        core, reply.reply_id, "console:ana", FeedbackKind.correct, "  our loyalty  club. "
    )
    assert again.result == Result.known
    assert len(examples(core)) == 1


def test_newer_correction_supersedes_older(core: Any) -> None:
    first = ask(core, "What is the zorblat club?")
    feedback(core, first.reply_id, "console:ana", FeedbackKind.correct, "A club for plants.")
    second = ask(core, "What is the zorblat club?", chat="c2")
    assert second.text == "A club for plants."
    feedback(core, second.reply_id, "console:ana", FeedbackKind.correct, "Our loyalty club.")
    statuses = {e.answer: e.status for e in examples(core)}
    assert statuses == {"A club for plants.": "superseded", "Our loyalty club.": "accepted"}
    assert ask(core, "what is the zorblat club", chat="c3").text == "Our loyalty club."


def test_pending_suggestion_needs_a_reviewer(core: Any) -> None:
    reply = ask(core, "What is the zorblat club?", user="telegram:42")
    outcome = feedback(core, reply.reply_id, "telegram:42", FeedbackKind.correct, "Loyalty club.")
    assert outcome.result == Result.pending
    with session_scope(core.engine) as session, pytest.raises(BadInput, match="not a reviewer"):
        review(
            session,
            core.settings,
            example_id=outcome.example_id,
            reviewer="telegram:42",
            approve=True,
        )
    with session_scope(core.engine) as session:
        review(
            session,
            core.settings,
            example_id=outcome.example_id,
            reviewer="console:ana",
            approve=True,
        )
    assert [e.status for e in examples(core)] == ["accepted"]


def test_reviewer_lists_come_from_settings(make_settings: Any) -> None:
    from bot.identity import is_reviewer

    settings = make_settings(
        telegram_reviewers=["42"], slack_reviewers=["U1"], console_is_reviewer=False
    )
    assert is_reviewer("telegram:42", settings) and not is_reviewer("telegram:7", settings)
    assert is_reviewer("slack:U1", settings) and not is_reviewer("slack:U2", settings)
    assert not is_reviewer("console:ana", settings)
    everyone = make_settings()
    assert is_reviewer("slack:U2", everyone) and not is_reviewer("telegram:42", everyone)


def test_empty_correction_is_refused_and_nothing_changes(core: Any) -> None:
    reply = ask(core, "hi")
    with pytest.raises(BadInput):
        feedback(core, reply.reply_id, "console:ana", FeedbackKind.correct, "   \x00  ")
    assert examples(core) == []
