"""The worker: the scheduler, plus Slack Socket Mode and Telegram long polling when set up.

`Worker` starts and stops its parts without owning the process, so `afina
worker` runs it alone and a process that also serves HTTP can run it beside
the server. Which parts run follows the settings:

- the scheduler always (periodic retrain, polling unfinished runs);
- Slack Socket Mode when SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set (without
  an app token Slack posts events over HTTP to the web process);
- Telegram long polling when TELEGRAM_BOT_TOKEN is set and TELEGRAM_WEBHOOK_URL
  is not (with one, Telegram posts updates to the web process).

Stopping takes two passes. First every part stops taking work: the Slack socket
closes, Telegram stops fetching updates, the scheduler fires nothing more. Then
all of them finish what they already hold within one deadline
(WORKER_STOP_TIMEOUT_S): answers to events already received, and the training
step in flight. The leases this process holds are given up last, so another
worker can carry on at once; a run stopped mid-way resumes from the state it
stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

from bot.app import Core
from bot.config import Settings
from bot.errors import AfinaError

if TYPE_CHECKING:  # the channel libraries load only when their part runs
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from telegram.ext import Application

    from tuning.runs import Runs

logger = logging.getLogger(__name__)


class Part(Protocol):
    name: str
    failure: BaseException | None  # set when the part stopped by itself

    def start(self) -> None: ...

    def halt(self) -> None:
        """Take no more work."""

    def wait(self, timeout: float) -> bool:
        """Finish the work in hand within `timeout` s; whether it all finished."""


def wants_socket_mode(settings: Settings) -> bool:
    return settings.slack_app_token is not None and settings.slack_bot_token is not None


def wants_polling(settings: Settings) -> bool:
    return settings.telegram_bot_token is not None and not settings.telegram_webhook_url


class Worker:
    def __init__(self, core: Core, *, runs: Runs | None = None) -> None:
        from tuning.runs import Runs
        from tuning.schedule import Scheduler

        self.core = core
        self.settings = core.settings
        self.runs = runs or Runs(core)
        self.scheduler = Scheduler(self.runs)
        self.parts: list[Part] = [self.scheduler]
        if wants_socket_mode(self.settings):
            self.parts.append(SlackSocketMode(core))
        if wants_polling(self.settings):
            self.parts.append(TelegramPolling(core))
        self._started: list[Part] = []

    def describe(self) -> list[str]:
        """What runs here, and where the channels that do not run here go."""
        settings = self.settings
        lines = [
            f"scheduler: retrain on '{settings.retrain_cron}' (UTC) when at least "
            f"{settings.retrain_min_new_examples} new accepted examples arrived; "
            f"unfinished runs polled every {settings.tuning_poll_interval_s:g} s"
        ]
        if wants_socket_mode(settings):
            lines.append("Slack: Socket Mode")
        elif settings.slack_bot_token is not None:
            lines.append("Slack: over HTTP, answered by the web process (no SLACK_APP_TOKEN)")
        if wants_polling(settings):
            lines.append("Telegram: long polling")
        elif settings.telegram_bot_token is not None:
            lines.append("Telegram: webhook, answered by the web process (TELEGRAM_WEBHOOK_URL)")
        return lines

    def start(self) -> None:
        """Start every part; if one cannot start, stop the ones that did and raise."""
        for part in self.parts:
            try:
                part.start()
            except BaseException:
                self.stop()
                raise
            self._started.append(part)
            logger.info("%s started", part.name)

    def failure(self) -> str | None:
        """A part that stopped by itself, as a sentence."""
        for part in self._started:
            if part.failure is not None:
                return f"{part.name} stopped: {type(part.failure).__name__}: {part.failure}"
        return None

    def stop(self, timeout: float | None = None) -> bool:
        """Stop taking work, finish what is in hand within `timeout` s (default
        WORKER_STOP_TIMEOUT_S), give up the leases; whether everything finished."""
        timeout = self.settings.worker_stop_timeout_s if timeout is None else timeout
        parts, self._started = self._started, []
        for part in reversed(parts):
            part.halt()
        deadline = time.monotonic() + timeout
        finished = True
        for part in parts:
            if not part.wait(max(deadline - time.monotonic(), 0.0)):
                logger.warning("%s: work still in hand when the stop deadline passed", part.name)
                finished = False
        self.core.posts.close()
        return finished


def run_until_signalled(worker: Worker, *, on_ready: Callable[[], None] = lambda: None) -> bool:
    """Start `worker`, run until SIGINT or SIGTERM, stop it; whether everything finished.

    Raises `AfinaError` (after stopping the rest) when a part stops by itself, so
    the process exits non-zero and its supervisor restarts it.
    """
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stop.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        worker.start()
        on_ready()
        while not stop.wait(1.0):
            failed = worker.failure()
            if failed:
                raise AfinaError(failed)
        return worker.stop()
    except BaseException:
        worker.stop()
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def finishes_within(work: Callable[[], object], timeout: float, name: str) -> bool:
    """Run `work` on a daemon thread and wait at most `timeout` s for it to return."""
    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive()


class SlackSocketMode:
    """Slack events over Socket Mode, answered on the app's worker pool."""

    name = "Slack Socket Mode"

    def __init__(self, core: Core) -> None:
        self.core = core
        self.failure: BaseException | None = None
        self.handler: SocketModeHandler | None = None
        self.executor: ThreadPoolExecutor | None = None

    def start(self) -> None:
        from bot.channels.slack import build_slack_app
        from bot.channels.slack.app import WORKERS
        from bot.channels.slack.socket_mode import socket_mode_handler

        # Our own pool, so a stop can wait for the answers queued on it.
        self.executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="slack")
        app = build_slack_app(self.core, executor=self.executor)
        self.handler = socket_mode_handler(app, self.core.settings)
        self.handler.connect()

    def halt(self) -> None:
        if self.handler is not None:
            self.handler.close()

    def wait(self, timeout: float) -> bool:
        """Answer every event already acknowledged: Slack will not send them again."""
        executor = self.executor
        if executor is None:
            return True
        return finishes_within(lambda: executor.shutdown(wait=True), timeout, "slack-drain")


class TelegramPolling:
    """Telegram long polling on an event loop of its own thread."""

    name = "Telegram long polling"

    def __init__(self, core: Core) -> None:
        self.core = core
        self.failure: BaseException | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._halted = False

    def start(self) -> None:
        from bot.channels.telegram import build_telegram_app
        from bot.channels.telegram.app import secrets_of
        from bot.channels.telegram.redact import protect_handlers

        settings = self.core.settings
        protect_handlers(secrets_of(settings))  # the token is in every Bot API URL
        application = build_telegram_app(self.core, settings)
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._poll(application),), name="telegram", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self.failure is not None:
            raise self.failure

    async def _poll(self, application: Application) -> None:
        from bot.channels.telegram.app import poll

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await poll(application, self._stop, on_ready=self._ready.set)
        except BaseException as exc:
            self.failure = exc
            if self._ready.is_set():
                logger.error("Telegram polling stopped: %s", type(exc).__name__)
        else:
            if not self._halted:
                self.failure = RuntimeError("polling ended by itself")
        finally:
            self._ready.set()

    def halt(self) -> None:
        self._halted = True
        if self._loop is None or self._stop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already ended (polling failed)
            self._loop.call_soon_threadsafe(self._stop.set)

    def wait(self, timeout: float) -> bool:
        """Updates already fetched are answered before the loop ends."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()
