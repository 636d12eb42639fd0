"""The worker: the scheduler, plus each configured channel's background side.

`Worker` starts and stops its parts without owning the process, so `afina
worker` runs it alone and a process that also serves HTTP can run it beside
the server. Which parts run follows the settings:

- the scheduler always (periodic retrain, polling unfinished runs, forgetting
  old delivery ids);
- the review desk's loop when a channel takes part in it (`bot.desk.loop`);
- every channel whose settings place it in the background
  (`bot.channels.run_in_background`): Slack Socket Mode when SLACK_APP_TOKEN is
  set, Telegram long polling when TELEGRAM_WEBHOOK_URL is not. The others post
  their events over HTTP to the web process.

Stopping takes two passes (`Parts.stop`). First every part stops taking work:
the Slack socket closes, Telegram stops fetching updates, the scheduler fires
nothing more. Then all of them finish what they already hold within one
deadline (WORKER_STOP_TIMEOUT_S): answers to events already received, and the
training step in flight. The leases this process holds are given up last, so
another worker can carry on at once; a run stopped mid-way resumes from the
state it stored. `afina slack` and `afina telegram` run one channel's
background side the same way, as `Parts` of their own.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from bot.app import Core
from bot.channels import registered, run_in_background
from bot.errors import AfinaError

if TYPE_CHECKING:
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


class Parts:
    """Parts started together and stopped together, within one deadline.

    `stop` takes two passes: first every part stops taking work, then all of them
    finish what they already hold within `timeout` seconds. Where answers were
    posted is written last."""

    def __init__(self, core: Core, parts: list[Part], *, timeout: float) -> None:
        self.core = core
        self.parts = parts
        self.timeout = timeout
        self._started: list[Part] = []

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
        """Stop taking work, finish what is in hand within `timeout` s (default: the
        deadline these parts were given); whether everything finished."""
        timeout = self.timeout if timeout is None else timeout
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


class Worker(Parts):
    """The scheduler, and every configured channel's background side."""

    def __init__(self, core: Core, *, runs: Runs | None = None) -> None:
        from bot.scheduler import Scheduler
        from tuning.runs import Runs

        self.settings = core.settings
        self.runs = runs or Runs(core)
        self.scheduler = Scheduler(self.runs)
        channels = run_in_background(self.settings)
        parts: list[Part] = [self.scheduler, *(channel.background(core) for channel in channels)]
        if core.desk.enabled:
            from bot.desk.loop import DeskLoop

            parts.append(DeskLoop(core))
        super().__init__(core, parts, timeout=self.settings.worker_stop_timeout_s)

    def describe(self) -> list[str]:
        """What runs here, and where the channels that do not run here go."""
        settings = self.settings
        lines = [
            f"scheduler: retrain on '{settings.retrain_cron}' (UTC) when at least "
            f"{settings.retrain_min_new_examples} new accepted examples arrived; "
            f"unfinished runs polled every {settings.tuning_poll_interval_s:g} s"
        ]
        for channel in registered():
            placement = channel.placement(settings)
            if placement is not None:
                lines.append(placement.worker_line(channel.title))
        return lines


def run_until_signalled(worker: Parts, *, on_ready: Callable[[], None] = lambda: None) -> bool:
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
