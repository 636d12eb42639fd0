"""`afina worker` as a real process: it answers, advances runs, and stops without losing work.

Each test shares a SQLite file between this process (which sets the scene and
reads the outcome) and the workers it starts; the fake Telegram Bot API and
the fake OpenAI server stand in for the outside world.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot import store
from bot.app import build_core
from bot.config import Settings
from bot.db import make_engine, session_scope
from bot.tables import Lease, Reply, RunState, TuningRun
from tests.support.data import a_due_retrain_tick, rows
from tests.support.demo import with_demo
from tests.support.openai_server import SlowOpenAI
from tests.support.processes import AFINA
from tests.support.telegram_server import TOKEN, FakeTelegram, message_update, private_chat, user
from tuning.runs import Runs

CUSTOMER = 42
_NOT_INHERITED = (
    "AFINA_",
    "DATABASE_",
    "OPENAI_",
    "MODEL_",
    "SLACK_",
    "TELEGRAM_",
    "TUNING_",
    "RETRAIN_",
    "WORKER_",
    "PORT",
    "HOST",
)


@pytest.fixture
def openai() -> Iterator[SlowOpenAI]:
    server = SlowOpenAI()
    server.start()
    server.hold()  # jobs move only when a test says so
    yield server
    server.stop()


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(tmp_path: Path, openai: SlowOpenAI, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """One database and one OpenAI for this test and the workers it starts."""
    values = {
        "AFINA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'afina.db'}",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": openai.base_url,
        "OPENAI_MAX_RETRIES": "0",
        "TUNING_POLL_INTERVAL_S": "0.2",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def a_run_in_training() -> TuningRun:
    """An OpenAI run whose job the provider is still training, as a stopped worker leaves it."""
    core = build_core(Settings())
    with_demo(core.settings.resolved_database_url)  # something to train on
    runs = Runs(core)
    started, _ = runs.start(provider="openai")
    run = runs.follow(started.id or 0, until_waiting=True)
    core.engine.dispose()
    assert run.state == RunState.training
    return run


def start_worker(env: dict[str, str], **extra: str) -> subprocess.Popen[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    return subprocess.Popen(
        [AFINA, "worker"],
        env=inherited | env | extra,
        cwd=env["AFINA_HOME"].rsplit("/", 1)[0],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(
    what: str, holds: Callable[[], bool], worker: subprocess.Popen[str], timeout: float = 60
) -> None:
    """Poll until `holds()`; fail with the worker's output if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not holds():
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            out, err = worker.communicate()
            raise AssertionError(f"never saw {what}; worker exit {worker.returncode}:\n{out}{err}")
        time.sleep(0.05)


def running(worker: subprocess.Popen[str]) -> None:
    """Read the worker's output up to the line that says it runs (its signal handlers too)."""
    assert worker.stdout is not None
    seen = []
    for line in worker.stdout:
        seen.append(line)
        if "afina · worker · running" in line:
            return
    raise AssertionError("the worker never ran:\n" + "".join(seen) + worker.communicate()[1])


def stop(worker: subprocess.Popen[str], how: signal.Signals = signal.SIGTERM) -> tuple[int, str]:
    worker.send_signal(how)
    out, err = worker.communicate(timeout=60)
    return worker.returncode, out + err


def run_state(url: str, run_id: int) -> str:
    return next(str(r.state) for r in rows(url, TuningRun) if r.id == run_id)


def lease_owner(url: str) -> str | None:
    engine = make_engine(url)
    with session_scope(engine) as session:
        lease = store.get_lease(session, name="tuning")
        owner = lease.owner if lease else None
    engine.dispose()
    return owner


def held_by(url: str, worker: subprocess.Popen[str]) -> bool:
    return f":{worker.pid}:" in (lease_owner(url) or "")


def test_worker_answers_on_telegram_moves_runs_on_and_finishes_answers_on_sigterm(
    env: dict[str, str], openai: SlowOpenAI, telegram: FakeTelegram
) -> None:
    url = env["DATABASE_URL"]
    run = a_run_in_training()
    worker = start_worker(
        env, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.api_url, LOG_LEVEL="INFO"
    )
    try:
        wait_for("polling", lambda: bool(telegram.called("getUpdates")), worker)
        openai.finish()  # the provider is done: the worker's poll job takes it from here
        wait_for("the run promoted", lambda: run_state(url, run.id or 0) == "promoted", worker)

        openai.delay_s = 2.0  # the next answer is still being written when SIGTERM comes
        telegram.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship?"))
        asked = lambda: any("Do you ship?" in str(r) for r in openai.chat_requests())  # noqa: E731
        wait_for("the question reach the model", asked, worker)
        code, output = stop(worker)
    finally:
        worker.kill()
    assert code == 0, output
    (answer,) = telegram.sent(CUSTOMER)  # the answer in flight was finished and sent
    assert answer["text"].startswith("(fake answer)")
    assert [b["text"] for b in answer.buttons] == ["👍", "👎", "✏️"]
    (stored,) = [r for r in rows(url, Reply) if r.channel == "telegram"]
    assert stored.ok and stored.platform_message_id == f"{CUSTOMER}:{answer.message_id}"
    assert rows(url, Lease) == []
    assert "Telegram: long polling" in output and "stopped; nothing left in hand" in output
    assert TOKEN not in output


def test_a_worker_stopped_mid_step_leaves_the_run_to_the_next_one(
    env: dict[str, str], openai: SlowOpenAI
) -> None:
    url = env["DATABASE_URL"]
    run = a_run_in_training()
    openai.slow_job_reads(60)  # every poll of the job hangs: a step is always in flight

    # SIGTERM: the step cannot finish within WORKER_STOP_TIMEOUT_S, so the worker gives
    # its lease up and exits anyway; the run waits, untouched, in the database.
    first = start_worker(env, WORKER_STOP_TIMEOUT_S="1")
    try:
        wait_for("the first worker mid-step", lambda: held_by(url, first), first)
        asked = time.monotonic()
        code, output = stop(first)
        took = time.monotonic() - asked
    finally:
        first.kill()
    assert code == 0, output
    assert took < 10, output
    assert "work still in hand" in output
    assert lease_owner(url) is None and run_state(url, run.id or 0) == "training"

    # SIGKILL: no goodbye at all; the lease stays behind, owned by a process that is gone.
    second = start_worker(env)
    try:
        wait_for("the second worker mid-step", lambda: held_by(url, second), second)
        stop(second, signal.SIGKILL)
    finally:
        second.kill()
    assert held_by(url, second)

    # The next worker takes the dead worker's lease over at once and finishes the run.
    openai.slow_job_reads(0)
    openai.finish()
    third = start_worker(env)
    try:
        wait_for("the run promoted", lambda: run_state(url, run.id or 0) == "promoted", third)
        code, output = stop(third)
    finally:
        third.kill()
    assert code == 0, output
    assert lease_owner(url) is None
    assert any(r.state == RunState.promoted for r in rows(url, TuningRun))


def test_worker_refuses_a_cron_it_cannot_read(env: dict[str, str]) -> None:
    worker = start_worker(env, RETRAIN_CRON="every monday")
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 1, out + err
    assert "error: RETRAIN_CRON 'every monday' needs five fields" in err
    assert "Traceback" not in err


def test_two_workers_coming_up_with_a_due_tick_start_one_run(
    database_url: str, tmp_path: Path
) -> None:
    """A deploy starts two workers while a retrain tick is due: however many fire it, one run.

    Whether both fire depends on their start-up timing (the shared job store often
    tells the later one the tick is gone); `test_schedule.py` makes two processes
    fire the same tick at the same instant.
    """
    cron = a_due_retrain_tick(database_url)  # migrated, 48 demo examples

    env = {
        "AFINA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": database_url,
        "RETRAIN_CRON": cron,
        "RETRAIN_MIN_NEW_EXAMPLES": "1",
        "LOG_LEVEL": "INFO",
    }
    (tmp_path / "home").mkdir()
    workers = [start_worker(env) for _ in range(2)]
    try:
        for worker in workers:
            running(worker)
        promoted = lambda: [str(r.state) for r in rows(database_url, TuningRun)] == ["promoted"]  # noqa: E731
        wait_for("the run promoted", promoted, workers[0])
        stopped = [stop(worker) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert [code for code, _ in stopped] == [0, 0], stopped
    fired = sum(output.count("retrain tick") for _, output in stopped)
    assert fired >= 1, stopped
    assert len(rows(database_url, TuningRun)) == 1
    assert rows(database_url, Lease) == []
