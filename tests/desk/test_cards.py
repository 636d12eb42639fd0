"""Desk cards for 👎'd answers and suggestions; who may press; one card whatever the processes."""

from __future__ import annotations

import asyncio
import copy
import threading
from typing import Any

from bot.app import build_core
from bot.desk.tables import DeskCard, Handoff, ItemKind, ItemStatus, ReviewItem
from bot.tables import Example, ExampleStatus
from tests.desk.conftest import DESK, SLACK_REVIEWER, STRANGER, Desk, card_text, labels

CUSTOMER, OTHER = 42, 43
SHIPPING = "Do you ship to the UK?"
BETTER = "Yes: we ship to the UK in 5-7 working days, 15 € flat, customs included."


async def test_a_thumbs_down_is_corrected_from_slack_and_reaches_the_customer(desk: Desk) -> None:
    question_id, answer = await desk.ask(CUSTOMER, SHIPPING)
    await desk.rate(CUSTOMER, answer, "👎")
    [item] = desk.rows(ReviewItem)
    assert (item.kind, item.raised_by) == (ItemKind.rejected, f"telegram:{CUSTOMER}")

    assert await desk.tick() == 1
    [card] = desk.cards()
    assert labels(card) == ["Correct", "Dismiss"]
    assert SHIPPING in card_text(card) and "👎" in card_text(card)

    await desk.press(card, "Correct")
    view = await desk.modal()
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["element"]["initial_value"] == answer["text"]  # pre-filled with the bot's answer
    await desk.submit(view, BETTER)

    await desk.telegram.until(lambda fake: any(BETTER in m["text"] for m in fake.sent(CUSTOMER)))
    [handoff] = [m for m in desk.fake.sent(CUSTOMER) if BETTER in m["text"]]
    assert handoff["reply_parameters"]["message_id"] == question_id
    await desk.until_slack(lambda: "Corrected by" in card_text(desk.cards()[0]))
    assert labels(desk.cards()[0]) == []

    _, other = await desk.ask(OTHER, "Can you ship my order to the UK?")
    assert BETTER in other["text"]


async def test_a_suggestion_is_edited_from_slack_and_the_edit_reaches_the_customer(
    desk: Desk,
) -> None:
    question_id, answer = await desk.ask(CUSTOMER, SHIPPING)
    suggested = "You ship to the UK, 15 €."
    await desk.suggest(CUSTOMER, answer, suggested)
    [item] = desk.rows(ReviewItem)
    assert (item.kind, item.suggestion) == (ItemKind.suggestion, suggested)

    await desk.tick()
    [card] = desk.cards()
    assert labels(card) == ["Approve", "Edit", "Reject"]
    assert suggested in card_text(card) and SHIPPING in card_text(card)

    await desk.press(card, "Edit")
    view = await desk.modal()
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["element"]["initial_value"] == suggested
    await desk.submit(view, BETTER)

    await desk.telegram.until(lambda fake: any(BETTER in m["text"] for m in fake.sent(CUSTOMER)))
    [handoff] = [m for m in desk.fake.sent(CUSTOMER) if BETTER in m["text"]]
    assert handoff["reply_parameters"]["message_id"] == question_id
    await desk.until_slack(lambda: "Approved, edited by" in card_text(desk.cards()[0]))
    statuses = {e.answer: e.status for e in desk.rows(Example) if e.reply_id == item.reply_id}
    assert statuses == {suggested: ExampleStatus.rejected, BETTER: ExampleStatus.accepted}

    _, other = await desk.ask(OTHER, "Can you ship my order to the UK?")
    assert BETTER in other["text"]


async def test_approving_a_suggestion_teaches_it(desk: Desk) -> None:
    _, answer = await desk.ask(CUSTOMER, SHIPPING)
    await desk.suggest(CUSTOMER, answer, BETTER)
    await desk.tick()
    await desk.press(desk.cards()[0], "Approve")
    await desk.until_slack(lambda: "Approved by" in card_text(desk.cards()[0]))
    [taught] = [e for e in desk.rows(Example) if e.answer == BETTER]
    assert taught.status == ExampleStatus.accepted and taught.reviewed_by == "slack:U0REV"
    # The customer's own words are not sent back to them.
    assert not desk.rows(Handoff)
    _, other = await desk.ask(OTHER, "Can you ship my order to the UK?")
    assert BETTER in other["text"]


async def test_approving_a_suggestion_settles_the_question_it_answers(desk: Desk) -> None:
    _, answer = await desk.ask(CUSTOMER, "What is the zorblat club?")
    await desk.suggest(CUSTOMER, answer, "Our members' club: 10% off everything.")
    assert await desk.tick() == 2  # the unanswered question's card and the suggestion's
    [suggestion] = [c for c in desk.cards() if labels(c) == ["Approve", "Edit", "Reject"]]
    await desk.press(suggestion, "Approve")
    await desk.until_slack(lambda: "Approved by" in card_text(desk.cards()[1]))
    items = {item.kind: item for item in desk.rows(ReviewItem)}
    assert items[ItemKind.unanswered].status == ItemStatus.handled
    assert items[ItemKind.unanswered].handled_by == f"slack:{SLACK_REVIEWER}"
    await desk.tick()  # the card that asked for an answer stops asking
    await desk.until_slack(lambda: all(labels(c) == [] for c in desk.cards()))


async def test_a_press_by_someone_who_is_not_a_reviewer_changes_nothing(desk: Desk) -> None:
    await desk.ask(CUSTOMER, "What is the zorblat club?")
    await desk.tick()
    [card] = desk.cards()
    await desk.press(card, "Answer", who=STRANGER)
    await desk.press(card, "Dismiss", who=STRANGER)
    await desk.until_slack(lambda: len(desk.slack.notes()) >= 2)
    notes = desk.slack.notes()
    assert {n["user"] for n in notes} == {STRANGER}
    assert all("Only the bot's reviewers" in n["text"] for n in notes)
    assert not desk.slack.calls("views.open") and not desk.slack.calls("chat.update")
    [item] = desk.rows(ReviewItem)
    assert item.status == ItemStatus.open and item.handled_by is None
    assert labels(desk.cards()[0]) == ["Answer", "Dismiss"]


async def test_a_press_on_a_handled_card_says_who_handled_it(start_desk: Any) -> None:
    desk = await start_desk(slack_reviewers=[SLACK_REVIEWER, "U0REV2"])
    await desk.ask(CUSTOMER, "What is the zorblat club?")
    await desk.tick()
    # As it was posted, buttons and all: another reviewer's screen had not caught up.
    card = copy.deepcopy(desk.cards()[0])
    await desk.press(card, "Dismiss")
    await desk.until_slack(lambda: "Dismissed by" in card_text(desk.cards()[0]))
    await desk.press(card, "Answer", who="U0REV2")
    await desk.until_slack(lambda: any("already handled" in n["text"] for n in desk.slack.notes()))
    [note] = [n for n in desk.slack.notes() if "already handled" in n["text"]]
    assert f"Dismissed by slack:{SLACK_REVIEWER}" in note["text"] and note["user"] == "U0REV2"
    assert not desk.slack.calls("views.open")


async def test_two_processes_post_one_card(desk: Desk, desk_settings: object) -> None:
    await desk.ask(CUSTOMER, "What is the zorblat club?")
    second = build_core(desk_settings())  # type: ignore[operator]
    try:
        start = threading.Barrier(2)
        posted: list[int] = []

        def tick(core: object) -> None:
            start.wait()
            posted.append(core.desk.tick())  # type: ignore[attr-defined]

        await asyncio.gather(asyncio.to_thread(tick, desk.core), asyncio.to_thread(tick, second))
        assert sorted(posted) == [0, 1]
        assert len(desk.slack.calls("chat.postMessage")) == 1
        assert len(desk.rows(DeskCard)) == 1
        assert await desk.tick() == 0 and second.desk.tick() == 0
        assert len(desk.slack.shown(DESK)) == 1
    finally:
        second.engine.dispose()
