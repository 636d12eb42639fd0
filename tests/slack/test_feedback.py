"""Teaching the bot from Slack: 👍 / 👎 buttons, the Correct modal, and 👍 reactions."""

from __future__ import annotations

import json
from typing import Any

from bot.tables import Example, ExampleSource, ExampleStatus, Feedback, FeedbackKind, Reply
from tests.slack.conftest import Bot
from tests.support.slack_server import BOT_USER, block_action, message, view_submission

ZORBLAT = "The Zorblat Club is our free loyalty club: 1 point per euro, 100 points = 5 € off."


def ask(bot: Bot, text: str) -> tuple[Any, dict[str, Any]]:
    """Mention the bot in a channel; returns the finished answer and the question's event."""
    asked = message(f"<@{BOT_USER}> {text}", kind="app_mention")
    before = len(bot.slack.answers())
    bot.deliver(asked)
    answers = bot.slack.wait_answered(before + 1)
    return answers[-1], asked


def click(bot: Bot, answer: Any, element: dict[str, Any], value: str, user: str) -> Any:
    """Click a button of an answer's controls the way Slack reports it."""
    action = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": "b",
        "value": value,
        "action_ts": "1700000000.1",
    }
    body = block_action(
        action, user=user, channel=answer.channel, message_ts=answer.ts, thread_ts=answer.thread_ts
    )
    response = bot.send(body)
    assert response.status == 200
    return response


def rate(bot: Bot, answer: Any, positive: bool, user: str = "U0ANA") -> None:
    buttons = answer.blocks[-2]["elements"][0]
    side = "positive_button" if positive else "negative_button"
    click(bot, answer, buttons, buttons[side]["value"], user)


def open_correct(bot: Bot, answer: Any, user: str = "U0ANA") -> dict[str, Any]:
    """Click ✏️ Correct; returns the modal Slack was asked to open."""
    button = answer.blocks[-1]["elements"][0]
    click(bot, answer, button, button["value"], user)
    bot.slack.wait(lambda: bool(bot.slack.calls("views.open")))
    view: dict[str, Any] = bot.slack.calls("views.open")[-1].args["view"]
    return view


def test_thumbs_up_button_from_a_reviewer_teaches_the_answer(start_bot: Any) -> None:
    bot = start_bot()
    answer, asked = ask(bot, "how much is shipping to Spain?")
    rate(bot, answer, positive=True)
    bot.drain()

    (feedback,) = bot.rows(Feedback)
    (reply,) = bot.rows(Reply)
    assert (feedback.reply_id, feedback.kind, feedback.user_id) == (
        reply.id,
        FeedbackKind.approve,
        "slack:U0ANA",
    )
    assert feedback.is_reviewer  # everyone in the workspace reviews by default
    # The answer came from a taught example asked in other words: the 👍 teaches that
    # example these words too (issue 12), and the note names both.
    [used] = [e for e in bot.rows(Example) if e.id == reply.used_examples[0]["id"]]
    assert feedback.example_id == used.id and used.status == ExampleStatus.accepted
    assert "how much is shipping to Spain?" in used.phrasings
    assert used.answer in reply.text
    (note,) = bot.slack.notes()
    assert (note["user"], note["channel"], note["thread_ts"]) == ("U0ANA", "C0GENERAL", asked["ts"])
    assert note["text"] == (
        f"Thanks! «how much is shipping to Spain?» now gets the answer of #{used.id} "
        f"«{used.question}»."
    )


def test_thumbs_down_button_is_a_signal(start_bot: Any) -> None:
    bot = start_bot()
    answer, _ = ask(bot, "how much is shipping to Spain?")
    rate(bot, answer, positive=False)
    bot.drain()

    (feedback,) = bot.rows(Feedback)
    assert feedback.kind == FeedbackKind.reject and feedback.example_id is None
    assert "noted" in bot.slack.notes()[0]["text"]


def test_correct_modal_prefilled_then_submitted_teaches_at_once(start_bot: Any) -> None:
    bot = start_bot()
    answer, asked = ask(bot, "What is the zorblat club?")
    view = open_correct(bot, answer)
    (reply,) = bot.rows(Reply)
    assert view["blocks"][0]["element"]["initial_value"] == reply.text
    assert json.loads(view["private_metadata"])["reply_id"] == reply.id

    submitted = bot.send(view_submission(view, user="U0ANA", text=ZORBLAT))
    assert submitted.status == 200 and not submitted.body  # the modal closes
    bot.slack.wait(lambda: bool(bot.slack.notes()))

    (feedback,) = bot.rows(Feedback)
    assert (feedback.kind, feedback.corrected_text, feedback.is_reviewer) == (
        FeedbackKind.correct,
        ZORBLAT,
        True,
    )
    example = next(e for e in bot.rows(Example) if e.source == ExampleSource.corrected)
    assert (example.status, example.answer) == (ExampleStatus.accepted, ZORBLAT)
    note = bot.slack.notes()[0]
    assert "learned" in note["text"] and note["thread_ts"] == asked["ts"]

    again, _ = ask(bot, "tell me about the zorblat club")  # the very next question uses it
    assert ZORBLAT in again.text


def test_a_non_reviewers_correction_waits_for_review(start_bot: Any) -> None:
    bot = start_bot(slack_reviewers=["U0BOSS"])
    answer, _ = ask(bot, "What is the zorblat club?")
    view = open_correct(bot, answer, user="U0ANA")
    bot.send(view_submission(view, user="U0ANA", text=ZORBLAT))
    bot.slack.wait(lambda: bool(bot.slack.notes()))

    (feedback,) = bot.rows(Feedback)
    assert feedback.kind == FeedbackKind.correct and not feedback.is_reviewer
    example = next(e for e in bot.rows(Example) if e.source == ExampleSource.corrected)
    assert example.status == ExampleStatus.pending
    assert "reviewer will check" in bot.slack.notes()[0]["text"]

    again, _ = ask(bot, "tell me about the zorblat club")
    assert ZORBLAT not in again.text


def test_an_empty_correction_is_refused_inside_the_modal(start_bot: Any) -> None:
    bot = start_bot()
    answer, _ = ask(bot, "What is the zorblat club?")
    view = open_correct(bot, answer)

    refused = bot.send(view_submission(view, user="U0ANA", text="   "))
    body = json.loads(refused.body)
    assert body["response_action"] == "errors" and "empty" in body["errors"]["answer"]
    assert bot.rows(Feedback) == []


def test_thumbs_up_reaction_on_an_answer_approves_it(start_bot: Any) -> None:
    bot = start_bot()
    answer, asked = ask(bot, "how much is shipping to Spain?")
    bot.drain()
    bot = start_bot()  # a restarted bot still knows which message was which answer
    reaction = {
        "type": "reaction_added",
        "user": "U0BEA",
        "reaction": "+1::skin-tone-3",
        "item": {"type": "message", "channel": answer.channel, "ts": answer.ts},
        "item_user": BOT_USER,
        "event_ts": "1700000100.000100",
    }
    bot.deliver(reaction)
    bot.deliver({**reaction, "reaction": "heart"})
    bot.deliver(
        {**reaction, "item": {"type": "message", "channel": "C0GENERAL", "ts": asked["ts"]}}
    )
    bot.drain()

    (feedback,) = bot.rows(Feedback)
    assert (feedback.kind, feedback.user_id) == (FeedbackKind.approve, "slack:U0BEA")
    (note,) = bot.slack.notes()
    assert (note["user"], note["thread_ts"]) == ("U0BEA", asked["ts"])
