"""In a group, each person's question is answered from their own conversation with the bot.

Two customers in one Telegram group, through the real PTB `Application` and the
`openai` client against the fake model: the history sent with one person's
question holds only their turns and the answers they got (plus the one message
they reply to, when they reply to someone), and an example a reviewer approves
carries nobody else's words.
"""

from __future__ import annotations

from typing import Any

from bot.tables import Example, ExampleSource
from tests.support.openai_server import FakeOpenAI
from tests.support.telegram_server import Call, group_chat, mention, message_update, user
from tests.telegram.harness import REVIEWER, Running
from tests.telegram.test_feedback import press

GROUP = group_chat(-100555)
ANA, BEA = 501, 502


async def ask(bot: Running, sender: int, question: str, **extra: Any) -> tuple[Call, Any]:
    """`@bot question` in the group; the answer, and the prompt the model got."""
    text = f"@afina_test_bot {question}"
    update = message_update(GROUP, user(sender), text, entities=mention(text), **extra)
    before = len(bot.fake.shown(GROUP["id"]))
    bot.fake.push(update)
    await bot.until(lambda fake: len(fake.shown(GROUP["id"])) > before, timeout=20)
    await bot.settle()
    return bot.fake.shown(GROUP["id"])[-1], update


def prompt_of(model: FakeOpenAI) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = model.chat_requests()[-1]["messages"]
    return messages[1:]  # without the system voice


async def test_each_person_in_a_group_gets_only_their_own_history(
    start_bot: Any, fake_openai: FakeOpenAI
) -> None:
    bot = await start_bot(openai_api_key="sk-test", openai_base_url=fake_openai.base_url)
    fake_openai.reply("Ana: yes, 3 days.")
    await ask(bot, ANA, "do you ship to Canarias?")
    fake_openai.reply("Bea: every product is vegan.")
    bea_answer, _ = await ask(bot, BEA, "is everything vegan?")
    assert [t["content"] for t in prompt_of(fake_openai)] == ["is everything vegan?"]

    fake_openai.reply("Ana: 4.95 €.")
    await ask(bot, ANA, "and how much is it?")
    assert [(t["role"], t["content"]) for t in prompt_of(fake_openai)] == [
        ("user", "do you ship to Canarias?"),
        ("assistant", "Ana: yes, 3 days."),
        ("user", "and how much is it?"),
    ]

    # Bea replies to one of Ana's messages: that one message is context, named as Ana's.
    anas = message_update(GROUP, user(ANA), "I love the rose cream")["message"]
    fake_openai.reply("Bea: the rose cream is 12 €.")
    answer, _ = await ask(bot, BEA, "how much is that?", reply_to=anas)
    prompt = prompt_of(fake_openai)
    assert [(t["role"], t["content"]) for t in prompt] == [
        ("user", "is everything vegan?"),
        ("assistant", "Bea: every product is vegan."),
        ("user", "I love the rose cream"),
        ("user", "how much is that?"),
    ]
    assert prompt[2]["name"] == f"telegram_{ANA}" and "name" not in prompt[3]

    # A reviewer approves that answer: the example holds Bea's words and answers only.
    bot.fake.push(press(GROUP, REVIEWER, answer, "👍"))
    await bot.until(lambda fake: bool(fake.called("answerCallbackQuery")))
    await bot.settle()
    [example] = [e for e in bot.rows(Example) if e.source == ExampleSource.approved]
    words = " ".join(turn["content"] for turn in example.prompt)
    assert "rose cream" not in words and "Canarias" not in words
    assert example.prompt[-1] == {"role": "user", "content": "how much is that?"}
    assert example.answer == "Bea: the rose cream is 12 €."
    assert bea_answer.buttons
