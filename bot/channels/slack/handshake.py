"""Slack's auth.test before anything heavy loads, its answer handed to bolt.

A process that runs Slack asks auth.test right after reading its settings, with
the standard library only: a token Slack refuses, or an API that cannot be
reached, is one line within a second of the start instead of after the core
has loaded (2-3 s on a 2-core box, `bench/startup.py`). Bolt asks auth.test
itself as its App is built; the answer heard here is handed to it once
(`HandshakenClient`), so Slack is still asked once per process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.channels.slack.setup import ask_auth_test, auth_test_url, bot_token
from bot.errors import BadInput

if TYPE_CHECKING:
    from bot.config import Settings

TIMEOUT_S = 10.0
# (auth.test URL, token) -> what Slack answered, until the process's client takes it.
_heard: dict[tuple[str, str], dict[str, Any]] = {}


def reach(settings: Settings) -> None:
    """Ask auth.test; one-line `BadInput` if Slack refuses the token or cannot be reached."""
    token = bot_token(settings)
    heard = ask_auth_test(settings.slack_api_url, token, TIMEOUT_S)
    if isinstance(heard, str):
        raise BadInput(f"{heard}; check SLACK_BOT_TOKEN and SLACK_API_URL (`afina doctor`).")
    _heard[(auth_test_url(settings.slack_api_url), token)] = heard


def take(url: str, token: str | None) -> dict[str, Any] | None:
    """What `reach` heard for this URL and token, once; None if it asked nothing."""
    return _heard.pop((url, token), None) if token else None
