"""Periodic jobs kept in the bot's own database, and the scheduler that fires them.

APScheduler 3 keeps the jobs in the `apscheduler_jobs` table of DATABASE_URL,
so their next run times outlive every process. Stored jobs name their function
by module path and carry no arguments (what they work with, a `tuning.runs.Runs`,
holds an engine and provider clients, which do not pickle): each process
`install`s its own before its scheduler starts.

The jobs: retraining's (`tuning.schedule.jobs`: `retrain` on RETRAIN_CRON,
`poll-runs` to move unfinished runs on) and the bot's own: `forget-deliveries`
(daily, and at once when a worker starts), which deletes the platforms'
delivery ids older than a week (`bot.deliveries.KEPT`): no platform repeats a
delivery that late, and the table stops growing; and `recover-answers` (at
once, then every few seconds), which answers the questions a process left
unanswered (`bot.recovery`).

Every worker keeps the same jobs, so every worker fires every tick; whatever must
happen once per tick is decided under a lease in the database (see
`tuning.schedule`), not by counting processes.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from sqlalchemy import column, select, table
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.db import JOBS_TABLE
from bot.deliveries import KEPT, forget_old
from bot.tables import utcnow

if TYPE_CHECKING:
    from tuning.runs import Runs

logger = logging.getLogger(__name__)

FORGET_JOB = "forget-deliveries"
RECOVER_JOB = "recover-answers"

_installed: Runs | None = None


def install(runs: Runs | None) -> None:
    """Make `runs` the one this process's stored jobs work with (None forgets it)."""
    global _installed
    _installed = runs


def installed() -> Runs:
    if _installed is None:
        raise RuntimeError("bot.scheduler.install(runs) must run before the scheduler starts")
    return _installed


@dataclass(frozen=True)
class Job:
    """A job to keep in the store: what it runs (by name), when, and how lateness counts."""

    id: str
    func: str  # "module:function", a function of no arguments
    trigger: Any
    name: str
    misfire_grace_s: int | None = None  # None: a late run is as good as a punctual one
    # True: run at once when a worker starts. False: keep the stored next run while the
    # trigger is unchanged, so a restart keeps a tick that fell due while no worker ran.
    at_start: bool = True


def forget_job() -> int:
    """The stored `forget-deliveries` job: how many old delivery ids went."""
    forgotten = forget_old(installed().core.engine)
    if forgotten:
        logger.info("forgot %d delivery ids older than %s", forgotten, KEPT)
    return forgotten


_couriers: dict[int, Any] = {}  # per core: the channels' couriers, made on first use


def recover_job() -> int:
    """The stored `recover-answers` job: questions left unanswered, answered once; how many."""
    from bot.recovery import couriers, recover

    core = installed().core
    by = _couriers.get(id(core))
    if by is None:
        by = _couriers[id(core)] = couriers(core)
    done = recover(core, by)
    return done.answered + done.noted


def bot_jobs(settings: Settings) -> list[Job]:
    """The bot's own jobs (retraining brings its own: `tuning.schedule.jobs`)."""
    from apscheduler.triggers.interval import IntervalTrigger

    forget = IntervalTrigger(days=1, timezone=UTC)
    often = min(15.0, max(settings.recover_after_s / 2, 1.0))  # as `bot.recovery.every`
    recover = IntervalTrigger(seconds=often, timezone=UTC)
    return [
        Job(FORGET_JOB, "bot.scheduler:forget_job", forget, "forget old delivery ids"),
        Job(RECOVER_JOB, "bot.scheduler:recover_job", recover, "answer questions left unanswered"),
    ]


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
    """This process's scheduler: the jobs kept in the database, run with its `Runs`."""

    name = "scheduler"

    def __init__(self, runs: Runs, jobs: list[Job] | None = None) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

        self.runs = runs
        self.jobs = jobs
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
        """Keep (or add) every job in the store and start firing them; `now` for tests."""
        from tuning import schedule

        settings = self.runs.settings
        if self.jobs is None:
            self.jobs = [*schedule.jobs(settings), *bot_jobs(settings)]
        install(self.runs)
        self.aps.start(paused=True)  # the job store is open, nothing fires yet
        now = now or utcnow()
        for job in self.jobs:
            first = now if job.at_start else self._kept(job.id, job.trigger)
            self.aps.add_job(
                job.func,
                job.trigger,
                id=job.id,
                name=job.name,
                replace_existing=True,  # a restart rewrites the job rather than adding a second
                coalesce=True,
                max_instances=1,
                misfire_grace_time=job.misfire_grace_s,
                next_run_time=first or job.trigger.get_next_fire_time(None, now),
            )
        self.aps.resume()

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
        from tuning.schedule import LEASES

        finished = self.threads.join(timeout)
        if not finished:
            logger.warning(
                "a training step is still running after %.0f s; its run resumes in the next worker",
                timeout,
            )
        for name in LEASES:
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
