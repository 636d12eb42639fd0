"""`afina serve` as it runs in production: a real process (uvicorn), real HTTP, fakes outside.

Slack, Telegram and the model are the HTTP fakes from `tests/support`; the
database is a real SQLite file (and PostgreSQL for the multi-process case when
TEST_DATABASE_URL is set).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.db import make_engine
from bot.tables import Reply
from bot.web import health_route, metrics_route
from tests.support.cli import run
from tests.support.openai_server import SlowOpenAI
from tests.support.processes import AFINA, free_port, listening, wait_for
from tests.support.slack_server import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    FakeSlack,
    block_action,
    event,
    message,
    signed,
)
from tests.support.telegram_server import TOKEN, FakeTelegram, message_update, private_chat, user

WEBHOOK_SECRET = "s3cret_for-webhook"
CUSTOMER = 42
_NOT_INHERITED = ("HOST", "PORT", "WEB_CONCURRENCY", "SHUTDOWN_GRACE_S")


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    database_url: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10)

    def slack(self, payload: dict[str, Any] | str, secret: str = SIGNING_SECRET) -> int:
        """POST to /slack/events as Slack does: signed; a dict is JSON, a str a form body."""
        body = json.dumps(payload) if isinstance(payload, dict) else payload
        headers = signed(body, secret)
        if isinstance(payload, str):
            headers["content-type"] = "application/x-www-form-urlencoded"
        return httpx.post(self.url + "/slack/events", content=body, headers=headers).status_code

    def telegram(self, update: dict[str, Any], secret: str | None = WEBHOOK_SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        response = httpx.post(self.url + "/telegram/webhook", json=update, headers=headers)
        return response.status_code

    def replies(self) -> list[Reply]:
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session:
                return list(session.exec(select(Reply)).all())
        finally:
            engine.dispose()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out + err


@pytest.fixture
def model() -> Iterator[SlowOpenAI]:
    server = SlowOpenAI()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def serve(
    tmp_path: Path, fake_slack: FakeSlack, fake_telegram: FakeTelegram, model: SlowOpenAI
) -> Iterator[Callable[..., Server]]:
    """`serve(*args, **env)` starts `afina serve` with Slack, Telegram and the model faked."""
    started: list[Server] = []

    def start(*args: str, database_url: str | None = None, **env: str) -> Server:
        port = free_port()
        url = database_url or f"sqlite:///{tmp_path / 'serve.db'}"
        values = {
            "AFINA_HOME": str(tmp_path / "home"),
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake_telegram.api_url,
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": model.base_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
        process = subprocess.Popen(
            [AFINA, "serve", *args],
            env={k: v for k, v in (inherited | values | env).items() if v},  # "" = unset
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        server = Server(process, port, url)
        started.append(server)
        deadline = time.monotonic() + 90
        while not listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                code, output = server.stop()
                raise AssertionError(f"afina serve did not start ({code}):\n{output}")
            time.sleep(0.05)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()


def metric(text: str, name: str) -> float | None:
    """One sample's value from Prometheus text (`name` includes any labels)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def mention(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    asked = message(f"<@{BOT_USER}> {text}", kind="app_mention")
    return asked, event(asked)


def test_serve_answers_slack_and_telegram_and_reports_health_and_metrics(
    serve: Callable[..., Server],
    fake_slack: FakeSlack,
    fake_telegram: FakeTelegram,
    model: SlowOpenAI,
) -> None:
    model.reply("Free over €35 🌱")
    model.reply("We ship all over the EU 🌍")
    server = serve()
    try:
        health = server.get("/healthz")
        assert (health.status_code, health.json()) == (200, {"ok": True, "database": "ok"})
        assert fake_telegram.called("setWebhook")[0]["secret_token"] == WEBHOOK_SECRET

        asked, envelope = mention("how much is shipping?")
        assert server.slack(envelope, secret="not-the-secret") == 401
        assert server.slack(envelope) == 200
        (answer,) = fake_slack.wait_answered(timeout=30)
        assert answer.thread_ts == asked["ts"]

        update = message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship to France?")
        assert server.telegram(update, secret=None) == 403
        assert server.telegram(update, secret="wrong") == 403
        assert server.telegram(update) == 200
        assert fake_telegram.wait_until(lambda fake: fake.answered(CUSTOMER), 30)

        # 👍 on the Slack answer, clicked the way Slack posts it (a signed form body).
        buttons = answer.blocks[-2]["elements"][0]
        action = {
            "type": buttons["type"],
            "action_id": buttons["action_id"],
            "block_id": "b",
            "value": buttons["positive_button"]["value"],
            "action_ts": "1700000000.1",
        }
        click = block_action(
            action,
            user="U0ANA",
            channel=answer.channel,
            message_ts=answer.ts,
            thread_ts=answer.thread_ts,
        )
        assert server.slack(click) == 200
        fake_slack.wait(lambda: bool(fake_slack.ephemerals), timeout=30)

        scrape = server.get("/metrics")
        assert scrape.status_code == 200
        assert scrape.headers["content-type"].startswith("text/plain")
        text = scrape.text
        assert metric(text, 'afina_replies_total{ok="true"}') == 2
        assert metric(text, "afina_messages_total") == 4  # two questions, two answers
        assert metric(text, 'afina_feedback_total{kind="approve"}') == 1
        latency = metric(text, 'afina_model_latency_seconds_avg{ok="true"}')
        assert latency is not None and latency >= 0
        assert "# TYPE afina_tuning_runs gauge" in text
        assert server.get("/nowhere").status_code == 404
    finally:
        code, output = server.stop()
    assert code == 0, output
    assert "/slack/events /telegram/webhook /healthz /metrics" in output
    assert TOKEN not in output and SIGNING_SECRET not in output


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_finishes_the_answers_in_flight_and_takes_no_more(
    serve: Callable[..., Server],
    fake_slack: FakeSlack,
    fake_telegram: FakeTelegram,
    model: SlowOpenAI,
    workers: int,
) -> None:
    model.delay_s = 2.0  # the model is still thinking when the signal arrives
    server = serve("--workers", str(workers))
    asked, envelope = mention("do you ship to Portugal?")
    assert server.slack(envelope) == 200
    update = message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship to Italy?")
    assert server.telegram(update) == 200
    wait_for(lambda: len(model.chat_requests()) >= 2, 30, "both questions to reach the model")
    assert not fake_slack.answers() and not fake_telegram.answered(CUSTOMER)

    server.process.send_signal(signal.SIGTERM)
    if workers == 1:
        # It stops taking events at once (a load balancer sends them elsewhere)... With
        # several workers uvicorn's parent holds the listening socket until it exits.
        wait_for(lambda: not listening(server.port), 5, "the server to stop listening")
    assert server.process.poll() is None  # ...while it is still writing the answers.
    code, output = server.stop()

    assert code == 0, output
    (answer,) = fake_slack.answers()
    assert answer.thread_ts == asked["ts"] and answer.text
    assert len(fake_telegram.sent(CUSTOMER)) == 1
    replies = server.replies()
    assert sorted(r.channel for r in replies) == ["slack", "telegram"]
    assert all(r.ok and r.platform_message_id for r in replies), replies


def test_sigterm_gives_up_after_the_grace_period(
    serve: Callable[..., Server], model: SlowOpenAI
) -> None:
    model.delay_s = 60.0  # far longer than the grace period
    server = serve(SHUTDOWN_GRACE_S="1", OPENAI_TIMEOUT_S="120")
    assert server.slack(mention("are you there?")[1]) == 200
    assert server.telegram(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Hi?")) == 200
    wait_for(lambda: len(model.chat_requests()) >= 2, 30, "both questions to reach the model")
    started = time.monotonic()
    code, output = server.stop(timeout=30)
    assert code == 0, output
    assert time.monotonic() - started < 15  # not the 60 s the model would take
    assert "SHUTDOWN_GRACE_S=1s ran out; Slack answers abandoned: 1 in progress, 0 not" in output
    assert "SHUTDOWN_GRACE_S=1s ran out; Telegram updates still being answered" in output
    assert "Traceback" not in output


def _workers(pid: int) -> set[int]:
    """The worker processes uvicorn started for `afina serve` (children running spawn_main)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == pid and b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def test_two_worker_processes_share_the_port_and_the_database(
    serve: Callable[..., Server],
    fake_slack: FakeSlack,
    fake_telegram: FakeTelegram,
    database_url: str,
) -> None:
    server = serve("--workers", "2", database_url=database_url, TELEGRAM_WEBHOOK_URL="")
    try:
        wait_for(lambda: len(_workers(server.process.pid)) == 2, 30, "two worker processes")
        first = _workers(server.process.pid)
        assert server.get("/healthz").json() == {"ok": True, "database": "ok"}
        # Telegram polls without a webhook URL: not served here (`afina worker` runs it).
        assert server.telegram(message_update(private_chat(1), user(1), "hi")) == 404

        bodies = [mention(f"question {n}")[1] for n in range(12)]
        with ThreadPoolExecutor(6) as senders:  # concurrent, so both processes take some
            assert set(senders.map(server.slack, bodies)) == {200}
        fake_slack.wait_answered(12, timeout=60)
        wait_for(lambda: len(server.replies()) == 12, 30, "every reply stored")
        scrape = server.get("/metrics").text
        assert metric(scrape, 'afina_replies_total{ok="true"}') == 12
        # The same two processes throughout: none was taken for hung while it started.
        assert _workers(server.process.pid) == first
    finally:
        code, output = server.stop()
    assert code == 0, output
    assert "2 processes" in output and "/telegram/webhook" not in output
    assert not fake_telegram.called("setWebhook")
    assert "`afina worker` runs it" in output


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "error: SLACK_SIGNING_SECRET is not set"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "https://x.example/hook"},
            "error: Webhook mode needs TELEGRAM_WEBHOOK_SECRET",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://x.example/hook", "TELEGRAM_WEBHOOK_SECRET": "s"},
            "error: Set TELEGRAM_BOT_TOKEN",
        ),
    ],
)
def test_a_channel_set_up_halfway_is_one_clear_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = run(capsys, "serve")
    assert result.code == 1 and result.err.startswith(expected), result.err
    assert "Traceback" not in result.err


def test_tokens_slack_or_telegram_refuse_stop_it_before_it_serves(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_slack: FakeSlack,
    fake_telegram: FakeTelegram,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    result = run(capsys, "serve")
    assert result.code == 1 and "invalid_auth" in result.err and "xoxb-revoked" not in result.err

    wrong = "654321:not-the-token-telegram-knows"
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", wrong)
    monkeypatch.setenv("TELEGRAM_API_URL", fake_telegram.api_url)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://x.example/hook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    result = run(capsys, "serve")
    assert result.code == 1 and "Telegram refused TELEGRAM_BOT_TOKEN" in result.err
    assert wrong not in result.out + result.err


def test_health_and_metrics_say_503_when_the_database_is_unreachable() -> None:
    # A real engine for a PostgreSQL server that is not there: the connection is refused.
    engine = make_engine(f"postgresql://afina:hunter2@127.0.0.1:{free_port()}/afina")
    threads = ThreadPoolExecutor(2)
    app = Starlette(routes=[health_route(engine, threads), metrics_route(engine, threads)])
    try:
        with TestClient(app) as client:
            health = client.get("/healthz")
            scrape = client.get("/metrics")
    finally:
        threads.shutdown()
        engine.dispose()
    assert health.status_code == 503
    assert health.json() == {"ok": False, "database": "unreachable (OperationalError)"}
    assert "hunter2" not in health.text
    assert (scrape.status_code, scrape.text) == (503, "database unreachable\n")
