"""The App Home tab: the desk at a glance for reviewers, its buttons, the console's link."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

from slack_bolt import BoltRequest

from bot.desk.tables import ItemAction, ReviewItem
from bot.signin import link_holder
from tests.desk.conftest import SLACK_REVIEWER, STRANGER, Desk
from tests.support.slack_server import event, signed

QUESTION = "What is the zorblat club?"


async def open_home(desk: Desk, who: str) -> dict[str, object]:
    body = json.dumps(event({"type": "app_home_opened", "user": who, "tab": "home"}))
    await asyncio.to_thread(desk.app.dispatch, BoltRequest(body=body, headers=signed(body)))
    await desk.until_slack(lambda: who in desk.slack.homes)
    return desk.slack.homes.pop(who)


async def test_the_home_tab_shows_a_reviewer_the_desk_and_acts_from_there(desk: Desk) -> None:
    await desk.ask(42, QUESTION)
    home = await open_home(desk, SLACK_REVIEWER)
    shown = json.dumps(home, ensure_ascii=False)
    assert "*Open items:* 1 (0 suggested · 0 👎 · 1 unanswered)" in shown
    assert "*Unanswered this week:* 1" in shown and "*Answering:*" in shown
    assert "*Last gate:* no run scored yet" in shown and "*Next retrain:*" in shown
    assert QUESTION in shown and "Open the console" in shown

    # Dismiss, pressed on the Home tab: the tab is drawn again without the item.
    [dismiss] = [
        e
        for b in home["blocks"]  # type: ignore[attr-defined]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Dismiss"
    ]
    payload = {
        "type": "block_actions",
        "user": {"id": SLACK_REVIEWER},
        "trigger_id": "t1",
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {"type": "home", "id": "V0HOME"},
        "actions": [{"action_id": dismiss["action_id"], "value": dismiss["value"]}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = signed(body) | {"content-type": "application/x-www-form-urlencoded"}
    await asyncio.to_thread(desk.app.dispatch, BoltRequest(body=body, headers=headers))
    await desk.until_slack(lambda: SLACK_REVIEWER in desk.slack.homes)
    again = json.dumps(desk.slack.homes[SLACK_REVIEWER], ensure_ascii=False)
    assert "Nothing waits for a reviewer" in again and QUESTION not in again
    [item] = desk.rows(ReviewItem)
    assert (item.action, item.handled_by) == (ItemAction.dismissed, f"slack:{SLACK_REVIEWER}")


async def test_open_the_console_gives_a_reviewer_a_one_time_link(desk: Desk) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": SLACK_REVIEWER},
        "trigger_id": "t2",
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {"type": "home", "id": "V0HOME"},
        "actions": [{"action_id": "afina_desk_console", "value": "console"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = signed(body) | {"content-type": "application/x-www-form-urlencoded"}
    await asyncio.to_thread(desk.app.dispatch, BoltRequest(body=body, headers=headers))
    modal = await desk.modal()
    [link] = [e["url"] for b in modal["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "/console/" in link
    assert link_holder(desk.core.engine, desk.core.settings, link.rsplit("/", 1)[1]) == (
        f"slack:{SLACK_REVIEWER}"
    )


async def test_someone_who_is_not_a_reviewer_sees_no_customer_words_at_home(desk: Desk) -> None:
    await desk.ask(42, QUESTION)
    home = json.dumps(await open_home(desk, STRANGER), ensure_ascii=False)
    assert QUESTION not in home and "Open the console" not in home
    assert "for the bot's reviewers" in home
