"""The desk with `afina run`: one real process, the fake Slack and the fake Bot API.

A Telegram customer asks what the bot does not know; the process's desk loop posts the
card to the review channel; a reviewer presses Answer and submits the modal over HTTP,
as Slack would; the customer gets the answer from the team in Telegram; another
customer's paraphrase is answered with it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from bot.desk.tables import ReviewItem
from tests.desk.conftest import DESK, SLACK_REVIEWER
from tests.support.data import rows
from tests.support.demo import with_demo
from tests.support.processes import AFINA, free_port, listening, wait_for
from tests.support.slack_server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    block_action,
    view_submission,
)
from tests.support.telegram_server import TOKEN, FakeTelegram, message_update, private_chat, user
from tests.test_run import _NOT_INHERITED
from tests.test_serve import Server

QUESTION = "What is the zorblat club?"
ANSWER = "The Zorblat Club is our free loyalty club: 1 point per euro, 100 points = 5 € off."


def test_afina_run_carries_a_customer_question_to_slack_and_the_answer_back(
    tmp_path: Path, fake_slack: FakeSlack, fake_telegram: FakeTelegram
) -> None:
    url = f"sqlite:///{tmp_path / 'afina.db'}"
    with_demo(url)
    port = free_port()
    env = {
        "AFINA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "SLACK_REVIEWERS": SLACK_REVIEWER,
        "SLACK_REVIEW_CHANNEL": "#review-desk",
        "DESK_POLL_INTERVAL_S": "0.2",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake_telegram.api_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    fake_slack.channels = {DESK: "review-desk"}
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    process = subprocess.Popen(
        [AFINA, "run"],
        env=inherited | env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(process, port, url)
    try:
        wait_for(lambda: listening(port) or process.poll() is not None, 90, "afina run to listen")
        assert process.poll() is None, server.stop()

        asked = message_update(private_chat(42), user(42), QUESTION)
        fake_telegram.push(asked)
        assert fake_telegram.wait_until(lambda fake: bool(fake.sent(42)), 30)
        fake_slack.wait(lambda: bool(fake_slack.shown(DESK)), 30)
        [card] = fake_slack.shown(DESK)
        assert QUESTION in json.dumps(card.blocks)
        [item] = rows(url, ReviewItem)

        action = {"type": "button", "action_id": "afina_desk_answered", "value": str(item.id)}
        press = block_action(
            action, user=SLACK_REVIEWER, channel=DESK, message_ts=card.ts, thread_ts=None
        )
        assert server.slack(press) == 200
        fake_slack.wait(lambda: bool(fake_slack.calls("views.open")), 30)
        view = fake_slack.calls("views.open")[-1].args["view"]
        assert server.slack(view_submission(view, user=SLACK_REVIEWER, text=ANSWER)) == 200

        def handed_off() -> bool:
            return any(ANSWER in m["text"] for m in fake_telegram.sent(42))

        assert fake_telegram.wait_until(lambda fake: handed_off(), 30)
        [team] = [m for m in fake_telegram.sent(42) if ANSWER in m["text"]]
        assert team["reply_parameters"]["message_id"] == asked["message"]["message_id"]
        fake_slack.wait(lambda: "Answered by" in json.dumps(fake_slack.shown(DESK)[0].blocks), 30)

        fake_telegram.push(
            message_update(private_chat(43), user(43), "Tell me about the zorblat club")
        )
        assert fake_telegram.wait_until(lambda fake: fake.answered(43), 30)
        assert ANSWER in fake_telegram.sent(43)[0]["text"]
        assert len(fake_slack.shown(DESK)) == 1
        code, output = server.stop()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert code == 0, output
    assert "review desk" in output
