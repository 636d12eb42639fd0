"""`afina run`: everything in one process, the way a bot on one machine runs.

A real `afina run` process answers a signed Slack mention over HTTP and a
Telegram message by long polling, both against the HTTP fakes, and retrains
when its retrain tick comes with enough new examples. The tick is put in the
job store as a worker that went down just before it would have left it, so the
test waits for no cron minute; the offline `examples` provider trains.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot.tables import Lease, RunState, TuningRun
from tests.support.data import a_due_retrain_tick, rows
from tests.support.processes import AFINA, free_port, listening, wait_for
from tests.support.slack_server import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.support.telegram_server import TOKEN, FakeTelegram, message_update, private_chat, user
from tests.test_serve import Server, mention

CUSTOMER = 77
_NOT_INHERITED = ("AFINA_", "DATABASE_", "OPENAI_", "MODEL_", "SLACK_", "TELEGRAM_", "TUNING_")
_NOT_INHERITED += ("RETRAIN_", "WORKER_", "PORT", "HOST", "WEB_CONCURRENCY", "SHUTDOWN_GRACE_S")


def test_run_answers_slack_and_telegram_and_retrains_on_its_tick(
    tmp_path: Path, fake_slack: FakeSlack, fake_telegram: FakeTelegram
) -> None:
    url = f"sqlite:///{tmp_path / 'afina.db'}"
    cron = a_due_retrain_tick(url)
    port = free_port()
    env = {
        "AFINA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake_telegram.api_url,
        "RETRAIN_CRON": cron,
        "RETRAIN_MIN_NEW_EXAMPLES": "10",  # the 48 demo examples cross it
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    process = subprocess.Popen(
        [AFINA, "run"],
        env=inherited | env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(process, port, url)
    try:
        wait_for(lambda: listening(port) or process.poll() is not None, 90, "afina run to listen")
        assert process.poll() is None, server.stop()

        asked, envelope = mention("do you ship to Canada?")
        assert server.slack(envelope) == 200
        (answer,) = fake_slack.wait_answered(timeout=30)
        assert answer.thread_ts == asked["ts"] and answer.blocks  # in the thread, with controls

        fake_telegram.push(
            message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship to France?")
        )
        assert fake_telegram.wait_until(lambda fake: fake.answered(CUSTOMER), 30)
        (sent,) = fake_telegram.sent(CUSTOMER)
        assert sent.buttons  # 👍 / 👎 / ✏️ under the answer

        def promoted() -> bool:
            return [r.state for r in rows(url, TuningRun)] == [RunState.promoted]

        wait_for(promoted, 60, "the scheduled retrain to be promoted")
        assert server.get("/healthz").status_code == 200
        code, output = server.stop()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert code == 0, output
    assert "afina · run · scheduler" in output
    assert rows(url, Lease) == []  # leases given back on the way out
