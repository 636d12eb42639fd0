"""In a channel thread with several people, each one's question is answered from their own
turns: through the real bolt `App` and the `openai` client against the fake model."""

from __future__ import annotations

from typing import Any

from bot.tables import Example, ExampleSource
from tests.slack.test_feedback import rate
from tests.support.openai_server import FakeOpenAI
from tests.support.slack_server import BOT_USER, message


def prompt_of(model: FakeOpenAI) -> list[tuple[str, str]]:
    return [(t["role"], t["content"]) for t in model.chat_requests()[-1]["messages"][1:]]


def test_two_people_in_one_thread_each_get_only_their_own_history(
    start_bot: Any, fake_openai: FakeOpenAI
) -> None:
    bot = start_bot(openai_api_key="sk-test", openai_base_url=fake_openai.base_url)
    fake_openai.reply("Shipping is free over 35 €.")
    root = message(f"<@{BOT_USER}> how much is shipping?", user="U0ANA", kind="app_mention")
    bot.deliver(root)
    bot.slack.wait_answered(1)

    fake_openai.reply("We have refills for every jar.")
    bot.deliver(message("do you sell refills?", user="U0BEA", thread_ts=root["ts"]))
    bob_answer = bot.slack.wait_answered(2)[-1]
    assert prompt_of(fake_openai) == [("user", "do you sell refills?")]

    fake_openai.reply("To France it is 6.95 €.")
    bot.deliver(message("and to France?", user="U0ANA", thread_ts=root["ts"]))
    bot.slack.wait_answered(3)
    assert prompt_of(fake_openai) == [
        ("user", "how much is shipping?"),
        ("assistant", "Shipping is free over 35 €."),
        ("user", "and to France?"),
    ]

    rate(bot, bob_answer, positive=True, user="U0ANA")  # a reviewer (everyone, by default)
    bot.drain()
    [example] = [e for e in bot.rows(Example) if e.source == ExampleSource.approved]
    assert example.prompt == [{"role": "user", "content": "do you sell refills?"}]
