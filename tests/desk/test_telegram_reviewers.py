"""A team that lives in Telegram: `/notify` brings the desk's cards, `/review` walks them."""

from __future__ import annotations

from typing import Any

from bot.desk.tables import DeskSubscription, ItemStatus, ReviewItem
from bot.tables import Example, ExampleStatus
from tests.desk.conftest import Desk, card_text
from tests.support.telegram_server import (
    Call,
    bot_message,
    callback_update,
    message_update,
    private_chat,
    user,
)
from tests.telegram.harness import REVIEWER

CUSTOMER, OTHER = 42, 43
QUESTION = "What is the zorblat club?"
ANSWER = "The Zorblat Club is our free loyalty club: 1 point per euro, 100 points = 5 € off."


async def say(desk: Desk, sender: int, text: str, language: str = "en", **extra: Any) -> Call:
    """`sender` writes in their private chat (their app in `language`); the bot's next
    message there."""
    before = len(desk.fake.sent(sender))
    who = user(sender, language_code=language)
    desk.fake.push(message_update(private_chat(sender), who, text, **extra))
    return (await desk.telegram.answer_in(sender, before + 1))[-1]


async def tap(desk: Desk, sender: int, card: Call, label: str, language: str = "en") -> None:
    data = next(b["callback_data"] for b in card.buttons if b["text"] == label)
    shown = bot_message(private_chat(sender), card.message_id, card["text"])
    before = len(desk.fake.called("answerCallbackQuery"))
    desk.fake.push(callback_update(user(sender, language_code=language), shown, data))
    await desk.telegram.until(lambda fake: len(fake.called("answerCallbackQuery")) > before)
    await desk.telegram.settle()


def buttons(call: Call) -> list[str]:
    return [b["text"] for b in call.buttons]


async def test_notify_brings_cards_to_a_reviewer_who_answers_by_replying(desk: Desk) -> None:
    said = await say(desk, REVIEWER, "/notify")
    assert "desk's new cards" in said["text"]
    [subscription] = desk.rows(DeskSubscription)
    assert subscription.user_id == f"telegram:{REVIEWER}"

    question_id, _ = await desk.ask(CUSTOMER, QUESTION)
    assert await desk.tick() == 2  # the Slack review channel and the reviewer's chat
    [card] = [m for m in desk.fake.sent(REVIEWER) if m.buttons]
    assert QUESTION in card["text"] and buttons(card) == ["Answer", "Dismiss"]
    assert len(desk.cards()) == 1

    await tap(desk, REVIEWER, card, "Answer")
    prompt = desk.fake.sent(REVIEWER)[-1]
    assert prompt["reply_markup"]["force_reply"] is True
    reply_to = bot_message(private_chat(REVIEWER), prompt.message_id, prompt["text"])
    done = await say(desk, REVIEWER, ANSWER, reply_to=reply_to)
    assert done["text"].startswith("Answered #")

    await desk.telegram.until(lambda fake: any(ANSWER in m["text"] for m in fake.sent(CUSTOMER)))
    [handoff] = [m for m in desk.fake.sent(CUSTOMER) if ANSWER in m["text"]]
    assert handoff["reply_parameters"]["message_id"] == question_id
    edits = [e for e in desk.fake.called("editMessageText") if e.chat_id == REVIEWER]
    assert "Answered by telegram:900" in edits[-1]["text"] and not edits[-1].get("reply_markup")
    await desk.until_slack(lambda: "Answered by" in card_text(desk.cards()[0]))

    off = await say(desk, REVIEWER, "/notify off")
    assert "No more desk cards" in off["text"] and not desk.rows(DeskSubscription)


async def test_a_reviewer_whose_app_speaks_spanish_gets_the_desk_in_spanish(desk: Desk) -> None:
    said = await say(desk, REVIEWER, "/notify", language="es")
    assert said["text"].startswith("Te llegarán aquí las tarjetas nuevas del panel")
    [subscription] = desk.rows(DeskSubscription)
    assert subscription.language == "es"

    await desk.ask(CUSTOMER, QUESTION)
    assert await desk.tick() == 2
    [card] = [m for m in desk.fake.sent(REVIEWER) if m.buttons]
    assert card["text"].startswith("❓ Pregunta que el bot no supo responder #")
    assert "Telegram, chat privado 42 · preguntó telegram:42 · " in card["text"]
    assert "Pregunta:\nWhat is the zorblat club?\n\nEl bot dijo:\n" in card["text"]
    assert buttons(card) == ["Responder", "Descartar"]

    await tap(desk, REVIEWER, card, "Responder", language="es")
    prompt = desk.fake.sent(REVIEWER)[-1]
    assert prompt["text"].startswith("✏️ Responde a este mensaje con la respuesta a «What is")
    reply_to = bot_message(private_chat(REVIEWER), prompt.message_id, prompt["text"])
    done = await say(desk, REVIEWER, ANSWER, language="es", reply_to=reply_to)
    assert done["text"].startswith("Respondida #")
    assert "el bot la usa a partir de ahora" in done["text"]
    await desk.telegram.until(
        lambda fake: any(
            "Respondida por telegram:900 el " in e["text"] and "enviada al cliente" in e["text"]
            for e in fake.called("editMessageText")
            if e.chat_id == REVIEWER
        )
    )
    # The team's Slack review channel keeps its English card.
    await desk.until_slack(lambda: "Answered by" in card_text(desk.cards()[0]))

    _, asked = await desk.ask(OTHER, "Do you ship to the UK?")
    await desk.suggest(OTHER, asked, "Yes, 15 € to the UK.")
    walked = await say(desk, REVIEWER, "/review", language="es")
    assert walked["text"].startswith("Pendientes en el panel: 1\n✏️ Corrección sugerida #")
    assert buttons(walked) == ["Aprobar", "Editar", "Rechazar", "Saltar ▶"]
    await tap(desk, REVIEWER, walked, "Rechazar", language="es")
    [toast] = desk.fake.called("answerCallbackQuery")[-1:]
    assert toast["text"].startswith("Rechazada #") and "la sugerencia no se usa" in toast["text"]


async def test_review_walks_the_open_items_one_by_one(desk: Desk) -> None:
    _, first = await desk.ask(CUSTOMER, "Do you ship to the UK?")
    await desk.suggest(CUSTOMER, first, "Yes, 15 € to the UK.")
    await desk.ask(OTHER, QUESTION)

    card = await say(desk, REVIEWER, "/review")
    assert card["text"].startswith("2 open on the desk:")
    assert "Yes, 15 € to the UK." in card["text"]
    assert buttons(card) == ["Approve", "Edit", "Reject", "Skip ▶"]

    await tap(desk, REVIEWER, card, "Approve")
    [approved] = [e for e in desk.rows(Example) if e.answer == "Yes, 15 € to the UK."]
    assert approved.status == ExampleStatus.accepted
    following = desk.fake.sent(REVIEWER)[-1]
    assert QUESTION in following["text"] and buttons(following) == ["Answer", "Dismiss", "Skip ▶"]

    await tap(desk, REVIEWER, following, "Skip ▶")
    assert "That's all for now" in desk.fake.called("editMessageText")[-1]["text"]
    statuses = sorted(i.status for i in desk.rows(ReviewItem))
    assert statuses == [ItemStatus.handled, ItemStatus.open]


async def test_review_and_notify_are_for_reviewers_in_private_chats(desk: Desk) -> None:
    await desk.ask(CUSTOMER, QUESTION)
    refused = await say(desk, CUSTOMER, "/review")
    assert "Only the bot's reviewers" in refused["text"] and QUESTION not in refused["text"]
    refused = await say(desk, CUSTOMER, "/notify")
    assert "Only the bot's reviewers" in refused["text"] and not desk.rows(DeskSubscription)
