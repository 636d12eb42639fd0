"""The HTTP edge: nothing is parsed before it is trusted, no body is unbounded, and a click or a
form acts only on the answer of the conversation it came from.

Through the real bolt `App` and the real Starlette apps `afina serve` and `afina slack` run.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.testclient import TestClient

from bot.channels.slack import EVENTS_PATH, slack_asgi
from bot.channels.slack.blocks import ANSWER_BLOCK
from bot.tables import Feedback
from bot.web import create_app
from tests.slack.test_feedback import ask, click, open_correct, rate
from tests.support.slack_server import SIGNING_SECRET, signed, view_submission
from tests.support.telegram_server import TOKEN, FakeTelegram

NOT_JSON = "{this is not json"


def test_an_unsigned_body_is_refused_before_it_is_read(start_bot: Any) -> None:
    client = TestClient(slack_asgi(start_bot().app), raise_server_exceptions=False)
    json_headers = {"content-type": "application/json"}

    unsigned = client.post(EVENTS_PATH, content=NOT_JSON, headers=json_headers)
    assert unsigned.status_code == 401
    forged = client.post(EVENTS_PATH, content=NOT_JSON, headers=signed(NOT_JSON, "not-ours"))
    assert forged.status_code == 401
    not_utf8 = client.post(EVENTS_PATH, content=b"\xff\xfe{", headers=json_headers)
    assert not_utf8.status_code == 401


def test_a_signed_body_that_cannot_be_read_is_a_400_without_a_traceback(
    start_bot: Any, caplog: Any
) -> None:
    client = TestClient(slack_asgi(start_bot().app), raise_server_exceptions=False)

    garbled = client.post(EVENTS_PATH, content=NOT_JSON, headers=signed(NOT_JSON))
    assert garbled.status_code == 400
    form = signed("payload=%7Bnot", SIGNING_SECRET)
    form["content-type"] = "application/x-www-form-urlencoded"
    assert client.post(EVENTS_PATH, content="payload=%7Bnot", headers=form).status_code == 400
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"


def test_every_route_refuses_a_body_over_the_limit(
    slack_settings: Any, fake_telegram: FakeTelegram, monkeypatch: Any
) -> None:
    settings = slack_settings(
        max_request_bytes=4096,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake_telegram.api_url,
        telegram_webhook_url="https://bot.example.com/telegram/webhook",
        telegram_webhook_secret="hook-secret",
    )
    big = json.dumps({"type": "url_verification", "challenge": "x" * 5000})
    small = json.dumps({"type": "url_verification", "challenge": "c-1"})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post(EVENTS_PATH, content=small, headers=signed(small)).status_code == 200
        assert client.post(EVENTS_PATH, content=big, headers=signed(big)).status_code == 413
        hook = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret"}
        sent = client.post("/telegram/webhook", content=big, headers=hook)
        assert sent.status_code == 413
        form = client.post("/console/link/abc", data={"csrf": "x" * 5000})
        assert form.status_code == 413

        def chunks() -> Any:  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b"x" * 1000

        streamed = client.post("/console/link/abc", content=chunks())
        assert streamed.status_code == 413
        assert client.get("/healthz").status_code == 200


def test_a_button_from_another_conversation_is_refused_with_a_note(start_bot: Any) -> None:
    bot = start_bot()
    mine, _ = ask(bot, "how much is shipping to Spain?")
    other, _ = ask(bot, "do you ship to the Canary Islands?")
    # Ana clicks 👍 in her thread with the value of the other thread's answer.
    elsewhere = dataclasses.replace(other, thread_ts=mine.thread_ts)
    rate(bot, elsewhere, positive=True)
    moved = dataclasses.replace(other, channel="C0OTHER")  # the same answer, another channel
    button = moved.blocks[-1]["elements"][0]
    click(bot, moved, button, button["value"], "U0ANA")
    bot.drain()

    assert bot.rows(Feedback) == []
    notes = bot.slack.notes()
    assert len(notes) == 2 and all("another conversation" in n["text"] for n in notes), notes
    assert bot.slack.calls("views.open") == []


def test_a_correct_form_for_another_conversation_or_garbled_is_refused(start_bot: Any) -> None:
    bot = start_bot()
    answer, _ = ask(bot, "What is the zorblat club?")
    view = open_correct(bot, answer)
    metadata = json.loads(view["private_metadata"])

    refused = []
    for changed in (
        "{not json",
        json.dumps({**metadata, "channel": "C0OTHER"}),
        json.dumps({**metadata, "thread_ts": "1.000"}),
        json.dumps({"reply_id": "x"}),
    ):
        body = view_submission({**view, "private_metadata": changed}, user="U0ANA", text="Wrong")
        response = bot.send(body)
        assert response.status == 200, response.body
        refused.append(json.loads(response.body))
    bot.drain()

    for said in refused:
        assert said["response_action"] == "errors" and ANSWER_BLOCK in said["errors"], said
    assert bot.rows(Feedback) == []
