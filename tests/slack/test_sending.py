"""A finished answer reaches its thread once, even when Slack's API fails the first posts.

Through the real bolt `App` and `WebClient` against the fake Web API, which drops
connections, answers 5xx, or rate-limits with a Retry-After on demand.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.slack.events import SORRY
from bot.tables import Question, QuestionState
from tests.support.slack_server import BOT_USER, message


def ask_once(bot: Any) -> Any:
    asked = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
    bot.deliver(asked)
    bot.slack.wait_answered(1, timeout=30)
    bot.drain()
    shown = bot.slack.shown("C0GENERAL", asked["ts"])
    assert [m.text for m in shown if m.text == SORRY] == []
    [answer] = bot.slack.answers()
    assert answer.thread_ts == asked["ts"]
    assert [q.state for q in bot.rows(Question)] == [QuestionState.posted]
    return answer


def test_an_answer_whose_connection_drops_twice_is_posted_once(start_bot: Any) -> None:
    bot = start_bot()
    bot.slack.drop("chat.postMessage", times=2)
    ask_once(bot)
    assert len(bot.slack.calls("chat.postMessage")) == 3


@pytest.mark.parametrize("status", [503, 502])
def test_an_answer_slack_fails_with_a_5xx_is_posted_once(start_bot: Any, status: int) -> None:
    bot = start_bot()
    bot.slack.fail_http("chat.postMessage", status)
    ask_once(bot)
    assert len(bot.slack.calls("chat.postMessage")) == 2


def test_a_rate_limited_answer_waits_as_slack_asks_then_is_posted_once(start_bot: Any) -> None:
    bot = start_bot()
    bot.slack.rate_limit("chat.postMessage", retry_after=1)
    ask_once(bot)
    limited, posted = bot.slack.calls("chat.postMessage")
    assert posted.at - limited.at >= 1.0  # Retry-After: 1, honoured
