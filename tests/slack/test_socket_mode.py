"""Socket Mode: no public URL; events come down a WebSocket the app opens with SLACK_APP_TOKEN."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.channels.slack.receipts import STORE_WAIT_S
from bot.channels.slack.socket_mode import socket_mode_handler
from bot.tables import Question, QuestionState, Reply
from tests.support.slack_server import APP_TOKEN, BOT_USER, event, message
from tests.support.slack_socket import FakeSocketMode


def test_a_mention_over_socket_mode_is_acked_at_once_and_answered_once(
    start_bot: Any, fake_socket: FakeSocketMode
) -> None:
    bot = start_bot(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    handler = socket_mode_handler(bot.app, bot.settings)
    handler.connect()
    try:
        fake_socket.wait_connected()
        asked = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
        payload = event(asked, event_id="Ev0SOCKET")
        assert fake_socket.acked(fake_socket.push(payload)) < 3
        (answer,) = bot.slack.wait_answered()
        assert answer.thread_ts == asked["ts"] and "€35" in answer.text

        fake_socket.acked(fake_socket.push(payload, retry_attempt=1))  # Slack retries
        bot.drain()
    finally:
        fake_socket.hang_up()  # else the client's close() waits out its 3 s receive timeout
        handler.close()
    assert len(bot.slack.answers()) == 1 and len(bot.rows(Reply)) == 1
    assert "apps.connections.open" in bot.slack.methods()


def test_an_envelope_is_acknowledged_only_once_its_message_is_stored(
    start_bot: Any, fake_socket: FakeSocketMode
) -> None:
    """An acknowledged event is never sent again: a database too slow to store the message
    within Slack's deadline gets no ack, so Slack sends it again, and it is answered once."""
    bot = start_bot(slack_app_token=APP_TOKEN, slack_signing_secret=None, sqlite_busy_timeout_s=15)
    url = make_url(bot.settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        pytest.skip("holds SQLite's write lock (PostgreSQL's outages: tests/test_outages.py)")
    handler = socket_mode_handler(bot.app, bot.settings)
    handler.connect()
    try:
        fake_socket.wait_connected()
        asked = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
        payload = event(asked, event_id="Ev0SLOWDB")
        lock = sqlite3.connect(url.database, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # another process writing, past Slack's deadline
        try:
            first = fake_socket.push(payload)
            time.sleep(STORE_WAIT_S + 0.5)
            assert not any(a.get("envelope_id") == first for a in fake_socket.acks)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        fake_socket.acked(fake_socket.push(payload, retry_attempt=1))  # Slack sends it again
        (answer,) = bot.slack.wait_answered()
        assert answer.thread_ts == asked["ts"]
        bot.drain()
    finally:
        fake_socket.hang_up()
        handler.close()
    assert len(bot.slack.answers()) == 1
    assert [q.state for q in bot.rows(Question)] == [QuestionState.posted]
