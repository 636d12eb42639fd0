"""The Slack channel as the processes see it: where it runs, what it needs, its two sides.

- HTTP (`SLACK_BOT_TOKEN` + `SLACK_SIGNING_SECRET`): `afina serve` mounts
  `/slack/events`, and answers run on a pool that a stop drains.
- Socket Mode (`SLACK_APP_TOKEN`): the worker opens a WebSocket to Slack; no
  public URL. With a signing secret too, both run.

The platform's libraries load only when one side is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels import Placement
from bot.channels.slack import setup
from bot.errors import BadInput

if TYPE_CHECKING:  # annotations only: listing the channels stays light
    from bot.app import Core
    from bot.channels import Web
    from bot.checks import Diagnosis
    from bot.config import Settings
    from bot.desk.ends import DeskEnd
    from bot.recovery import Courier
    from bot.worker import Part

EVENTS_PATH = "/slack/events"


class SlackChannel:
    name = "slack"
    title = "Slack"
    help = "Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP at /slack/events."
    paths = (EVENTS_PATH,)

    def placement(self, settings: Settings) -> Placement | None:
        if settings.slack_bot_token is None:
            return None
        if settings.slack_app_token is not None:
            web = settings.slack_signing_secret is not None
            return Placement(web, True, "Socket Mode", "SLACK_APP_TOKEN is set")
        return Placement(True, False, "over HTTP", "no SLACK_APP_TOKEN")

    def require(self, settings: Settings) -> None:
        setup.bot_token(settings)

    def require_web(self, settings: Settings) -> None:
        self.require(settings)
        problem = setup.signing_secret_problem(settings)
        if problem:
            raise BadInput(problem)

    def secrets(self, settings: Settings) -> list[str]:
        return setup.secrets_of(settings)

    def reach(self, settings: Settings) -> None:
        from bot.channels.slack import handshake

        handshake.reach(settings)  # bolt is handed its answer, not asking auth.test again

    def introduce(self, core: Core) -> None:
        from bot.channels.slack.app import build_slack_app

        build_slack_app(core)  # bolt asks Slack's auth.test as it starts

    def web(self, core: Core) -> Web:
        from bot.channels.slack.http import SlackWeb

        return SlackWeb(core)

    def background(self, core: Core) -> Part:
        from bot.channels.slack.socket_mode import SocketMode

        return SocketMode(core)

    def courier(self, core: Core) -> Courier | None:
        if core.settings.slack_bot_token is None:
            return None
        from bot.channels.slack.app import make_client
        from bot.channels.slack.courier import SlackCourier

        return SlackCourier(make_client(core.settings))

    def checks(self, diagnosis: Diagnosis) -> None:
        setup.checks(diagnosis)

    def desk(self, core: Core) -> DeskEnd | None:
        from bot.channels.slack.desk import SlackDesk

        return SlackDesk(core.settings)


CHANNEL = SlackChannel()
