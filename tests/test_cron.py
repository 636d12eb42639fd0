"""RETRAIN_CRON is read one way: `afina doctor`, `afina status` and the scheduler agree.

For every weekday a crontab line can name (0 = Sunday … 6 = Saturday), the next
retrain the doctor announces is the one the scheduler stores, which is the one
`afina status` shows, and it falls on the weekday crontab means.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.app import build_core
from bot.config import Settings
from bot.scheduler import Scheduler
from bot.tables import utcnow
from tests.support.cli import run
from tuning.runs import Runs
from tuning.schedule import RETRAIN_JOB

CRONTAB_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
ANNOUNCED = re.compile(r"next (\w+) (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")


@pytest.mark.parametrize("weekday", range(7), ids=CRONTAB_DAYS)
def test_doctor_status_and_the_scheduler_agree_on_the_next_retrain(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    weekday: int,
) -> None:
    hour = (utcnow().hour + 12) % 24  # no tick can fall between the three readings
    cron = f"0 {hour} * * {weekday}"
    monkeypatch.setenv("RETRAIN_CRON", cron)
    core = build_core(Settings())
    scheduler = Scheduler(Runs(core))
    scheduler.start()
    stored = scheduler.next_runs()[RETRAIN_JOB]
    scheduler.halt()
    assert scheduler.wait(10)
    core.engine.dispose()
    assert stored is not None

    status = run(capsys, "status", "--json").json()
    doctor = run(capsys, "doctor", "--offline", "--json").json()
    [schedule] = [c["message"] for c in doctor["checks"] if c["name"] == "schedule"]
    found = ANNOUNCED.search(schedule)
    assert found is not None, schedule
    day_name, announced = found.groups()

    assert datetime.fromisoformat(status["next_retrain"]) == stored.replace(microsecond=0)
    assert announced == f"{stored:%Y-%m-%d %H:%M}"
    assert day_name == f"{stored:%A}" == CRONTAB_DAYS[weekday]
    assert status["retrain_cron"] == cron
