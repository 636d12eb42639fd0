"""What reaches customers and the desk: the item alone, one handoff per question, in its place."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from slack_bolt import BoltRequest

from bot.desk.tables import Handoff, ReviewItem
from tests.desk.conftest import DESK, STRANGER, Desk, card_text
from tests.support.slack_server import BOT_USER, event, message, signed

QUESTION = "What is the zorblat club?"
ANSWER = "The Zorblat Club is our free loyalty club: 1 point per euro, 100 points = 5 € off."
PERSONAL = "I'm Marta Ruiz, marta.ruiz@example.com, +34 612 345 678"


async def test_a_card_carries_its_own_question_and_asker_and_nothing_else(desk: Desk) -> None:
    await desk.ask(42, f"{PERSONAL}. Hello!")  # earlier in the same conversation
    await desk.ask(43, "Which trains stop at the zorblat depot?")  # another customer
    await desk.ask(42, QUESTION)
    await desk.tick()
    cards = {card_text(c) for c in desk.cards()}
    [mine] = [c for c in cards if QUESTION in c]
    assert "telegram:42" in mine and "telegram:43" not in mine
    for private in ("marta.ruiz@example.com", "612 345 678", "Marta", "zorblat depot"):
        assert private not in mine
    [theirs] = [c for c in cards if "zorblat depot" in c]  # the other customer's own item
    assert "telegram:43" in theirs and "marta" not in theirs.lower() and QUESTION not in theirs

    [item] = [i for i in desk.rows(ReviewItem) if i.question == QUESTION]
    await desk.press(next(c for c in desk.cards() if QUESTION in card_text(c)), "Answer")
    await desk.submit(await desk.modal(), ANSWER)
    await desk.telegram.until(lambda fake: any(ANSWER in m["text"] for m in fake.sent(42)))
    [handoff] = [m for m in desk.fake.sent(42) if ANSWER in m["text"]]
    assert handoff["text"].endswith(ANSWER) and "zorblat depot" not in handoff["text"]
    assert not [m for m in desk.fake.sent(43) if ANSWER in m["text"]]
    assert item.id is not None


async def test_handoff_reply_false_teaches_without_messaging_the_customer(
    start_desk: Any,
) -> None:
    desk = await start_desk(handoff_reply=False)
    await desk.ask(42, QUESTION)
    await desk.tick()
    await desk.press(desk.cards()[0], "Answer")
    view = await desk.modal()
    assert "goes to the customer" not in json.dumps(view)
    await desk.submit(view, ANSWER)
    await desk.until_slack(lambda: "Answered by" in card_text(desk.cards()[0]))
    assert "sent to the customer" not in card_text(desk.cards()[0])
    assert not desk.rows(Handoff) and len(desk.fake.sent(42)) == 1
    _, other = await desk.ask(43, "Tell me about the zorblat club")
    assert ANSWER in other["text"]


async def test_one_question_gets_one_handoff_however_many_items_it_had(desk: Desk) -> None:
    _, answer = await desk.ask(42, "Do you ship to the UK?")
    await desk.rate(42, answer, "👎")
    await desk.suggest(42, answer, "Yes, 15 €.")
    await desk.tick()
    assert len(desk.cards()) == 2
    for label, text in (("Correct", ANSWER), ("Edit", ANSWER + " Customs included.")):
        [card] = [c for c in desk.cards() if label in json.dumps(c.blocks)]
        before = len(desk.slack.calls("views.open"))
        await desk.press(card, label)
        await desk.submit(await desk.modal(before + 1), text)
        await desk.until_slack(lambda card=card: "by <@" in card_text(card))
    await desk.telegram.settle()
    team = [m for m in desk.fake.sent(42) if "team" in m["text"]]
    assert len(team) == 1 and team[0]["text"].endswith(ANSWER)
    assert len(desk.rows(Handoff)) == 1


async def test_a_slack_question_is_answered_in_its_thread(desk: Desk) -> None:
    asked = message(f"<@{BOT_USER}> {QUESTION}", user=STRANGER, kind="app_mention")
    body = json.dumps(event(asked))
    await asyncio.to_thread(desk.app.dispatch, BoltRequest(body=body, headers=signed(body)))
    await desk.until_slack(lambda: bool(desk.slack.answers()))
    await asyncio.to_thread(desk.slack.wait, lambda: bool(desk.rows(ReviewItem)))
    await desk.tick()
    [card] = desk.cards()
    assert f"<@{STRANGER}>" in card_text(card) and "Slack, channel C0GENERAL" in card_text(card)
    await desk.press(card, "Answer")
    await desk.submit(await desk.modal(), ANSWER)
    thread = asked["ts"]
    await desk.until_slack(
        lambda: any(ANSWER in m.text for m in desk.slack.shown("C0GENERAL", thread))
    )
    [team] = [m for m in desk.slack.shown("C0GENERAL", thread) if ANSWER in m.text]
    assert team.text.startswith("💬 *From the team*")
    assert not [m for m in desk.slack.shown(DESK) if ANSWER in m.text and m.thread_ts]
