"""The Telegram channel as the processes see it: where it runs, what it needs, its two sides.

- Webhook (`TELEGRAM_WEBHOOK_URL` + its secret): `afina serve` mounts
  `/telegram/webhook` and registers it with Telegram at start.
- Long polling (no webhook URL): the worker fetches updates; no public URL.
  Telegram allows one consumer per bot, so run one worker with polling.

python-telegram-bot loads only when one side is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels import Placement
from bot.channels.telegram import setup

if TYPE_CHECKING:  # annotations only: listing the channels stays light
    from bot.app import Core
    from bot.channels import Web
    from bot.checks import Diagnosis
    from bot.config import Settings
    from bot.desk.ends import DeskEnd
    from bot.recovery import Courier
    from bot.worker import Part

WEBHOOK_PATH = "/telegram/webhook"


class TelegramChannel:
    name = "telegram"
    title = "Telegram"
    help = (
        "Run the Telegram bot: long polling, or a webhook on PORT when TELEGRAM_WEBHOOK_URL is set."
    )
    paths = (WEBHOOK_PATH,)

    def placement(self, settings: Settings) -> Placement | None:
        if settings.telegram_webhook_url:
            return Placement(True, False, "webhook", "TELEGRAM_WEBHOOK_URL is set")
        if settings.telegram_bot_token is not None:
            return Placement(False, True, "long polling", "no TELEGRAM_WEBHOOK_URL")
        return None

    def require(self, settings: Settings) -> None:
        setup.bot_token(settings)
        if settings.telegram_webhook_url:
            setup.webhook_secret(settings)

    def require_web(self, settings: Settings) -> None:
        setup.bot_token(settings)
        setup.webhook_secret(settings)

    def secrets(self, settings: Settings) -> list[str]:
        return setup.secrets_of(settings)

    def reach(self, settings: Settings) -> None:
        setup.reach(settings)

    def introduce(self, core: Core) -> None:
        import asyncio

        from bot.channels.telegram.app import application_for, initialize

        application = application_for(core)

        async def introduce() -> None:
            await initialize(application)  # getMe
            await application.shutdown()

        asyncio.run(introduce())

    def web(self, core: Core) -> Web:
        from bot.channels.telegram.webhook import TelegramWeb

        return TelegramWeb(core)

    def background(self, core: Core) -> Part:
        from bot.channels.telegram.polling import Polling

        return Polling(core)

    def courier(self, core: Core) -> Courier | None:
        if core.settings.telegram_bot_token is None:
            return None
        from bot.channels.telegram.courier import TelegramCourier

        return TelegramCourier(core.settings)

    def checks(self, diagnosis: Diagnosis) -> None:
        setup.checks(diagnosis)

    def desk(self, core: Core) -> DeskEnd | None:
        if core.settings.telegram_bot_token is None:
            return None
        from bot.channels.telegram.desk import TelegramDesk
        from bot.desk.walk import language_of

        return TelegramDesk(core.settings, lambda place: language_of(core, destination=place))


CHANNEL = TelegramChannel()
