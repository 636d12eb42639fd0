"""Slack's auth.test before anything heavy loads, its answer handed to bolt.

A process that runs Slack asks auth.test right after reading its settings, with
the standard library only: a token Slack refuses, or an API that cannot be
reached, is one line within a second of the start instead of after the core
has loaded (2-3 s on a 2-core box, `bench/startup.py`). Bolt asks auth.test
itself as its App is built; the answer heard here is handed to it once
(`HandshakenClient`), so Slack is still asked once per process.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.channels.slack.setup import bot_token
from bot.checks import show_url
from bot.errors import BadInput

if TYPE_CHECKING:
    from bot.config import Settings

TIMEOUT_S = 10.0
# (auth.test URL, token) -> what Slack answered, until the process's client takes it.
_heard: dict[tuple[str, str], dict[str, Any]] = {}


def auth_test_url(api_url: str) -> str:
    return api_url.rstrip("/") + "/auth.test"


def reach(settings: Settings) -> None:
    """Ask auth.test; one-line `BadInput` if Slack refuses the token or cannot be reached."""
    from bot.probe import request  # urllib only: slack_sdk and bolt load later

    token = bot_token(settings)
    url = auth_test_url(settings.slack_api_url)
    answer = request(
        url,
        method="POST",
        timeout_s=TIMEOUT_S,
        headers={
            "authorization": f"Bearer {token}",
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    where = show_url(settings.slack_api_url)
    if isinstance(answer, str):
        raise BadInput(
            f"Slack's API at {where} cannot be reached ({answer}); "
            "check SLACK_API_URL and the network."
        )
    payload = answer.json()
    if answer.status != 200 or not isinstance(payload, dict):
        raise BadInput(f"Slack's auth.test at {where} answered HTTP {answer.status}.")
    if not payload.get("ok"):
        # Slack's error codes (invalid_auth, token_revoked, …) hold nothing secret.
        error = re.sub(r"[^a-z_]", "", str(payload.get("error", "")))[:40] or "unknown"
        raise BadInput(f"Slack refused SLACK_BOT_TOKEN ({error}): copy it again from the app.")
    _heard[(url, token)] = payload


def take(url: str, token: str | None) -> dict[str, Any] | None:
    """What `reach` heard for this URL and token, once; None if it asked nothing."""
    return _heard.pop((url, token), None) if token else None
