"""A finished answer reaches the chat once, even when the network drops its first sends.

Through the real PTB `Application` polling the fake Bot API, which drops the
connection of a `sendMessage`, answers it with a 5xx, or rate-limits it (429 with
`retry_after`) on demand. The webhook hands updates to the same handlers: sending is
the same there.
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


@pytest.mark.parametrize("times", [1, 2])
async def test_an_answer_whose_connection_drops_is_sent_again_once(
    bot: Running, times: int
) -> None:
    bot.fake.drop_next("sendMessage", times=times)
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), QUESTION))
    await delivered_once(bot)
    assert len(bot.fake.sent(CUSTOMER)) == times + 1  # the lost tries, then the answer


@pytest.mark.parametrize("status", [500, 502])
async def test_an_answer_telegram_fails_with_a_5xx_is_sent_again_once(
    bot: Running, status: int
) -> None:
    bot.fake.fail_next("sendMessage", status, "Internal Server Error")
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
    limited, sent = bot.fake.sent(CUSTOMER)
    assert limited.result["error_code"] == 429
    assert sent.at - limited.at >= 1.0  # retry_after: 1, honoured
