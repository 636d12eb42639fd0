"""Socket Mode: the app opens a WebSocket to Slack and events come down it; no public URL.

Bolt's built-in client (no extra dependency) acknowledges each envelope after
`App.dispatch` returns, which is at once: answers run on the app's worker pool.
`SocketMode` is the channel's background side, as a worker runs it.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import Core
from bot.channels.slack.app import answer_pool, build_slack_app, drain_answers
from bot.channels.slack.setup import NO_APP_TOKEN
from bot.config import Settings
from bot.errors import BadInput
from bot.pool import DrainingPool


def socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    """A handler for `app` that connects with SLACK_APP_TOKEN through SLACK_API_URL."""
    if settings.slack_app_token is None:
        raise BadInput(NO_APP_TOKEN)
    return SocketModeHandler(app, settings.slack_app_token.get_secret_value())


class SocketMode:
    """Slack events over Socket Mode, answered on a pool that a stop drains."""

    name = "Slack Socket Mode"

    def __init__(self, core: Core) -> None:
        self.core = core
        self.failure: BaseException | None = None
        self.handler: SocketModeHandler | None = None
        self.answers: DrainingPool | None = None

    def start(self) -> None:
        self.answers = answer_pool()
        app = build_slack_app(self.core, executor=self.answers)
        self.handler = socket_mode_handler(app, self.core.settings)
        self.handler.connect()

    def halt(self) -> None:
        if self.handler is not None:
            self.handler.close()

    def wait(self, timeout: float) -> bool:
        """Answer every event already acknowledged: Slack will not send them again."""
        if self.answers is None:
            return True
        return drain_answers(self.answers, timeout, f"the stop deadline ({timeout:g}s)")
