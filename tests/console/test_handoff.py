"""An unanswered Telegram question answered on the console's Unanswered page reaches the
customer in their chat, and the question's desk card in Slack says who answered: the
console acts through the desk's core, with the real PTB Application, the real bolt App
and the fake Bot API and Slack of `tests/desk`."""

from __future__ import annotations

import asyncio
import re

from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot import console
from bot.desk.tables import Handoff, ItemAction, ReviewItem
from bot.signin import console_link
from tests.desk.conftest import (  # noqa: F401  (fixtures)
    SLACK_REVIEWER,
    Desk,
    card_text,
    desk,
    desk_settings,
    start_desk,
)

CUSTOMER = 42
QUESTION = "What is the zorblat club?"
ANSWER = "The Zorblat Club is our free loyalty club: 1 point per euro 🌿"


def signed_in_console(the_desk: Desk) -> TestClient:
    """The console's routes on the desk's own core, and its Slack reviewer signed in."""
    settings = the_desk.core.settings
    client = TestClient(Starlette(routes=[console.routes(the_desk.core, settings)]))
    path = (
        "/console" + console_link(the_desk.core, f"slack:{SLACK_REVIEWER}").split("/console", 1)[1]
    )
    check = re.search(r'name="check" value="([^"]+)"', client.get(path).text)
    assert check is not None
    client.post(path, data={"check": check.group(1)})
    return client


async def test_an_answer_from_the_console_reaches_the_customer(desk: Desk) -> None:  # noqa: F811
    question_id, _ = await desk.ask(CUSTOMER, QUESTION)
    assert await desk.tick() == 1  # the question's card in the Slack review channel
    [item] = desk.rows(ReviewItem)
    client = await asyncio.to_thread(signed_in_console, desk)
    page = await asyncio.to_thread(client.get, "/console/unanswered")
    assert QUESTION in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    done = await asyncio.to_thread(
        client.post,
        "/console/unanswered",
        data={"csrf": csrf.group(1), "answer": ANSWER, "do": "answered", f"item-{item.id}": "on"},
        follow_redirects=False,
    )
    assert done.status_code == 303

    await desk.telegram.until(lambda fake: len(fake.sent(CUSTOMER)) >= 2)
    handoff = desk.fake.sent(CUSTOMER)[-1]
    assert ANSWER in handoff["text"]
    assert handoff["reply_parameters"]["message_id"] == question_id
    [sent] = desk.rows(Handoff)
    assert sent.status == "sent" and sent.by == f"slack:{SLACK_REVIEWER}"
    [handled] = desk.rows(ReviewItem)
    assert handled.action == ItemAction.answered
    await desk.until_slack(lambda: "Answered by" in card_text(desk.cards()[0]))
    shown = await asyncio.to_thread(client.get, "/console/review?status=handled")
    assert "Answered by slack:U0REV" in shown.text and "sent to the customer" in shown.text
