"""A customer's question reaches the team's Slack, and the team's answer reaches the customer."""

from __future__ import annotations

from bot.desk.tables import Handoff, ItemKind, ItemStatus, ReviewItem
from bot.tables import Example, ExampleStatus
from tests.desk.conftest import DESK, SLACK_REVIEWER, Desk, card_text

CUSTOMER, OTHER = 42, 43
QUESTION = "What is the zorblat club?"
ANSWER = "The Zorblat Club is our free loyalty club: 1 point per euro, 100 points = 5 € off."


async def test_an_unknown_question_is_answered_from_slack_and_reaches_the_customer(
    desk: Desk,
) -> None:
    question_id, _ = await desk.ask(CUSTOMER, QUESTION)
    [item] = desk.rows(ReviewItem)
    assert (item.kind, item.status, item.asked_by) == (
        ItemKind.unanswered,
        ItemStatus.open,
        f"telegram:{CUSTOMER}",
    )

    assert await desk.tick() == 1
    [card] = desk.cards()
    assert QUESTION in card_text(card) and f"telegram:{CUSTOMER}" in card_text(card)
    labels = [
        e["text"]["text"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Answer", "Dismiss"]

    await desk.press(card, "Answer")
    view = await desk.modal()
    assert QUESTION in str(view["blocks"])
    await desk.submit(view, ANSWER)

    await desk.telegram.until(lambda fake: len(fake.sent(CUSTOMER)) >= 2)
    handoff = desk.fake.sent(CUSTOMER)[-1]
    assert ANSWER in handoff["text"] and "team" in handoff["text"]
    assert handoff["reply_parameters"]["message_id"] == question_id

    await desk.until_slack(lambda: "Answered by" in card_text(desk.cards()[0]))
    [card] = desk.cards()
    assert not [b for b in card.blocks if b["type"] == "actions"]
    assert f"<@{SLACK_REVIEWER}>" in card_text(card)
    [taught] = [e for e in desk.rows(Example) if e.answer == ANSWER]
    assert taught.status == ExampleStatus.accepted
    [sent] = desk.rows(Handoff)
    assert sent.status == "sent"

    _, other = await desk.ask(OTHER, "Tell me about the zorblat club")
    assert ANSWER in other["text"]
    assert await desk.tick() == 0  # nothing new: the paraphrase was answered
    assert len(desk.slack.shown(DESK)) == 1
