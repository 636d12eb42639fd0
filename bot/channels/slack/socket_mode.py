"""Socket Mode: the app opens a WebSocket to Slack and events come down it; no public URL.

Bolt's built-in client (no extra dependency) acknowledges each envelope after
`App.dispatch` returns, which is at once: answers run on the app's worker pool.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.config import Settings
from bot.errors import BadInput


def socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    """A handler for `app` that connects with SLACK_APP_TOKEN through SLACK_API_URL."""
    if settings.slack_app_token is None:
        raise BadInput("SLACK_APP_TOKEN is not set: create an app-level token (xapp-…).")
    return SocketModeHandler(app, settings.slack_app_token.get_secret_value())
