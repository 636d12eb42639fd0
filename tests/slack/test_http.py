"""`/slack/events` over HTTP: Slack's signature is checked before anything else happens, and
an event is acknowledged only once its message is stored."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from bot.channels.slack import EVENTS_PATH, slack_asgi
from bot.tables import Question, QuestionState
from tests.support.slack_server import BOT_USER, event, message, signed


def test_only_requests_signed_with_the_signing_secret_get_in(start_bot: Any) -> None:
    bot = start_bot()
    client = TestClient(slack_asgi(bot.app))
    challenge = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})

    ok = client.post(EVENTS_PATH, content=challenge, headers=signed(challenge))
    assert ok.status_code == 200 and ok.json() == {"challenge": "c-123"}

    forged = client.post(EVENTS_PATH, content=challenge, headers=signed(challenge, "wrong"))
    assert forged.status_code == 401

    stale = signed(challenge, at=time.time() - 600)  # a replayed request
    assert client.post(EVENTS_PATH, content=challenge, headers=stale).status_code == 401

    unsigned = client.post(EVENTS_PATH, content=challenge)
    assert unsigned.status_code == 401


def test_a_forged_event_is_never_answered(start_bot: Any) -> None:
    bot = start_bot()
    client = TestClient(slack_asgi(bot.app))
    body = json.dumps(event(message("How much is shipping?", channel="D0ANA", channel_type="im")))

    assert client.post(EVENTS_PATH, content=body, headers=signed(body, "wrong")).status_code == 401
    bot.drain()
    assert bot.slack.calls("chat.postMessage") == []


def test_the_manifest_subscribes_to_everything_the_bot_handles() -> None:
    manifest = (Path(__file__).parents[2] / "slack" / "manifest.yml").read_text()
    events = ("app_mention", "message.im", "message.channels", "message.groups", "reaction_added")
    for name in events:
        assert f"- {name}" in manifest
    for scope in ("app_mentions:read", "chat:write", "im:history", "channels:history"):
        assert f"- {scope}" in manifest
    assert "- reactions:read" in manifest
    assert manifest.count("request_url: https://YOUR-HOST/slack/events") == 2


def test_an_event_is_acknowledged_only_once_its_message_is_stored(start_bot: Any) -> None:
    """A 200 tells Slack never to send the event again (a process killed after it would lose
    the message), so it comes only once the message is stored; a database too slow for
    Slack's deadline gets a 503, and Slack's retry is answered once."""
    bot = start_bot(sqlite_busy_timeout_s=15)
    path = make_url(bot.settings.resolved_database_url).database
    if not path or make_url(bot.settings.resolved_database_url).get_backend_name() != "sqlite":
        pytest.skip("holds SQLite's write lock (PostgreSQL's outages: tests/test_outages.py)")
    client = TestClient(slack_asgi(bot.app))
    asked = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
    body = json.dumps(event(asked))
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another process writing, past Slack's deadline
    try:
        first = client.post(EVENTS_PATH, content=body, headers=signed(body))
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert first.status_code == 503
    retry = signed(body) | {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_error"}
    assert client.post(EVENTS_PATH, content=body, headers=retry).status_code == 200
    bot.slack.wait_answered(1, timeout=30)
    bot.drain()
    [answer] = bot.slack.answers()
    assert answer.thread_ts == asked["ts"]
    assert [q.state for q in bot.rows(Question)] == [QuestionState.posted]
