"""`afina status`: what an operator checks first, with or without a worker running."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot import store
from bot.app import build_core
from bot.cli.status import masked
from bot.config import Settings
from bot.db import session_scope
from bot.scheduler import Scheduler
from bot.tables import utcnow
from tests.support.cli import run
from tests.support.demo import with_demo
from tuning.runs import Runs
from tuning.schedule import RETRAIN_JOB


def test_a_fresh_database_says_no_worker_has_scheduled_jobs_yet(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    assert run(capsys, "demo").code == 0
    shown = run(capsys, "status")
    assert shown.code == 0, shown.err
    assert "no worker has scheduled jobs yet" in shown.out
    assert "48 accepted since the last examples run · 20 needed" in shown.out
    assert "none yet: `afina train` starts one" in shown.out

    report = run(capsys, "status", "--json").json()
    assert report["jobs"] == {} and report["next_retrain"] is None
    assert report["examples"]["accepted"] == 48
    assert (report["new_examples"], report["retrain_min_new_examples"]) == (48, 20)
    assert report["open_runs"] == [] and report["last_run"] is None
    assert report["model"] == {
        "backend": "examples",
        "model": "examples",
        "version": None,
        "active_version": None,
    }


def test_status_reads_the_schedule_a_stopped_worker_left(
    capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    with_demo(settings.resolved_database_url)
    core = build_core(settings)
    runs = Runs(core)
    runs.follow(runs.start()[0].id or 0)  # a promoted offline run
    scheduler = Scheduler(runs)
    scheduler.start()
    stored = scheduler.next_runs()[RETRAIN_JOB]
    scheduler.halt()
    assert scheduler.wait(10)
    with session_scope(core.engine) as session:  # someone else is mid-step right now
        store.take_lease(
            session, name="tuning", owner="other-host:1:abc", until=utcnow() + timedelta(minutes=5)
        )
    core.engine.dispose()

    report = run(capsys, "status", "--json").json()
    assert stored is not None
    assert datetime.fromisoformat(report["next_retrain"]) == stored.replace(microsecond=0)
    assert report["next_poll"] is not None
    assert report["last_run"]["state"] == "promoted"
    assert report["model"]["version"] == 1 and report["new_examples"] == 0
    assert [lease["owner"] for lease in report["leases"]] == ["other-host:1:abc"]

    shown = run(capsys, "status")
    assert f"next retrain  {stored:%Y-%m-%d %H:%M:%S} UTC (RETRAIN_CRON '0 3 * * 1', UTC)" in (
        shown.out
    )
    assert "tuning lease  other-host:1:abc until" in shown.out
    assert "last run      #1 promoted (examples, job examples-run-1), started " in shown.out


def test_the_database_password_never_prints() -> None:
    assert masked("postgresql://afina:s3cret@db.internal/afina") == (
        "postgresql://afina:***@db.internal/afina"
    )
