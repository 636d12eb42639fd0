"""Socket Mode: the app opens a WebSocket to Slack and events come down it; no public URL.

Bolt's built-in client (no extra dependency) acknowledges each envelope after
`App.dispatch` returns, which is at once: answers run on the app's worker pool.
As over HTTP (`bot.channels.slack.http`), an event's envelope is acknowledged only
once its message is stored (`bot.channels.slack.receipts`): an acknowledged event
is never sent again, so a process killed between the ack and the commit would
lose the message. Not stored within `STORE_WAIT_S`: no ack, and Slack delivers
it again. `SocketMode` is the channel's background side, as a worker runs it.
"""

from __future__ import annotations

import logging
import time

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.app import Core
from bot.channels.slack.app import answer_pool, build_slack_app, drain_answers
from bot.channels.slack.receipts import receipts_of
from bot.channels.slack.setup import NO_APP_TOKEN
from bot.config import Settings
from bot.errors import BadInput
from bot.pool import DrainingPool

logger = logging.getLogger(__name__)


class StoredFirst(SocketModeHandler):
    """Acknowledges an event's envelope only once the event's message is stored."""

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        # Bolt's own two steps (`SocketModeHandler.handle`), with the wait for the store between.
        started = time.time()
        response = run_bolt_app(self.app, req)
        payload = req.payload if isinstance(req.payload, dict) else {}
        event_id = payload.get("event_id") if response.status == 200 else None
        if event_id and not receipts_of(self.app).stored(event_id):
            logger.warning("Slack event %s not stored in time; Slack will send it again", event_id)
            return
        send_response(client, req, response, started)


def socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    """A handler for `app` that connects with SLACK_APP_TOKEN through SLACK_API_URL."""
    if settings.slack_app_token is None:
        raise BadInput(NO_APP_TOKEN)
    return StoredFirst(app, settings.slack_app_token.get_secret_value())


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
