"""Long polling confirms an update to Telegram only once it is stored, and keeps going.

The real PTB `Application` polls the fake Bot API, which (as Telegram) keeps serving
an update until a later `getUpdates` confirms it with its `offset`. A kill between
fetching and storing is in `tests/test_crash_recovery.py`.
"""

from __future__ import annotations

from bot.tables import Question, QuestionState
from tests.support.telegram_server import message_update, private_chat, user
from tests.telegram.harness import CUSTOMER, Running


async def test_an_update_is_confirmed_once_its_question_is_stored(bot: Running) -> None:
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship to Italy?"))
    [answer] = await bot.answer_in(CUSTOMER)
    await bot.until(lambda fake: fake.confirmed == 1)
    assert answer.buttons and bot.fake.unconfirmed == []
    assert [q.state for q in bot.rows(Question)] == [QuestionState.posted]


async def test_a_failed_fetch_is_tried_again(bot: Running) -> None:
    bot.fake.fail_next("getUpdates", 502, "Bad Gateway")
    bot.fake.drop_next("getUpdates")
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship to Italy?"))
    [answer] = await bot.answer_in(CUSTOMER)
    failed = [c for c in bot.fake.called("getUpdates") if not isinstance(c.result, list)]
    assert len(failed) == 2 and answer.buttons
