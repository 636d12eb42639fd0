"""The one place the Telegram bot is assembled: `build_telegram_app(core, settings)`.

Polling (`afina telegram`), the webhook route and the tests all run this same
`Application`; only where updates come from differs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.error import InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot import logsafe
from bot.app import Core
from bot.channels.telegram import console_command
from bot.channels.telegram.addressing import question_for_bot
from bot.channels.telegram.buttons import ButtonSigner
from bot.channels.telegram.desk_cards import DeskSigner
from bot.channels.telegram.fetching import fetch
from bot.channels.telegram.handlers import Handlers
from bot.channels.telegram.redact import describe_error
from bot.channels.telegram.review import Review
from bot.channels.telegram.setup import bot_token, secrets_of
from bot.channels.telegram.texts import say
from bot.config import Settings
from bot.errors import BadInput
from bot.pool import DrainingPool

logger = logging.getLogger(__name__)

# Updates the bot asks for. Reactions are only delivered when asked for by name.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MESSAGE_REACTION]
# Answers wait seconds on the model; this many can wait at once (one worker thread each).
CONCURRENT_ANSWERS = 256
# HTTP connections to the Bot API. Requests are short, so a few dozen carry hundreds of
# answers; a bigger pool costs more than it gives (httpcore scans every idle connection
# on each request).
CONNECTIONS = 32
# Telegram asks for about 30 messages a second across chats and tolerates short bursts:
# a 30/s average over a 10 s window lets a burst of replies go out at once.
MESSAGES_PER_WINDOW, WINDOW_S = 300, 10
GROUP_MESSAGES_PER_MINUTE = 20
RETRIES_AFTER_429 = 3
# Cosmetic calls skip the message budget: a lost "typing…" or draft costs nothing.
BEST_EFFORT = frozenset({"sendChatAction", "sendMessageDraft"})

COMMANDS = [
    BotCommand("start", "Say hello"),
    BotCommand("help", "How to ask and how to rate answers"),
    BotCommand("ask", "Ask a question (in groups)"),
    BotCommand("new", "Start a fresh conversation"),
]


class AnswerRateLimiter(AIORateLimiter):
    """`AIORateLimiter` for messages; typing actions and drafts are sent straight away.

    Messages keep Telegram's limits (overall, 20 a minute per group) and are
    retried after a 429 `RetryAfter`; a cosmetic call that hits a 429 is dropped.
    At most `CONNECTIONS` requests are on the wire at once: the rest wait here,
    in order, rather than in httpx's pool, which gets slow with a long queue.
    """

    def __init__(self, **limits: Any) -> None:
        super().__init__(**limits)
        self._on_the_wire = asyncio.Semaphore(CONNECTIONS)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        async def send(
            *call_args: Any, **call_kwargs: Any
        ) -> bool | dict[str, Any] | list[dict[str, Any]]:
            async with self._on_the_wire:
                return await callback(*call_args, **call_kwargs)

        if endpoint in BEST_EFFORT:
            return await send(*args, **kwargs)
        return await super().process_request(send, args, kwargs, endpoint, data, rate_limit_args)


def file_url(api_url: str) -> str:
    """The file endpoint that goes with a Bot API URL (`…/bot` → `…/file/bot`)."""
    base = api_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base


def build_telegram_app(core: Core, settings: Settings) -> Application:
    """The bot: Bot API URL, rate limits, handlers and error handler, ready to run."""
    token = bot_token(settings)
    secrets = secrets_of(settings)
    # Every Bot API URL holds the token, and httpx logs URLs: masked in every record
    # (the CLI installs this at start already; a bot built elsewhere gets it here).
    logsafe.install(settings, secrets)
    # `Application.stop()` waits for every update in hand; the server bounds that wait
    # (SHUTDOWN_GRACE_S), and the pool's daemon threads let the process exit when it runs out.
    workers = DrainingPool(CONCURRENT_ANSWERS, "telegram-answer")

    async def on_start(application: Application) -> None:
        await application.bot.set_my_commands(COMMANDS)
        logger.info("Telegram bot @%s is ready", application.bot.username)

    async def on_stop(application: Application) -> None:
        workers.shutdown(wait=False, cancel_futures=True)
        core.posts.close()

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url(settings.telegram_api_url))
        .rate_limiter(
            AnswerRateLimiter(
                overall_max_rate=MESSAGES_PER_WINDOW,
                overall_time_period=WINDOW_S,
                group_max_rate=GROUP_MESSAGES_PER_MINUTE,
                group_time_period=60,
                max_retries=RETRIES_AFTER_429,
            )
        )
        # Updates are handled concurrently on purpose: an answer waits seconds on the
        # model, and handled one by one every other chat would wait behind it. Order
        # within a chat is kept by `ChatTurns`; a repeat is caught by `first_delivery`.
        .concurrent_updates(CONCURRENT_ANSWERS)
        .connection_pool_size(CONNECTIONS)
        .pool_timeout(30)
        .job_queue(None)
        .updater(None)  # polling is `fetching`'s: it confirms an update once it is stored
        .post_init(on_start)
        .post_shutdown(on_stop)
        .build()
    )
    console_command.register(application, core, workers)
    Review(core, DeskSigner(token), workers).register(application)
    Handlers(core, ButtonSigner(token), workers).register(application)
    application.add_error_handler(error_handler(secrets))
    return application


def application_for(core: Core) -> Application:
    """`build_telegram_app` as a process runs it, with the process's settings."""
    return build_telegram_app(core, core.settings)


async def initialize(application: Application) -> None:
    """`application.initialize()`, which asks Telegram who the bot is (`getMe`).

    A token Telegram refuses, or an API that cannot be reached, is one clear `BadInput`."""
    try:
        await application.initialize()
    except InvalidToken:
        raise BadInput(
            "Telegram refused TELEGRAM_BOT_TOKEN: copy it again from @BotFather."
        ) from None
    except NetworkError as exc:
        raise BadInput(
            f"Could not reach the Telegram Bot API ({type(exc).__name__}); "
            "check TELEGRAM_API_URL and the network."
        ) from None


@asynccontextmanager
async def started(application: Application) -> AsyncIterator[None]:
    """Run the application the way PTB's own runners do, for polling, webhook and tests.

    A token Telegram refuses becomes a one-line `BadInput` (PTB's own message quotes it).
    """
    await initialize(application)
    try:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        try:
            yield
        finally:
            await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


async def poll(
    application: Application,
    stop: asyncio.Event,
    *,
    on_ready: Callable[[], None] = lambda: None,
) -> None:
    """Long polling until `stop` is set; `on_ready` once updates are being fetched. Each
    update is confirmed to Telegram only once it is stored (`fetching`)."""
    async with started(application):
        await application.bot.delete_webhook()  # polling and a webhook exclude each other
        on_ready()
        await fetch(application, stop, allowed_updates=ALLOWED_UPDATES)


def error_handler(
    secrets: list[str],
) -> Callable[[object, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what failed with its context, secrets masked; tell the person if we can."""
        if context.error is None:
            return
        where = describe_update(update)
        logger.error("Telegram %s failed:\n%s", where, describe_error(context.error, secrets))
        if isinstance(update, Update):
            try:
                await apologise(update)
            except Exception as exc:  # best effort: the error itself is logged above
                logger.warning("could not apologise for %s: %s", where, type(exc).__name__)

    return on_error


async def apologise(update: Update) -> None:
    """Never leave someone who asked with silence (or a button spinning)."""
    if update.callback_query is not None:
        await update.callback_query.answer(say("broken", update.effective_user), show_alert=True)
        return
    message = update.message
    if message is None:
        return
    if (
        message.chat.type == ChatType.PRIVATE
        or (message.text or "").startswith("/")
        or question_for_bot(message, message.get_bot()) is not None
    ):
        await message.reply_text(say("broken", update.effective_user))


def describe_update(update: object) -> str:
    """`update 7 (chat 42, user 9)`: enough to find it, none of the text."""
    if not isinstance(update, Update):
        return "background task" if update is None else f"update of type {type(update).__name__}"
    parts = []
    if update.effective_chat is not None:
        parts.append(f"chat {update.effective_chat.id}")
    if update.effective_user is not None:
        parts.append(f"user {update.effective_user.id}")
    detail = f" ({', '.join(parts)})" if parts else ""
    return f"update {update.update_id}{detail}"
