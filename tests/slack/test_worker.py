"""The worker's Slack part: Socket Mode in the same process as the scheduler."""

from __future__ import annotations

import time
from typing import Any

from bot.app import build_core
from bot.tables import Lease, Reply
from bot.worker import Worker
from tests.support.data import rows
from tests.support.openai_server import SlowOpenAI
from tests.support.slack_server import APP_TOKEN, BOT_USER, FakeSlack, event, message
from tests.support.slack_socket import FakeSocketMode


def test_worker_answers_over_socket_mode_and_finishes_the_answer_in_flight_on_stop(
    slack_settings: Any,
    fake_slack: FakeSlack,
    fake_socket: FakeSocketMode,
    slow_openai: SlowOpenAI,
    database_url: str,
) -> None:
    settings = slack_settings(
        slack_app_token=APP_TOKEN,
        slack_signing_secret=None,
        openai_api_key="sk-test",
        openai_base_url=slow_openai.base_url,
    )
    core = build_core(settings)
    worker = Worker(core)
    assert worker.describe()[1:] == ["Slack: Socket Mode"]
    worker.start()
    try:
        fake_socket.wait_connected()
        slow_openai.delay_s = 1.0
        fake_socket.push(event(message(f"<@{BOT_USER}> do you ship?", kind="app_mention")))
        deadline = time.monotonic() + 10
        while not slow_openai.chat_requests() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert slow_openai.chat_requests()
    finally:
        finished = worker.stop(timeout=20)  # the question is with the model right now
    assert finished
    (answer,) = fake_slack.answers()
    assert "(fake answer)" in answer.text
    assert [r.ok for r in rows(database_url, Reply)] == [True]
    assert rows(database_url, Lease) == []
    core.engine.dispose()
