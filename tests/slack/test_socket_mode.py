"""Socket Mode: no public URL; events come down a WebSocket the app opens with SLACK_APP_TOKEN."""

from __future__ import annotations

from typing import Any

from bot.channels.slack.socket_mode import socket_mode_handler
from bot.tables import Reply
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
