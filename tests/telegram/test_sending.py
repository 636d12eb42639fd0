"""A finished answer reaches the chat once, even when the network drops its first sends.

Through the real PTB `Application` polling the fake Bot API, which drops the
connection of a `sendMessage` (the placeholder) or an `editMessageText` (the answer
written into it), before or after Telegram carried it out, answers it with a 5xx,
or rate-limits it (429 with `retry_after`) on demand. The webhook hands updates to
the same handlers: sending is the same there.
"""

from __future__ import annotations

import pytest

from bot.tables import Question, QuestionState
from tests.support.telegram_server import message_update, private_chat, user
from tests.telegram.harness import CUSTOMER, Running

QUESTION = "Do you ship to the Canary Islands?"


async def delivered_once(bot: Running) -> None:
    await bot.until(lambda fake: len(fake.shown(CUSTOMER)) >= 1, timeout=30)
    await bot.settle()
    [answer] = bot.fake.shown(CUSTOMER)
    assert answer.buttons, "the answer itself, with its buttons"
    assert "went wrong" not in answer["text"]
    assert [q.state for q in bot.rows(Question)] == [QuestionState.posted]


@pytest.mark.parametrize("method", ["sendMessage", "editMessageText"])
@pytest.mark.parametrize("times", [1, 2])
async def test_an_answer_whose_connection_drops_is_sent_again_once(
    bot: Running, times: int, method: str
) -> None:
    bot.fake.drop_next(method, times=times)
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), QUESTION))
    await delivered_once(bot)
    assert len(bot.fake.called(method)) == times + 1  # the lost tries, then the one taken


async def test_an_answer_taken_before_its_connection_dropped_is_not_written_twice(
    bot: Running,
) -> None:
    bot.fake.drop_answer_next("editMessageText")  # Telegram has the answer; the bot never hears
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), QUESTION))
    await delivered_once(bot)
    taken, again = bot.fake.called("editMessageText")
    assert taken.buttons and again["text"] == taken["text"]
    assert "not modified" in again.result["description"]  # Telegram: it reads so already
    [placeholder] = bot.fake.called("sendMessage")  # and no second message with the answer
    assert not placeholder.buttons


async def test_a_placeholder_taken_before_its_connection_dropped_leaves_a_stray_one(
    bot: Running,
) -> None:
    """The worst a lost answer to the placeholder's send costs: a placeholder too many."""
    bot.fake.drop_answer_next("sendMessage")
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), QUESTION))
    await bot.until(lambda fake: len(fake.called("editMessageText")) >= 1, timeout=30)
    await bot.settle()
    stray, answer = bot.fake.shown(CUSTOMER)
    assert stray["text"].startswith("One moment") and not stray.buttons
    assert answer.buttons and [q.state for q in bot.rows(Question)] == [QuestionState.posted]


@pytest.mark.parametrize("method", ["sendMessage", "editMessageText"])
@pytest.mark.parametrize("status", [500, 502])
async def test_an_answer_telegram_fails_with_a_5xx_is_sent_again_once(
    bot: Running, status: int, method: str
) -> None:
    bot.fake.fail_next(method, status, "Internal Server Error")
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), QUESTION))
    await delivered_once(bot)


async def test_a_refused_send_is_not_sent_again(bot: Running) -> None:
    bot.fake.fail_next("sendMessage", 400, "Bad Request: chat not found")
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), QUESTION))
    await bot.until(lambda fake: len(fake.sent(CUSTOMER)) >= 2, timeout=30)
    await bot.settle()
    refused, sorry = bot.fake.sent(CUSTOMER)
    assert refused.result["error_code"] == 400 and "went wrong" in sorry["text"]


async def test_a_rate_limited_answer_waits_as_telegram_asks_then_is_sent_once(
    bot: Running,
) -> None:
    bot.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), QUESTION))
    await delivered_once(bot)
    limited, placeholder = bot.fake.called("sendMessage")
    assert limited.result["error_code"] == 429
    assert placeholder.at - limited.at >= 1.0  # retry_after: 1, honoured
