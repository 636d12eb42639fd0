"""The teaching loop end to end, through the CLI, the way a newcomer runs it."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.db import make_engine
from bot.tables import Example, ExampleStatus, Feedback, Message, ModelVersion, Reply
from tests.support.cli import run

CORRECTION = "The Zorblat Club is our free loyalty club: 1 point per euro, 100 points = 5 € off."


def rows(url: str, model: type) -> list:
    engine = make_engine(url)
    with Session(engine) as session:
        found = list(session.exec(select(model)).all())
    engine.dispose()
    return found


def test_correct_then_reuse_then_train(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    first = run(capsys, "ask", "--json", "What is the zorblat club?")
    assert first.code == 0, first.err
    answer = first.json()
    assert {"reply_id", "text"} <= answer.keys()
    assert "zorblat" not in answer["text"].lower()  # it does not know yet, and says so

    fixed = run(capsys, "feedback", str(answer["reply_id"]), "--fix", CORRECTION)
    assert fixed.code == 0, fixed.err
    assert "learned" in fixed.out.lower()

    again = run(capsys, "ask", "tell me about the zorblat club")
    assert again.code == 0
    assert CORRECTION in again.out

    trained = run(capsys, "train")
    assert trained.code == 0, trained.err
    versions = rows(database_url, ModelVersion)
    assert [v.active for v in versions] == [True]
    listed = run(capsys, "models")
    assert versions[0].model_id in listed.out and "*" in listed.out

    corrected = [e for e in rows(database_url, Example) if e.source == "corrected"]
    assert len(corrected) == 1
    assert corrected[0].status == ExampleStatus.accepted
    assert corrected[0].answer == CORRECTION
    # "I don't know" is no answer to prefer the correction over: a preference pair against it
    # would teach the model to guess rather than say so.
    assert corrected[0].rejected_answer is None


def test_customer_correction_stays_pending_and_unused(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    answer = run(
        capsys, "ask", "--json", "--user", "telegram:42", "What is the zorblat club?"
    ).json()
    fixed = run(
        capsys, "feedback", str(answer["reply_id"]), "--fix", CORRECTION, "--user", "telegram:42"
    )
    assert fixed.code == 0
    assert "reviewer" in fixed.out.lower()

    again = run(capsys, "ask", "tell me about the zorblat club")
    assert CORRECTION not in again.out

    pending = run(capsys, "review")
    assert "1 pending" in pending.out
    example = next(e for e in rows(database_url, Example) if e.source == "corrected")
    assert example.status == ExampleStatus.pending
    feedback = rows(database_url, Feedback)
    assert [(f.user_id, f.kind, f.is_reviewer) for f in feedback] == [
        ("telegram:42", "correct", False)
    ]

    approved = run(capsys, "review", "--approve", str(example.id))
    assert approved.code == 0
    assert CORRECTION in run(capsys, "ask", "tell me about the zorblat club").out


def test_inbound_message_is_stored_with_the_reply(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    run(capsys, "ask", "Do you ship to Portugal?")
    messages = rows(database_url, Message)
    assert (messages[0].role, messages[0].text) == ("user", "Do you ship to Portugal?")
    (reply,) = rows(database_url, Reply)
    assert reply.prompt[-1] == {"role": "user", "content": "Do you ship to Portugal?"}
    assert reply.prompt[0]["role"] == "system"
    assert reply.model_id and reply.latency_ms >= 0 and reply.prompt_tokens > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "empty"),
        (["feedback", "999", "--good"], "No answer with id 999"),
        (["feedback", "1", "--good", "--bad"], "exactly one"),
        (["ask", "--user", "whatsapp:1", "hi"], "CHANNEL:ID"),
    ],
)
def test_bad_input_gets_one_clear_line(
    capsys: pytest.CaptureFixture[str], database_url: str, args: list[str], message: str
) -> None:
    result = run(capsys, *args)
    assert result.code != 0
    assert message in result.err
    assert "Traceback" not in result.err
