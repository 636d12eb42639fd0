"""The `openai` backend through the real `openai.OpenAI` client against a fake server."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from bot.app import build_core
from bot.db import session_scope
from bot.feedback import give
from bot.messages import Incoming
from bot.responder import FALLBACK
from bot.tables import FeedbackKind, Message, Reply
from tests.support.openai_server import FakeOpenAI

VOICE = "You are Verdalia's assistant. Warm, witty, short."
CORRECTION = "The Zorblat Club is our free loyalty club: 1 point per euro."


@pytest.fixture
def openai_core(make_settings: Any, fake_openai: FakeOpenAI) -> Any:
    core = build_core(
        make_settings(
            model_backend="openai",
            openai_api_key="sk-test-secret-123",
            openai_base_url=fake_openai.base_url,
            openai_model="gpt-test",
            openai_timeout_s=0.5,
            openai_max_retries=2,
            system_prompt=VOICE,
        )
    )
    yield core
    core.engine.dispose()


def ask(core: Any, text: str, chat: str = "c1", **kwargs: Any) -> Any:
    return core.responder.answer(
        Incoming(channel="console", chat_id=chat, user_id="ana", text=text), **kwargs
    )


def test_request_has_voice_correction_and_history(
    openai_core: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("I don't know.")
    first = ask(openai_core, "What is the zorblat club?")
    with session_scope(openai_core.engine) as session:
        give(
            session,
            openai_core.settings,
            reply_id=first.reply_id,
            user="console:ana",
            kind=FeedbackKind.correct,
            corrected_text=CORRECTION,
        )
    fake_openai.reply("It's our loyalty club!")
    second = ask(openai_core, "tell me about the zorblat club")
    assert second.text == "It's our loyalty club!"
    assert second.ok

    body = fake_openai.chat_requests()[-1]
    assert body["model"] == "gpt-test"
    system, *history, question = body["messages"]
    assert system["role"] == "system"
    assert system["content"].startswith(VOICE)
    assert CORRECTION in system["content"]  # retrieved at once, before any retraining
    assert history == [
        {"role": "user", "content": "What is the zorblat club?"},
        {"role": "assistant", "content": "I don't know."},
    ]
    assert question == {"role": "user", "content": "tell me about the zorblat club"}


def test_streaming_passes_pieces_and_stores_usage(
    openai_core: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("Free shipping over 35 euros")
    pieces: list[str] = []
    reply = ask(openai_core, "shipping?", on_delta=pieces.append)
    assert "".join(pieces) == reply.text == "Free shipping over 35 euros"
    assert len(pieces) > 1
    with Session(openai_core.engine) as session:
        row = session.exec(select(Reply)).one()
    assert (row.model_id, row.prompt_tokens, row.completion_tokens) == ("gpt-test", 11, 5)
    assert fake_openai.chat_requests()[-1]["stream"] is True


@pytest.mark.parametrize("status", [429, 500])
def test_errors_are_retried_then_answered(
    openai_core: Any, fake_openai: FakeOpenAI, status: int
) -> None:
    fake_openai.fail(status, times=2)
    fake_openai.reply("Recovered")
    reply = ask(openai_core, "hello?")
    assert reply.text == "Recovered"
    assert len(fake_openai.chat_requests()) == 3


@pytest.mark.parametrize("failure", ["429", "500", "timeout"])
def test_persistent_failure_gives_fallback_and_keeps_message(
    openai_core: Any, fake_openai: FakeOpenAI, failure: str
) -> None:
    if failure == "timeout":
        fake_openai.stall(2.0, times=3)
    else:
        fake_openai.fail(int(failure), times=3)
    reply = ask(openai_core, "Where is my order #123?")
    assert reply.text == FALLBACK
    assert not reply.ok
    assert len(fake_openai.requests) == 3  # one try + two retries, then it stops
    with Session(openai_core.engine) as session:
        inbound = session.exec(select(Message).where(Message.role == "user")).one()
        row = session.exec(select(Reply)).one()
    assert inbound.text == "Where is my order #123?"
    assert row.ok is False and row.error
    assert "sk-test-secret-123" not in (row.error or "")


def test_fallback_cannot_be_approved(openai_core: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.fail(500, times=3)
    reply = ask(openai_core, "hi")
    from bot.feedback import Result

    with session_scope(openai_core.engine) as session:
        outcome = give(
            session,
            openai_core.settings,
            reply_id=reply.reply_id,
            user="console:ana",
            kind=FeedbackKind.approve,
        )
    assert outcome.result == Result.nothing and outcome.example_id is None
    assert "error notice" in outcome.message and "nothing in it to learn" in outcome.message
