"""A retrain as a persisted state machine that any process can pick up where another stopped.

    collecting → uploading → training → evaluating → promoted | rejected
         └──────────┴───────────┴────────────┴──────→ failed | cancelled

Each `tick` does one step (`tuning.steps`) under the `tuning` lease (one worker
at a time, across processes and hosts; see `bot.leases`) and the step stores its
outcome before returning, so killing the process at any point loses at most the
step in flight. A lease whose owner died on this host is taken over at once; one
from another host after `LEASE_TTL`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta

from bot import store
from bot.app import Core
from bot.db import session_scope
from bot.errors import AfinaError, BadInput
from bot.leases import Leases
from bot.tables import FINAL_RUN_STATES, RunState, TuningRun, utcnow
from tuning import steps
from tuning.notify import LoggingNotifier, Notifiers, RunNotifier
from tuning.providers import get_provider
from tuning.providers.base import Provider, ProviderError
from tuning.steps import Tick

logger = logging.getLogger(__name__)

LEASE = "tuning"
LEASE_TTL = timedelta(minutes=15)
LEASE_RENEW_S = 60.0


RowsProgress = Callable[[int], AbstractContextManager[Callable[[int], None] | None]]


class Runs:
    """Starts, advances, follows and cancels training runs for one process."""

    def __init__(
        self,
        core: Core,
        *,
        notifier: RunNotifier | None = None,
        providers: Callable[[str], Provider] | None = None,
        rows_progress: RowsProgress | None = None,
    ) -> None:
        self.core = core
        # Given the number of rows a dataset build reads, yields a callback advanced as it reads.
        self.rows_progress = rows_progress or (lambda total: nullcontext(None))
        self.settings = core.settings
        # Every run that ends is logged and announced on the review desk (`bot.desk`).
        self.notifier = notifier or Notifiers([LoggingNotifier(), core.desk])
        self._make = providers or (lambda name: get_provider(name, core.settings, core))
        self._providers: dict[str, Provider] = {}
        self.leases = Leases(core.engine)
        self.owner = self.leases.owner
        self._renewed = time.monotonic()
        # Set when the process shuts down: the step in flight finishes, no other starts, and
        # the run waits in the database for the next process.
        self.stopping = threading.Event()
        self._turn = threading.Lock()

    def provider(self, name: str) -> Provider:
        if name not in self._providers:
            self._providers[name] = self._make(name)
        return self._providers[name]

    # --- leases --------------------------------------------------------------
    def take_lease(self, name: str = LEASE, *, ttl: timedelta = LEASE_TTL) -> bool:
        """Hold the named lease, or take it over from an owner that died on this host."""
        return self.leases.take(name, ttl=ttl)

    def drop_lease(self, name: str = LEASE) -> None:
        self.leases.drop(name)

    def _hold(self) -> bool:
        """The tuning lease, for this thread. Its owner is the process, so the threads of one
        process (a worker's retrain and poll jobs) first take turns on a lock."""
        if not self._turn.acquire(blocking=False):
            return False
        if self.take_lease():
            return True
        self._turn.release()
        return False

    def _let_go(self) -> None:
        try:
            self.drop_lease()
        finally:
            self._turn.release()

    def renew(self, *_progress: int) -> None:
        """Keep the lease through a long step (a big dataset, a slow judge), once a minute."""
        now = time.monotonic()
        if now - self._renewed < LEASE_RENEW_S:
            return
        self._renewed = now
        self.leases.renew(LEASE, ttl=LEASE_TTL)

    # --- starting ------------------------------------------------------------
    def start(
        self, *, provider: str | None = None, full: bool = False, method: str = "supervised"
    ) -> tuple[TuningRun, bool]:
        """A new run in `collecting`, or the run already going (and False): one at a time."""
        name = provider or self.settings.tuning_provider
        self.provider(name)  # an unknown or missing provider fails here, before any record
        if method not in {"supervised", "dpo"}:
            raise BadInput(f"Unknown method '{method}': supervised or dpo.")
        if not self._hold():
            raise BadInput("Another process is starting or advancing a run; try again shortly.")
        try:
            with session_scope(self.core.engine) as session:
                going = store.open_runs(session)
                if going:
                    return going[0], False
                parent = store.active_version(session)
                run = store.add_run(
                    session,
                    TuningRun(
                        provider=name,
                        method=method,
                        full=full,
                        state=RunState.collecting,
                        parent_version_id=parent.id if parent else None,
                    ),
                )
                kind = "full" if full else "incremental when possible"
                store.add_run_event(
                    session, run_id=run.id or 0, message=f"started: {name}, {method}, {kind}"
                )
            return run, True
        finally:
            self._let_go()

    # --- advancing -------------------------------------------------------------
    def tick(self, run_id: int) -> Tick:
        """Do the next step of a run if no other process is doing it."""
        if not self._hold():
            return Tick(self.get(run_id), waiting=True)
        try:
            return self._step(run_id)
        finally:
            self._let_go()

    def get(self, run_id: int) -> TuningRun:
        with session_scope(self.core.engine) as session:
            return store.get_run(session, run_id=run_id)

    def _step(self, run_id: int) -> Tick:
        run = self.get(run_id)
        if run.state in FINAL_RUN_STATES:
            return Tick(run, waiting=False)
        step = {
            RunState.collecting: steps.collect,
            RunState.uploading: steps.upload,
            RunState.training: steps.poll,
            RunState.evaluating: steps.evaluate,
        }[RunState(run.state)]
        try:
            return step(self, run)
        except ProviderError as exc:
            if exc.retry:
                self.event(run, f"will retry: {exc.message}", level="warning")
                return Tick(self.get(run_id), waiting=True)
            return self.finish(run, RunState.failed, exc.message)
        except AfinaError as exc:
            return self.finish(run, RunState.failed, exc.message)
        except Exception as exc:  # a bug must end the run visibly, not loop forever
            logger.exception("run %s crashed in %s", run.id, run.state)
            return self.finish(run, RunState.failed, f"{type(exc).__name__}: {exc}")

    def follow(
        self,
        run_id: int,
        *,
        on_tick: Callable[[Tick], None] = lambda tick: None,
        until_waiting: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> TuningRun:
        """Advance a run to its end (or, with `until_waiting`, until it waits on the provider)."""
        while True:
            tick = self.tick(run_id)
            on_tick(tick)
            if tick.run.state in FINAL_RUN_STATES or (until_waiting and tick.waiting):
                return tick.run
            if self.stopping.is_set():
                return tick.run
            if tick.waiting:
                sleep(self.settings.tuning_poll_interval_s)

    def advance_open(self) -> list[TuningRun]:
        """Move every unfinished run as far as it goes without waiting (the scheduler's job)."""
        with session_scope(self.core.engine) as session:
            ids = [run.id or 0 for run in store.open_runs(session)]
        return [
            self.follow(run_id, until_waiting=True) for run_id in ids if not self.stopping.is_set()
        ]

    def cancel(self, run_id: int) -> TuningRun:
        if not self._hold():
            raise BadInput(f"Another process is working on run {run_id} right now; try again.")
        try:
            run = self.get(run_id)
            if run.state in FINAL_RUN_STATES:
                raise BadInput(f"Run {run_id} already ended ({run.state}).")
            if run.provider_job_id:
                self.provider(run.provider).cancel(run.provider_job_id)
            return self.finish(run, RunState.cancelled, None).run
        finally:
            self._let_go()

    # --- endings -----------------------------------------------------------------
    def finish(self, run: TuningRun, state: RunState, error: str | None) -> Tick:
        with session_scope(self.core.engine) as session:
            fresh = store.get_run(session, run_id=run.id or 0)
            fresh.state = state
            fresh.error = error
            fresh.finished_at = utcnow()
            store.save_run(session, fresh)
            version = store.version_for_run(session, run_id=fresh.id or 0)
            line = f"{state}" + (f": {error}" if error else "")
            level = "error" if state == RunState.failed else "info"
            store.add_run_event(session, run_id=fresh.id or 0, message=line, level=level)
        self.notifier.notify_run_finished(fresh, version)
        return Tick(fresh, waiting=False)

    def event(self, run: TuningRun, message: str, *, level: str = "info") -> None:
        with session_scope(self.core.engine) as session:
            store.add_run_event(session, run_id=run.id or 0, message=message, level=level)
