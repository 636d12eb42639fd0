"""The Slack channel: events → `Incoming`, `Answer` → a threaded, streamed message with 👍 👎 ✏️."""

from bot.channels.slack.app import build_slack_app, make_client
from bot.channels.slack.http import EVENTS_PATH, slack_asgi, slack_route

__all__ = ["EVENTS_PATH", "build_slack_app", "make_client", "slack_asgi", "slack_route"]
