"""The Slack channel: events → `Incoming`, `Answer` → a threaded, streamed message with 👍 👎 ✏️.

`CHANNEL` is what the processes use (`bot.channels.Channel`). The rest loads
slack_bolt, so it is imported on first use: `from bot.channels.slack import
build_slack_app, slack_route` works as ever, and looping over channels stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot.channels.slack.channel import CHANNEL, EVENTS_PATH

if TYPE_CHECKING:
    from bot.channels.slack.app import build_slack_app, make_client
    from bot.channels.slack.http import slack_asgi, slack_route

_LAZY = {
    "build_slack_app": "bot.channels.slack.app",
    "make_client": "bot.channels.slack.app",
    "slack_asgi": "bot.channels.slack.http",
    "slack_route": "bot.channels.slack.http",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CHANNEL", "EVENTS_PATH", "build_slack_app", "make_client", "slack_asgi", "slack_route"]
