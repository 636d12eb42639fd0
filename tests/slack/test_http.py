"""`/slack/events` over HTTP: Slack's signature is checked before anything else happens."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from bot.channels.slack import EVENTS_PATH, slack_asgi
from tests.support.slack_server import event, message, signed


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
