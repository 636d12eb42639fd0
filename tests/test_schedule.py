"""The periodic retrain and the poll job: thresholds, ticks, the stored schedule, one run a tick.

Time is given, never waited for: `retrain_if_due(now=...)` decides a chosen tick,
and a scheduler started with `now=` stores the schedule as if it had started
then, so a tick missed while "no worker ran" is already due when it starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent

from bot import store
from bot.app import build_core
from bot.config import Settings
from bot.db import session_scope
from bot.deliveries import KEPT
from bot.errors import BadInput
from bot.scheduler import FORGET_JOB, RECOVER_JOB, Scheduler, stored_jobs
from bot.tables import ProcessedEvent, RunState, TuningRun, utcnow
from tests.support.data import add_example, rows
from tests.support.demo import with_demo
from tests.support.openai_server import FakeOpenAI
from tuning.runs import Runs
from tuning.schedule import (
    POLL_JOB,
    RETRAIN_JOB,
    cron_trigger,
    due_tick,
    poll_runs,
    retrain_if_due,
)


def next_monday_3am(after: datetime) -> datetime:
    day = after.date() + timedelta(days=(7 - after.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)


def test_weekdays_count_as_in_crontab() -> None:
    """APScheduler 3 counts 0 as Monday; RETRAIN_CRON is standard cron (0 and 7 are Sunday)."""
    wednesday = datetime(2025, 1, 1, tzinfo=UTC)
    days = {
        expr: cron_trigger(expr).get_next_fire_time(None, wednesday).strftime("%a %H:%M")
        for expr in ("0 3 * * 1", "0 3 * * 0", "0 3 * * 7", "30 6 * * 5-7", "0 3 * * mon")
    }
    assert days == {
        "0 3 * * 1": "Mon 03:00",
        "0 3 * * 0": "Sun 03:00",
        "0 3 * * 7": "Sun 03:00",
        "30 6 * * 5-7": "Fri 06:30",
        "0 3 * * mon": "Mon 03:00",
    }
    for wrong in ("0 3 * *", "0 3 * * 8", "61 * * * *"):
        with pytest.raises(BadInput, match="RETRAIN_CRON"):
            cron_trigger(wrong)


def test_the_tick_is_the_newest_fire_time_within_the_grace() -> None:
    weekly, hour = cron_trigger("0 3 * * 1"), timedelta(hours=1)
    monday = datetime(2025, 1, 6, 3, tzinfo=UTC)
    assert due_tick(weekly, monday + timedelta(seconds=2), hour) == monday
    assert due_tick(weekly, monday + timedelta(minutes=59), hour) == monday  # a late worker
    late = monday + timedelta(hours=2)
    assert due_tick(weekly, late, hour) == late  # no tick in the window: a call by hand
    every_5 = cron_trigger("*/5 * * * *")
    assert due_tick(every_5, monday + timedelta(minutes=12), hour) == monday + timedelta(minutes=10)


def test_the_retrain_starts_only_when_enough_is_new(
    make_settings: Any, openai_env: FakeOpenAI
) -> None:
    core = build_core(make_settings(retrain_min_new_examples=40))
    with_demo(core.settings.resolved_database_url)
    runs = Runs(core)
    # Ticks after the real clock, so runs created now belong to none of them.
    first_tick = next_monday_3am(utcnow())
    ticks = [first_tick + timedelta(weeks=n) for n in range(5)]

    def decide(tick: datetime) -> Any:
        return retrain_if_due(runs, now=tick + timedelta(seconds=3))

    first = decide(ticks[0])  # 48 demo examples, none used yet
    assert first.tick == ticks[0]
    assert first.run is not None and first.run.state == RunState.promoted
    assert first.reason == f"48 new accepted examples: started run #{first.run.id}"

    assert decide(ticks[1]).reason == (
        "0 new accepted examples, 40 needed (RETRAIN_MIN_NEW_EXAMPLES)"
    )
    for n in range(39):
        add_example(core.engine, f"fresh {n}?", f"fresh answer {n}")
    assert decide(ticks[1]).run is None  # 39 < 40
    add_example(core.engine, "one more?", "the fortieth")
    second = decide(ticks[2])
    assert second.run is not None and second.run.id == 2 and second.run.state == "promoted"

    openai_env.hold()
    for n in range(40):
        add_example(core.engine, f"later {n}?", f"later answer {n}")
    started, _ = runs.start(provider="openai")
    assert runs.follow(started.id or 0, until_waiting=True).state == RunState.training
    assert decide(ticks[3]).reason == "run #3 is still going; the periodic retrain waits"
    openai_env.finish()
    (polled,) = poll_runs(Runs(core))  # any process's poll job moves it on
    assert polled.state == RunState.promoted
    assert len(rows(core.settings.resolved_database_url, TuningRun)) == 3
    core.engine.dispose()


def test_a_run_started_since_the_tick_serves_it(settings: Settings) -> None:
    """Another worker, or `afina train`, got there first: this tick needs no second run."""
    every_minute = {"retrain_cron": "* * * * *", "retrain_min_new_examples": 1}
    core = build_core(settings.model_copy(update=every_minute))
    runs = Runs(core)
    tick = utcnow().replace(second=0, microsecond=0)
    manual, _ = runs.start()
    runs.follow(manual.id or 0)
    decision = retrain_if_due(runs, now=tick + timedelta(seconds=30))
    assert decision.tick == tick and decision.run is None
    assert decision.reason.startswith(f"run #{manual.id}, started ")
    assert decision.reason.endswith("serves it")
    core.engine.dispose()


def test_the_jobs_of_one_worker_take_turns_on_a_run(
    make_settings: Any, openai_env: FakeOpenAI
) -> None:
    """The lease belongs to the process, so its retrain and poll jobs must not both step a run."""
    core = build_core(make_settings())
    with_demo(core.settings.resolved_database_url)  # something to train on
    runs = Runs(core)
    openai_env.hold()
    started, _ = runs.start(provider="openai")
    run = runs.follow(started.id or 0, until_waiting=True)
    openai_env.slow_job_reads(1.0)

    def reads() -> int:
        return len([r for r in openai_env.calls(run.provider_job_id or "") if r.method == "GET"])

    before = reads()
    polling = threading.Thread(target=runs.tick, args=(run.id or 0,))
    polling.start()  # one job is polling the provider...
    while reads() == before:
        threading.Event().wait(0.01)
    other = runs.tick(run.id or 0)  # ...so the other job waits instead of stepping too
    polling.join()
    assert other.waiting and reads() == before + 1
    core.engine.dispose()


@pytest.fixture
def scheduled(settings: Settings) -> Iterator[list[Scheduler]]:
    """Schedulers made by a test; each is stopped after it, and its leases given up."""
    made: list[Scheduler] = []
    yield made
    for scheduler in made:
        scheduler.halt()
        scheduler.wait(10)
        scheduler.runs.core.engine.dispose()


def scheduler_for(settings: Settings, made: list[Scheduler]) -> Scheduler:
    made.append(Scheduler(Runs(build_core(settings))))
    return made[-1]


def test_the_stored_schedule_survives_a_restart(
    settings: Settings, scheduled: list[Scheduler]
) -> None:
    weekly = settings.model_copy(update={"retrain_cron": "0 3 * * 1"})
    # Started "a week ahead": the next Monday it stores is one a fresh start would not pick.
    ahead = utcnow() + timedelta(weeks=1)
    first = scheduler_for(weekly, scheduled)
    first.start(now=ahead)
    stored = first.next_runs()
    assert stored[RETRAIN_JOB] == next_monday_3am(ahead)
    first.halt()
    assert first.wait(10)

    again = scheduler_for(weekly, scheduled)
    again.start()
    assert again.next_runs()[RETRAIN_JOB] == stored[RETRAIN_JOB]  # kept, not recomputed
    jobs = {RETRAIN_JOB, POLL_JOB, FORGET_JOB, RECOVER_JOB}
    assert set(stored_jobs(again.runs.core.engine)) == jobs
    again.halt()
    assert again.wait(10)

    # A new RETRAIN_CRON is a new schedule: the next run follows it.
    daily = scheduler_for(weekly.model_copy(update={"retrain_cron": "0 4 * * *"}), scheduled)
    daily.start()
    next_retrain = daily.next_runs()[RETRAIN_JOB]
    assert next_retrain is not None and next_retrain.hour == 4
    assert next_retrain - utcnow() <= timedelta(days=1)
    # `afina status` reads the same times from the table with no scheduler at all.
    assert stored_jobs(daily.runs.core.engine)[RETRAIN_JOB] == next_retrain


class Heard:
    """The scheduler's job events, to wait on instead of sleeping."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.events: list[Any] = []
        self.changed = threading.Condition()
        scheduler.aps.add_listener(self._hear, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)

    def _hear(self, event: JobEvent) -> None:
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def first(self, job_id: str, timeout: float = 30) -> Any:
        with self.changed:
            assert self.changed.wait_for(
                lambda: any(e.job_id == job_id for e in self.events), timeout
            ), f"the {job_id} job never ran"
            return next(e for e in self.events if e.job_id == job_id)


def a_daily_tick_minutes_ago(minutes: int) -> tuple[str, datetime]:
    tick = (utcnow() - timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return f"{tick.minute} {tick.hour} * * *", tick


def test_ticks_missed_while_down_run_once_at_start_within_the_grace(
    settings: Settings, scheduled: list[Scheduler]
) -> None:
    cron, tick = a_daily_tick_minutes_ago(10)
    missed = settings.model_copy(
        update={"retrain_cron": cron, "retrain_min_new_examples": 1, "tuning_poll_interval_s": 3600}
    )
    with_demo(missed.resolved_database_url)  # something new to train on
    scheduler = scheduler_for(missed, scheduled)
    heard = Heard(scheduler)
    # As if the worker had started three days ago and been down since: three ticks missed.
    scheduler.start(now=tick - timedelta(days=2, minutes=1))
    executed = heard.first(RETRAIN_JOB)
    assert executed.code == EVENT_JOB_EXECUTED
    assert executed.scheduled_run_time == tick  # coalesced into the newest one
    decision = executed.retval
    assert decision.tick == tick and decision.run.state == RunState.promoted
    assert scheduler.next_runs()[RETRAIN_JOB] == tick + timedelta(days=1)
    scheduler.halt()
    assert scheduler.wait(10)
    assert [e.job_id for e in heard.events].count(RETRAIN_JOB) == 1
    assert len(rows(missed.resolved_database_url, TuningRun)) == 1


def test_a_tick_missed_by_more_than_the_grace_is_skipped(
    settings: Settings, scheduled: list[Scheduler]
) -> None:
    cron, tick = a_daily_tick_minutes_ago(10)
    missed = settings.model_copy(
        update={
            "retrain_cron": cron,
            "retrain_min_new_examples": 1,
            "retrain_misfire_grace_s": 60,
            "tuning_poll_interval_s": 3600,
        }
    )
    scheduler = scheduler_for(missed, scheduled)
    heard = Heard(scheduler)
    scheduler.start(now=tick - timedelta(minutes=1))
    assert heard.first(RETRAIN_JOB).code == EVENT_JOB_MISSED
    scheduler.halt()
    assert scheduler.wait(10)
    assert rows(missed.resolved_database_url, TuningRun) == []


def test_the_poll_job_runs_at_start_and_resumes_an_unfinished_run(
    settings: Settings, scheduled: list[Scheduler]
) -> None:
    """What a process killed mid-run left behind goes on as soon as a worker starts."""
    core = build_core(settings)
    with_demo(settings.resolved_database_url)  # something to train on
    left, _ = Runs(core).start()  # collecting: nobody is working on it
    core.engine.dispose()
    scheduler = scheduler_for(
        settings.model_copy(update={"tuning_poll_interval_s": 3600}), scheduled
    )
    heard = Heard(scheduler)
    scheduler.start()
    (resumed,) = heard.first(POLL_JOB).retval
    assert (resumed.id, resumed.state) == (left.id, RunState.promoted)


def test_a_starting_worker_forgets_delivery_ids_older_than_a_week(
    settings: Settings, scheduled: list[Scheduler]
) -> None:
    core = build_core(settings)
    now = utcnow()
    for key, age in (("old", KEPT + timedelta(hours=1)), ("recent", timedelta(hours=1))):
        with session_scope(core.engine) as session:
            session.add(ProcessedEvent(channel="slack", event_key=key, created_at=now - age))
    core.engine.dispose()
    scheduler = scheduler_for(settings, scheduled)
    heard = Heard(scheduler)
    scheduler.start()
    assert heard.first(FORGET_JOB).retval == 1
    assert [e.event_key for e in rows(settings.resolved_database_url, ProcessedEvent)] == ["recent"]


# --- several processes, one database ---------------------------------------------

FIRE = """
import json, sys
from datetime import datetime
from bot.app import build_core
from tuning.runs import Runs
from tuning.schedule import retrain_if_due

runs = Runs(build_core())
print("ready", flush=True)
sys.stdin.readline()  # every process fires at once
decision = retrain_if_due(runs, now=datetime.fromisoformat(sys.argv[1]))
print(json.dumps({"reason": decision.reason, "run": decision.run and decision.run.id}))
"""


def test_workers_firing_the_same_tick_start_exactly_one_run(
    database_url: str, tmp_path: Path
) -> None:
    """Two processes on one database fire the same tick together: one run, whatever the timing."""
    with_demo(database_url)  # as `afina migrate` + `afina demo` leave it: something to train on
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETRAIN_", "TUNING_"))}
    env |= {
        "DATABASE_URL": database_url,
        "AFINA_HOME": str(tmp_path / "home"),
        "RETRAIN_CRON": "* * * * *",
        "RETRAIN_MIN_NEW_EXAMPLES": "1",
    }
    now = utcnow().isoformat()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", FIRE, now],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        said = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    decisions = [json.loads(out.strip().splitlines()[-1]) for out, _err in said]
    started = [d for d in decisions if d["run"] is not None]
    assert len(started) == 1, decisions
    (other,) = [d["reason"] for d in decisions if d["run"] is None]
    assert other.endswith("serves it") or "still going" in other, decisions
    (run,) = rows(database_url, TuningRun)
    assert run.id == started[0]["run"] and run.state == RunState.promoted
    core = build_core(Settings(database_url=database_url))
    with session_scope(core.engine) as session:
        assert store.get_lease(session, name="retrain") is None
        assert store.get_lease(session, name="tuning") is None
    core.engine.dispose()


def test_shutting_the_scheduler_down_loses_no_due_tick(settings: Settings) -> None:
    """APScheduler 3 processes due jobs once more on shutdown and moves their next run on."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    from bot.db import JOBS_TABLE
    from bot.scheduler import StoreKeeper

    core = build_core(settings)
    due = utcnow().replace(microsecond=0) - timedelta(minutes=1)
    keeper = StoreKeeper(
        jobstores={"default": SQLAlchemyJobStore(engine=core.engine, tablename=JOBS_TABLE)},
        timezone=UTC,
    )
    keeper.start(paused=True)
    keeper.add_job(
        "tuning.schedule:retrain_job", cron_trigger("0 3 * * *"), id=RETRAIN_JOB, next_run_time=due
    )
    keeper.shutdown()
    assert stored_jobs(core.engine) == {RETRAIN_JOB: due}  # still due for the next worker
    core.engine.dispose()
