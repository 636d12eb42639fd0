"""`afina telegram` as people run it: a real process, polling or serving the webhook.

The processes use the default SQLite database in their own AFINA_HOME; the
PostgreSQL runs of the in-process tests cover the database side.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.cli import run
from tests.support.processes import AFINA, free_port
from tests.support.telegram_server import (
    TOKEN,
    FakeTelegram,
    message_update,
    private_chat,
    user,
)
from tests.telegram.harness import CUSTOMER

SECRET = "s3cret_for-webhook"
_NOT_INHERITED = ("TELEGRAM_", "DATABASE_", "AFINA_", "OPENAI_", "MODEL_", "PORT", "HOST")


def start(env: dict[str, str], home: Path) -> subprocess.Popen[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    return subprocess.Popen(
        [AFINA, "telegram"],
        env=inherited | {"AFINA_HOME": str(home)} | env,
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return process.returncode, out + err


@dataclass
class Launched:
    fake: FakeTelegram
    process: subprocess.Popen[str]
    port: int = 0


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Launched]]:
    """Both modes at once: each process spends seconds importing, so they do it side by side."""
    polling, webhook = FakeTelegram(), FakeTelegram()
    polling.start()
    webhook.start()
    polling.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship?"))
    port = free_port()
    runs = {
        "polling": Launched(
            polling,
            start(
                {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": polling.api_url},
                tmp_path_factory.mktemp("polling"),
            ),
        ),
        "webhook": Launched(
            webhook,
            start(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_URL": webhook.api_url,
                    "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook",
                    "TELEGRAM_WEBHOOK_SECRET": SECRET,
                    "HOST": "127.0.0.1",
                    "PORT": str(port),
                },
                tmp_path_factory.mktemp("webhook"),
            ),
            port,
        ),
    }
    yield runs
    for run_ in runs.values():
        stop(run_.process)
        run_.fake.stop()


def test_afina_telegram_polls_and_answers_with_the_feedback_keyboard(
    launched: dict[str, Launched],
) -> None:
    fake, process = launched["polling"].fake, launched["polling"].process
    try:
        answered = fake.wait_until(
            lambda fake: bool(fake.sent(CUSTOMER)) or process.poll() is not None, timeout=60
        )
    finally:
        code, output = stop(process)
    assert answered and fake.sent(CUSTOMER), output
    [answer] = fake.sent(CUSTOMER)
    assert [b["text"] for b in answer.buttons] == ["👍", "👎", "✏️"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in answer.buttons)
    assert code == 0, output
    assert "long polling" in output
    assert TOKEN not in output


def test_afina_telegram_serves_the_webhook_when_a_url_is_set(
    launched: dict[str, Launched],
) -> None:
    fake, process = launched["webhook"].fake, launched["webhook"].process
    url = f"http://127.0.0.1:{launched['webhook'].port}/telegram/webhook"
    update = message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship?")
    try:
        assert fake.wait_until(
            lambda fake: bool(fake.called("setWebhook")) or process.poll() is not None, 60
        )
        refused = httpx.post(url, json=update, timeout=10)
        accepted = httpx.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10
        )
        answered = fake.wait_until(lambda fake: bool(fake.sent(CUSTOMER)), 30)
    finally:
        code, output = stop(process)
    assert (refused.status_code, accepted.status_code) == (403, 200), output
    assert answered and fake.sent(CUSTOMER)[0].buttons
    assert fake.called("setWebhook")[0]["secret_token"] == SECRET
    assert code == 0, output


def test_webhook_mode_refuses_to_start_without_a_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.org/telegram/webhook")
    result = run(capsys, "telegram")
    assert result.code == 1
    assert result.err.startswith("error: Webhook mode needs TELEGRAM_WEBHOOK_SECRET")


def test_missing_token_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "telegram")
    assert (result.code, result.err.strip()) == (
        1,
        "error: Set TELEGRAM_BOT_TOKEN (from @BotFather) to run the Telegram bot.",
    )


def test_refused_token_is_reported_without_being_printed(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_telegram: FakeTelegram,
    database_url: str,
) -> None:
    wrong = "654321:not-the-token-telegram-knows"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", wrong)
    monkeypatch.setenv("TELEGRAM_API_URL", fake_telegram.api_url)
    result = run(capsys, "telegram")
    assert result.code == 1
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in result.err
    assert wrong not in result.out + result.err


def test_a_refused_token_is_said_before_the_database_is_opened(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_telegram: FakeTelegram,
    tmp_path: Path,
) -> None:
    """getMe is asked first: the token's problem is the one line, and no database is created."""
    database = tmp_path / "never.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "654321:not-the-token-telegram-knows")
    monkeypatch.setenv("TELEGRAM_API_URL", fake_telegram.api_url)
    result = run(capsys, "telegram")
    assert result.code == 1
    assert result.err.strip().startswith("error: Telegram refused TELEGRAM_BOT_TOKEN (HTTP 401)")
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert not database.exists()
