"""When to retrain: the retrain policy the scheduler (`bot.scheduler`) fires.

Two jobs, kept in the bot's database so their next run times outlive every process:

- `retrain` (RETRAIN_CRON, UTC) starts a run when at least
  RETRAIN_MIN_NEW_EXAMPLES accepted examples arrived since the last run that
  used the data (promoted or rejected), so an idle week costs nothing. A tick
  missed while no worker ran still fires at the next start if it is at most
  RETRAIN_MISFIRE_GRACE_S late; several missed ticks coalesce into one.
- `poll-runs` (every TUNING_POLL_INTERVAL_S, and at once when a worker starts)
  moves every unfinished run as far as it goes without waiting, whichever
  process started it, so a run cut short by a crash goes on.

Every worker keeps the same jobs, so every worker fires every tick. One run
per tick comes from the database, not from the number of processes: a worker
decides and creates the run while it holds the `retrain` lease, and a run
created since the tick means the tick is served.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import store
from bot.app import Core
from bot.config import Settings
from bot.cron import trigger as cron_trigger
from bot.db import session_scope
from bot.errors import BadInput
from bot.scheduler import Job, installed
from bot.tables import RunState, TuningRun, utcnow
from tuning.runs import LEASE, Runs
from tuning.steps import SNAPSHOT_OVERLAP

logger = logging.getLogger(__name__)

RETRAIN_JOB = "retrain"
POLL_JOB = "poll-runs"
RETRAIN_LEASE = "retrain"
# Held only while a worker decides and creates a run (a few queries): a short expiry
# frees it soon if the holder dies on another host.
RETRAIN_LEASE_TTL = timedelta(minutes=2)
# How long a worker waits for another that is deciding the same tick.
DECIDE_WAIT_S = 30.0


def retrain_job() -> Decision:
    """The stored `retrain` job: decide the current tick with this process's `Runs`."""
    return retrain_if_due(installed())


def poll_job() -> list[TuningRun]:
    """The stored `poll-runs` job."""
    return poll_runs(installed())


# The leases a stopping worker gives up: deciding a tick, and stepping a run.
LEASES = (RETRAIN_LEASE, LEASE)


def jobs(settings: Settings) -> list[Job]:
    """The retrain and poll jobs as these settings schedule them (`BadInput` for a bad cron)."""
    from apscheduler.triggers.interval import IntervalTrigger

    retrain = cron_trigger(settings.retrain_cron)
    poll = IntervalTrigger(seconds=settings.tuning_poll_interval_s, timezone=UTC)
    return [
        Job(
            RETRAIN_JOB,
            "tuning.schedule:retrain_job",
            retrain,
            "retrain when enough is new",
            misfire_grace_s=settings.retrain_misfire_grace_s,
            at_start=False,
        ),
        # At once too: resume whatever a stopped process left mid-way.
        Job(POLL_JOB, "tuning.schedule:poll_job", poll, "advance unfinished runs"),
    ]


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
