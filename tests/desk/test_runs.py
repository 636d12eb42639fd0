"""Every run that ends is announced once on the desk; Roll back and Promote anyway act there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from sqlmodel import Session, select

from bot.app import Core, build_core
from bot.channels.slack import build_slack_app
from bot.tables import AuditEntry, ModelVersion
from tests.desk.conftest import DESK, SLACK_REVIEWER, STRANGER, card_text, labels
from tests.support.openai_server import FakeOpenAI
from tests.support.slack_server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    Shown,
    block_action,
    signed,
)
from tests.test_tuning_runs import FIRST, SERVING, reference_answer
from tuning.runs import Runs


@pytest.fixture
def team(make_settings: Any, fake_slack: FakeSlack, openai_env: FakeOpenAI) -> Iterator[Any]:
    settings = make_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        slack_reviewers=[SLACK_REVIEWER],
        slack_review_channel="#team-desk",
    )
    fake_slack.channels = {"C0OTHER": "general", DESK: "team-desk"}
    core = build_core(settings)
    app = build_slack_app(core, settings)
    yield core, app
    app.listener_runner.listener_executor.shutdown(wait=True)
    core.engine.dispose()


def train(core: Core, provider: str) -> int:
    runs = Runs(core)
    return runs.follow(runs.start(provider=provider)[0].id or 0).id or 0


def announcements(slack: FakeSlack) -> list[Shown]:
    return [m for m in slack.shown(DESK) if m.text.startswith("Training run")]


def press(app: App, slack: FakeSlack, card: Shown, label: str, who: str) -> str:
    """Press a button on an announcement; the note the presser got."""
    element = next(
        e
        for b in card.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == label
    )
    action = {"type": "button", "action_id": element["action_id"], "value": element["value"]}
    body = block_action(action, user=who, channel=DESK, message_ts=card.ts, thread_ts=None)
    before = len(slack.notes())
    headers = signed(body) | {"content-type": "application/x-www-form-urlencoded"}
    assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    slack.wait(lambda: len(slack.notes()) > before)
    return str(slack.notes()[-1]["text"])


def versions(core: Core) -> list[tuple[str, bool]]:
    with Session(core.engine) as session:
        found = session.exec(select(ModelVersion).order_by(ModelVersion.id)).all()  # type: ignore[arg-type]
        return [(v.model_id, v.active) for v in found]


@pytest.mark.usefixtures("demo")
def test_a_promoted_run_is_announced_once_and_its_roll_back_button_rolls_back(
    team: Any, fake_slack: FakeSlack
) -> None:
    core, app = team
    train(core, "examples")
    run_id = train(core, "openai")
    assert core.desk.tick() == 0  # announced when it ended: nothing owed
    first, second = announcements(fake_slack)
    assert "promoted" in first.text and labels(first) == []  # nothing before it to go back to
    shown = card_text(second)
    assert f"Training run #{run_id} (openai)" in second.text and "promoted" in second.text
    assert "Gate (" in shown and "candidate" in shown and "answering today" in shown
    assert "Held-out question" in shown and "Trained on" in shown and FIRST in shown
    assert labels(second) == ["Roll back"]

    said = press(app, fake_slack, second, "Roll back", STRANGER)
    assert "Only the bot's reviewers" in said
    assert [active for _, active in versions(core)] == [False, True]

    said = press(app, fake_slack, second, "Roll back", SLACK_REVIEWER)
    assert said.startswith("Rolled back: version 1")
    assert [active for _, active in versions(core)] == [True, False]
    fake_slack.wait(lambda: "Rolled back by" in card_text(announcements(fake_slack)[1]))
    assert labels(announcements(fake_slack)[1]) == []
    with Session(core.engine) as session:
        [audit] = session.exec(select(AuditEntry)).all()
    assert (audit.user_id, audit.action) == (f"slack:{SLACK_REVIEWER}", "rolled back")
    assert len(announcements(fake_slack)) == 2


@pytest.mark.usefixtures("demo")
def test_a_rejected_run_can_be_promoted_anyway_by_a_reviewer(
    team: Any, fake_slack: FakeSlack, openai_env: FakeOpenAI
) -> None:
    core, app = team
    openai_env.answer_as(SERVING, reference_answer)  # today's model gives the approved answers
    train(core, "openai")
    [card] = announcements(fake_slack)
    assert "not promoted" in card.text and labels(card) == ["Promote anyway"]
    assert json.dumps(card.blocks).count("Candidate") >= 1
    said = press(app, fake_slack, card, "Promote anyway", SLACK_REVIEWER)
    assert said.startswith("Promoted: version 1")
    assert versions(core) == [(FIRST, True)]
    fake_slack.wait(lambda: "Promoted anyway by" in card_text(announcements(fake_slack)[0]))
    assert labels(announcements(fake_slack)[0]) == []
