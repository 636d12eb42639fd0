"""The periodic jobs, and the scheduler that keeps them in the bot's own database.

Three jobs, kept by APScheduler in the `apscheduler_jobs` table of DATABASE_URL so
their next run times outlive every process:

- `retrain` (RETRAIN_CRON, UTC) starts a run when at least
  RETRAIN_MIN_NEW_EXAMPLES accepted examples arrived since the last run that
  used the data (promoted or rejected), so an idle week costs nothing. A tick
  missed while no worker ran still fires at the next start if it is at most
  RETRAIN_MISFIRE_GRACE_S late; several missed ticks coalesce into one.
- `poll-runs` (every TUNING_POLL_INTERVAL_S, and at once when a worker starts)
  moves every unfinished run as far as it goes without waiting, whichever
  process started it, so a run cut short by a crash goes on.
- `forget-deliveries` (daily, and at once when a worker starts) deletes the
  platforms' delivery ids older than a week (`bot.deliveries.KEPT`): no
  platform repeats a delivery that late, and the table stops growing.

Stored jobs name their function by module path and carry no arguments (a `Runs`
holds an engine and provider clients, which do not pickle): each process
`install`s its own `Runs` before its scheduler starts.

Every worker keeps the same jobs, so every worker fires every tick. One run
per tick comes from the database, not from the number of processes: a worker
decides and creates the run while it holds the `retrain` lease, and a run
created since the tick means the tick is served.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from sqlalchemy import column, select, table
from sqlalchemy.engine import Engine

from bot import store
from bot.app import Core
from bot.cron import trigger as cron_trigger
from bot.db import JOBS_TABLE, session_scope
from bot.deliveries import KEPT, forget_old
from bot.errors import BadInput
from bot.tables import RunState, TuningRun, utcnow
from tuning.runs import LEASE, SNAPSHOT_OVERLAP, Runs

logger = logging.getLogger(__name__)

RETRAIN_JOB = "retrain"
POLL_JOB = "poll-runs"
FORGET_JOB = "forget-deliveries"
RETRAIN_LEASE = "retrain"
# Held only while a worker decides and creates a run (a few queries): a short expiry
# frees it soon if the holder dies on another host.
RETRAIN_LEASE_TTL = timedelta(minutes=2)
# How long a worker waits for another that is deciding the same tick.
DECIDE_WAIT_S = 30.0

_installed: Runs | None = None


def install(runs: Runs | None) -> None:
    """Make `runs` the one this process's stored jobs work with (None forgets it)."""
    global _installed
    _installed = runs


def installed() -> Runs:
    if _installed is None:
        raise RuntimeError("tuning.schedule.install(runs) must run before the scheduler starts")
    return _installed


def retrain_job() -> Decision:
    """The stored `retrain` job: decide the current tick with this process's `Runs`."""
    return retrain_if_due(installed())


def poll_job() -> list[TuningRun]:
    """The stored `poll-runs` job."""
    return poll_runs(installed())


def forget_job() -> int:
    """The stored `forget-deliveries` job: how many old delivery ids went."""
    forgotten = forget_old(installed().core.engine)
    if forgotten:
        logger.info("forgot %d delivery ids older than %s", forgotten, KEPT)
    return forgotten


# --- the schedule ----------------------------------------------------------------


def due_tick(trigger: Any, now: datetime, grace: timedelta) -> datetime:
    """The newest fire time of `trigger` at most `grace` before `now`: the tick a run serves.

    Workers that fire the same tick seconds apart, or one that fires it late after a
    restart, agree on it. A call with no tick in the window (by hand) stands for `now`.
    """
    tick = None
    fire = trigger.get_next_fire_time(None, now - grace)
    while fire is not None and fire <= now:
        tick = fire
        fire = trigger.get_next_fire_time(fire, fire)
    return tick or now


# --- the jobs ----------------------------------------------------------------------


def poll_runs(runs: Runs) -> list[TuningRun]:
    return runs.advance_open()


def new_examples(core: Core, provider: str) -> int:
    """Accepted examples that no finished run of `provider` has considered yet."""
    with session_scope(core.engine) as session:
        upto = store.max_example_id(session)
        last = store.last_run(
            session, provider=provider, states=[RunState.promoted, RunState.rejected]
        )
        if last is None:
            return store.count_snapshot(session, upto_id=upto)
        since = last.created_at
        if last.metrics.get("snapshot_at"):
            since = datetime.fromisoformat(last.metrics["snapshot_at"])
        return store.count_new_examples(
            session,
            upto_id=upto,
            after_id=last.max_example_id,
            since=since - SNAPSHOT_OVERLAP,
            seen=last.metrics.get("recent_ids", []),
        )


@dataclass(frozen=True)
class Decision:
    """What one worker did about one tick of the retrain schedule."""

    tick: datetime
    reason: str
    run: TuningRun | None = None  # the run this worker started, as far as it went


def retrain_if_due(
    runs: Runs, *, now: datetime | None = None, wait_s: float = DECIDE_WAIT_S
) -> Decision:
    """Start the periodic retrain for the tick due at `now` unless nothing much is new,
    a run is going, or another worker (or `afina train`) already started one since the tick.
    """
    settings = runs.settings
    now = now or utcnow()
    grace = timedelta(seconds=settings.retrain_misfire_grace_s)
    tick = due_tick(cron_trigger(settings.retrain_cron), now, grace)
    if not _take_retrain_lease(runs, wait_s):
        decision = Decision(tick, "another worker held the retrain lease throughout; it decides")
    else:
        try:
            decision = _decide(runs, tick)
        finally:
            runs.drop_lease(RETRAIN_LEASE)
    logger.info("retrain tick %s: %s", f"{tick:%Y-%m-%d %H:%M} UTC", decision.reason)
    if decision.run is None:
        return decision
    # The lease is free again: the run goes on under the tuning lease, step by step.
    followed = runs.follow(decision.run.id or 0, until_waiting=True)
    return Decision(tick, decision.reason, followed)


def _take_retrain_lease(runs: Runs, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while not runs.take_lease(RETRAIN_LEASE, ttl=RETRAIN_LEASE_TTL):
        if time.monotonic() >= deadline or runs.stopping.wait(0.1):
            return False
    return True


def _decide(runs: Runs, tick: datetime) -> Decision:
    settings = runs.settings
    with session_scope(runs.core.engine) as session:
        latest = next(iter(store.list_runs(session, limit=1)), None)
        going = list(store.open_runs(session))
    if latest is not None and latest.created_at >= tick:
        return Decision(tick, f"run #{latest.id}, started {latest.created_at:%H:%M:%S}, serves it")
    if going:
        return Decision(tick, f"run #{going[0].id} is still going; the periodic retrain waits")
    fresh = new_examples(runs.core, settings.tuning_provider)
    needed = settings.retrain_min_new_examples
    if fresh < needed:
        return Decision(
            tick, f"{fresh} new accepted examples, {needed} needed (RETRAIN_MIN_NEW_EXAMPLES)"
        )
    try:
        run, created = runs.start(provider=settings.tuning_provider)
    except BadInput as exc:  # a missing key, or `afina train` starting a run this very moment
        return Decision(tick, f"could not start a run: {exc.message}")
    if not created:
        return Decision(tick, f"run #{run.id} is still going; the periodic retrain waits")
    return Decision(tick, f"{fresh} new accepted examples: started run #{run.id}", run)


# --- the scheduler -------------------------------------------------------------------


class JobThreads(BaseExecutor):
    """Runs each job on a thread of its own, so a shutdown waits for them with a deadline.

    APScheduler's pool executor has threads that the interpreter joins at exit,
    however long a training step takes; these are daemon threads, and `join`
    takes a timeout.
    """

    def __init__(self) -> None:
        super().__init__()
        self._threads: set[threading.Thread] = set()
        self._idle = threading.Condition()

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        thread = threading.Thread(
            target=self._run, args=(job, run_times), name=f"job-{job.id}", daemon=True
        )
        with self._idle:
            self._threads.add(thread)
        thread.start()

    def _run(self, job: Any, run_times: list[datetime]) -> None:
        try:
            events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
        except BaseException as exc:
            self._run_job_error(job.id, exc, exc.__traceback__)
        else:
            self._run_job_success(job.id, events)
        finally:
            with self._idle:
                self._threads.discard(threading.current_thread())
                self._idle.notify_all()

    def join(self, timeout: float) -> bool:
        """Wait until no job runs, at most `timeout` seconds; whether none runs."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._threads, timeout)


class StoreKeeper(BackgroundScheduler):
    """A `BackgroundScheduler` that looks at the job store no more once it is shut down.

    APScheduler 3 wakes its loop on `shutdown` and processes due jobs once more: a job
    found then is handed to an executor that is shut down (or runs after the stop),
    and its next run time moves on either way, so a due tick would be lost.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        wait: float | None = super()._process_jobs()
        return wait


class Scheduler:
    """This process's scheduler: both jobs kept in the database, run with its `Runs`."""

    name = "scheduler"

    def __init__(self, runs: Runs) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

        self.runs = runs
        self.threads = JobThreads()
        self.failure: BaseException | None = None  # APScheduler logs a job's errors itself
        self.aps = StoreKeeper(
            jobstores={
                "default": SQLAlchemyJobStore(engine=runs.core.engine, tablename=JOBS_TABLE)
            },
            executors={"default": self.threads},
            timezone=UTC,
        )

    def start(self, *, now: datetime | None = None) -> None:
        """Keep (or add) both jobs in the store and start firing them; `now` for tests."""
        install(self.runs)
        self.aps.start(paused=True)  # the job store is open, nothing fires yet
        self._schedule(now or utcnow())
        self.aps.resume()

    def _schedule(self, now: datetime) -> None:
        settings = self.runs.settings
        trigger = cron_trigger(settings.retrain_cron)
        self.aps.add_job(
            "tuning.schedule:retrain_job",
            trigger,
            id=RETRAIN_JOB,
            name="retrain when enough is new",
            replace_existing=True,  # a restart rewrites the job rather than adding a second
            coalesce=True,
            max_instances=1,
            misfire_grace_time=settings.retrain_misfire_grace_s,
            next_run_time=self._kept(RETRAIN_JOB, trigger) or trigger.get_next_fire_time(None, now),
        )
        from apscheduler.triggers.interval import IntervalTrigger

        self.aps.add_job(
            "tuning.schedule:poll_job",
            IntervalTrigger(seconds=settings.tuning_poll_interval_s, timezone=UTC),
            id=POLL_JOB,
            name="advance unfinished runs",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,  # a late poll is as good as a punctual one
            next_run_time=now,  # at once: resume whatever a stopped process left mid-way
        )
        self.aps.add_job(
            "tuning.schedule:forget_job",
            IntervalTrigger(days=1, timezone=UTC),
            id=FORGET_JOB,
            name="forget old delivery ids",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=now,
        )

    def _kept(self, job_id: str, trigger: Any) -> datetime | None:
        """The stored next run of a job whose schedule is unchanged, so a restart keeps
        a tick that fell due while no worker ran (a new RETRAIN_CRON starts afresh)."""
        try:
            job = self.aps.get_job(job_id)
        except Exception:  # pickled by a version whose code moved: schedule it afresh
            logger.warning("could not read the stored %s job; replacing it", job_id, exc_info=True)
            return None
        if job is None or repr(job.trigger) != repr(trigger):
            return None
        kept: datetime | None = job.next_run_time
        return kept

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.aps.get_jobs()}

    def halt(self) -> None:
        """Fire nothing more; a run being followed stops after the step in flight."""
        self.runs.stopping.set()
        if self.aps.running:
            self.aps.shutdown(wait=False)

    def wait(self, timeout: float) -> bool:
        """Let the jobs in flight end (at most `timeout` s), then give up our leases."""
        finished = self.threads.join(timeout)
        if not finished:
            logger.warning(
                "a training step is still running after %.0f s; its run resumes in the next worker",
                timeout,
            )
        for name in (RETRAIN_LEASE, LEASE):
            self.runs.drop_lease(name)
        if _installed is self.runs:
            install(None)
        return finished


def stored_jobs(engine: Engine) -> dict[str, datetime | None]:
    """Each stored job's next run time, read straight from the job store's table.

    No scheduler is started, so `afina status` shows the schedule with no worker
    running (and none is woken up). A paused job has no next run time.
    """
    jobs = table(JOBS_TABLE, column("id"), column("next_run_time"))
    with engine.connect() as conn:
        found = conn.execute(select(jobs.c.id, jobs.c.next_run_time)).all()
    return {
        str(job_id): None if at is None else datetime.fromtimestamp(float(at), UTC)
        for job_id, at in found
    }
