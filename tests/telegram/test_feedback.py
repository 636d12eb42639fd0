"""Teaching through Telegram: 👍 / 👎 / ✏️ buttons, corrections, reactions, refused buttons."""

from __future__ import annotations

from typing import Any

from bot.channels.telegram.buttons import ButtonSigner
from bot.tables import Example, ExampleSource, ExampleStatus, Feedback, FeedbackKind
from tests.support.telegram_server import (
    TOKEN,
    Call,
    bot_message,
    callback_update,
    group_chat,
    message_update,
    private_chat,
    reaction_update,
    user,
)
from tests.telegram.harness import CUSTOMER, REVIEWER, Running

QUESTION = "What is the zorblat club?"
CORRECTION = "The Zorblat Club is our free loyalty club: 1 point per euro, 100 points = 5 € off."


async def ask(bot: Running, chat: dict[str, Any], sender: int, text: str = QUESTION) -> Call:
    """Ask in a chat and return the bot's answer (the message with the buttons)."""
    before = len(bot.fake.sent(chat["id"]))
    bot.fake.push(message_update(chat, user(sender), text))
    sent = await bot.answer_in(chat["id"], before + 1)
    return sent[-1]


def press(chat: dict[str, Any], sender: int, answer: Call, label: str) -> dict[str, Any]:
    data = next(b["callback_data"] for b in answer.buttons if b["text"] == label)
    shown = bot_message(chat, answer.message_id, answer["text"])
    return callback_update(user(sender), shown, data)


async def callback_answers(bot: Running, count: int) -> list[Call]:
    await bot.until(lambda fake: len(fake.called("answerCallbackQuery")) >= count)
    await bot.settle()
    return bot.fake.called("answerCallbackQuery")


async def test_thumbs_up_and_down_from_a_customer_are_signals(bot: Running) -> None:
    chat = private_chat(CUSTOMER)
    answer = await ask(bot, chat, CUSTOMER, "Do you ship to the UK?")  # a demo answer
    bot.fake.push(press(chat, CUSTOMER, answer, "👍"))
    bot.fake.push(press(chat, CUSTOMER, answer, "👎"))
    answers = await callback_answers(bot, 2)  # handled concurrently: in either order
    assert {a["text"] for a in answers} == {
        "Thanks for the 👍, noted.",
        "Thanks for telling me; noted for the team's review.",
    }
    assert not any(a.get("show_alert") for a in answers)
    rows = sorted((f.kind, f.user_id, f.is_reviewer, f.example_id) for f in bot.rows(Feedback))
    assert rows == [
        (FeedbackKind.approve, f"telegram:{CUSTOMER}", False, None),
        (FeedbackKind.reject, f"telegram:{CUSTOMER}", False, None),
    ]
    assert not [e for e in bot.rows(Example) if e.source != ExampleSource.demo]


async def test_thumbs_up_from_a_reviewer_teaches_the_answer(bot: Running) -> None:
    chat = private_chat(REVIEWER)
    answer = await ask(bot, chat, REVIEWER, "Do you ship to the UK?")
    bot.fake.push(press(chat, REVIEWER, answer, "👍"))
    [confirmation] = await callback_answers(bot, 1)
    # A demo question asked as taught: the confirmation names the example it already had.
    assert confirmation["text"].startswith(("Thanks! Learned #", "Thanks! I already knew #"))
    assert "«Do you ship to the UK?»" in confirmation["text"]
    [feedback] = bot.rows(Feedback)
    assert (feedback.kind, feedback.is_reviewer) == (FeedbackKind.approve, True)
    assert feedback.example_id is not None


async def test_customer_correction_is_thanked_and_waits_for_review(bot: Running) -> None:
    chat = private_chat(CUSTOMER)
    answer = await ask(bot, chat, CUSTOMER)
    bot.fake.push(press(chat, CUSTOMER, answer, "✏️"))
    prompt = (await bot.answer_in(CUSTOMER, 2))[-1]
    [toast] = bot.fake.called("answerCallbackQuery")
    assert "right answer" in toast["text"]
    assert prompt["reply_markup"] == {
        "force_reply": True,
        "selective": True,
        "input_field_placeholder": "✏️",
    }
    assert prompt["reply_parameters"]["message_id"] == answer.message_id
    assert not bot.rows(Feedback), "pressing ✏️ alone records nothing"

    correction = message_update(
        chat,
        user(CUSTOMER),
        CORRECTION,
        reply_to=bot_message(chat, prompt.message_id, prompt["text"]),
    )
    bot.fake.push(correction)
    thanks = (await bot.answer_in(CUSTOMER, 3))[-1]
    assert "reviewer will check" in thanks["text"]
    assert thanks["reply_parameters"]["message_id"] == correction["message"]["message_id"]

    [feedback] = bot.rows(Feedback)
    assert (feedback.kind, feedback.corrected_text, feedback.is_reviewer) == (
        FeedbackKind.correct,
        CORRECTION,
        False,
    )
    [pending] = [e for e in bot.rows(Example) if e.source == ExampleSource.corrected]
    assert pending.status == ExampleStatus.pending and pending.answer == CORRECTION
    again = await ask(
        bot, private_chat(CUSTOMER + 1), CUSTOMER + 1, "tell me about the zorblat club"
    )
    assert CORRECTION not in again["text"], "a customer's words never teach the bot by themselves"


async def test_a_correction_delivered_twice_counts_once(bot: Running) -> None:
    chat = private_chat(CUSTOMER)
    answer = await ask(bot, chat, CUSTOMER)
    bot.fake.push(press(chat, CUSTOMER, answer, "✏️"))
    prompt = (await bot.answer_in(CUSTOMER, 2))[-1]
    shown = bot_message(chat, prompt.message_id, prompt["text"])
    correction = message_update(chat, user(CUSTOMER), CORRECTION, reply_to=shown)
    bot.fake.push(correction, correction)
    await bot.answer_in(CUSTOMER, 3)
    await bot.settle()
    assert len(bot.fake.sent(CUSTOMER)) == 3  # the answer, the prompt, one thank-you
    assert len(bot.rows(Feedback)) == 1


async def test_reviewer_correction_teaches_at_once_and_is_reused(bot: Running) -> None:
    chat = private_chat(REVIEWER)
    answer = await ask(bot, chat, REVIEWER)
    bot.fake.push(press(chat, REVIEWER, answer, "✏️"))
    prompt = (await bot.answer_in(REVIEWER, 2))[-1]
    bot.fake.push(
        message_update(
            chat,
            user(REVIEWER),
            CORRECTION,
            reply_to=bot_message(chat, prompt.message_id, prompt["text"]),
        )
    )
    thanks = (await bot.answer_in(REVIEWER, 3))[-1]
    assert "learned" in thanks["text"]
    [taught] = [e for e in bot.rows(Example) if e.source == ExampleSource.corrected]
    assert taught.status == ExampleStatus.accepted and taught.answer == CORRECTION
    # The bot had said it didn't know: no wrong answer to prefer the correction over.
    assert answer["text"].startswith("I don't know that one yet")
    assert taught.rejected_answer is None

    customer_view = await ask(
        bot, private_chat(CUSTOMER), CUSTOMER, "tell me about the zorblat club"
    )
    assert customer_view["text"] == CORRECTION


async def test_confirmations_speak_the_language_of_the_pressers_telegram_app(
    bot: Running,
) -> None:
    chat = private_chat(REVIEWER)
    answer = await ask(bot, chat, REVIEWER)  # asked in English
    data = next(b["callback_data"] for b in answer.buttons if b["text"] == "✏️")
    shown = bot_message(chat, answer.message_id, answer["text"])
    bot.fake.push(callback_update(user(REVIEWER, language_code="es"), shown, data))
    prompt = (await bot.answer_in(REVIEWER, 2))[-1]
    bot.fake.push(
        message_update(
            chat,
            user(REVIEWER, language_code="es-ES"),
            CORRECTION,  # in English too: the app's language still decides
            reply_to=bot_message(chat, prompt.message_id, prompt["text"]),
        )
    )
    thanks = (await bot.answer_in(REVIEWER, 3))[-1]
    [taught] = [e for e in bot.rows(Example) if e.source == ExampleSource.corrected]
    assert thanks["text"] == (
        f"Gracias, aprendido #{taught.id} «{QUESTION}»: usaré tu respuesta a partir de ahora."
    )
    spanish = await ask(bot, private_chat(CUSTOMER), CUSTOMER, "¿Qué es el club zorblat?")
    data = next(b["callback_data"] for b in spanish.buttons if b["text"] == "👎")
    shown = bot_message(private_chat(CUSTOMER), spanish.message_id, spanish["text"])
    bot.fake.push(callback_update(user(CUSTOMER, language_code="en"), shown, data))
    [_, toast] = await callback_answers(bot, 2)
    assert toast["text"] == "Thanks for telling me; noted for the team's review."


async def test_correction_prompt_in_a_group_mentions_who_pressed(bot: Running) -> None:
    group = group_chat()
    bot.fake.push(message_update(group, user(CUSTOMER), f"/ask {QUESTION}"))
    answer = (await bot.answer_in(group["id"]))[-1]
    bot.fake.push(press(group, CUSTOMER, answer, "✏️"))
    prompt = (await bot.answer_in(group["id"], 2))[-1]
    assert prompt["parse_mode"] == "HTML"
    assert f'<a href="tg://user?id={CUSTOMER}">Ana</a>' in prompt["text"]
    assert prompt["reply_markup"]["selective"] is True


async def test_thumbs_up_reaction_counts_as_approval(bot: Running) -> None:
    chat = private_chat(CUSTOMER)
    answer = await ask(bot, chat, CUSTOMER)
    bot.fake.push(reaction_update(chat, answer.message_id, user(CUSTOMER), "🔥"))
    bot.fake.push(reaction_update(chat, answer.message_id, user(CUSTOMER), "👍"))
    bot.fake.push(reaction_update(chat, 1, user(CUSTOMER), "👍"))  # not one of our answers
    await bot.settle()
    [feedback] = bot.rows(Feedback)
    assert (feedback.kind, feedback.user_id) == (FeedbackKind.approve, f"telegram:{CUSTOMER}")
    polls = bot.fake.called("getUpdates")
    assert "message_reaction" in polls[0]["allowed_updates"], "reactions must be asked for"


async def test_forged_foreign_and_stale_buttons_are_refused_with_a_notice(bot: Running) -> None:
    mine, theirs = private_chat(CUSTOMER), private_chat(CUSTOMER + 1)
    their_answer = await ask(bot, theirs, CUSTOMER + 1)
    my_answer = await ask(bot, mine, CUSTOMER)
    their_reply = int(their_answer.buttons[0]["callback_data"].split(":")[1])
    signer = ButtonSigner(TOKEN)
    shown = bot_message(mine, my_answer.message_id, my_answer["text"])
    good = my_answer.buttons[0]["callback_data"]
    attempts = [
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),  # tampered MAC
        their_answer.buttons[0]["callback_data"],  # another chat's button, replayed here
        f"f:{their_reply}:a:{good.split(':')[3]}",  # my MAC on their reply id
        signer.data(CUSTOMER, their_reply, FeedbackKind.approve),  # a leaked key: the DB says no
        signer.data(CUSTOMER, 99_999, FeedbackKind.approve),  # stale: no such answer
        "hello",  # not ours at all
    ]
    for data in attempts:
        bot.fake.push(callback_update(user(CUSTOMER), shown, data))
    answers = await callback_answers(bot, len(attempts))
    assert all(a.get("show_alert") is True for a in answers)
    assert all("expired" in a["text"] for a in answers)
    assert bot.rows(Feedback) == []
