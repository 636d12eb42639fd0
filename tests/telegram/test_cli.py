"""`afina telegram` as people run it: a real process, polling or serving the webhook.

The processes use the default SQLite database in the test's AFINA_HOME; the
PostgreSQL runs of the in-process tests cover the database side.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.cli import run
from tests.fakes.telegram_server import (
    TOKEN,
    FakeTelegram,
    message_update,
    private_chat,
    user,
)
from tests.telegram.harness import CUSTOMER

AFINA = str(Path(sys.executable).parent / "afina")


def start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [AFINA, "telegram"],
        env=os.environ | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return process.returncode, out + err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_afina_telegram_polls_and_answers_with_the_feedback_keyboard(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship?"))
    process = start({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": fake_telegram.api_url})
    try:
        answered = fake_telegram.wait_until(
            lambda fake: bool(fake.sent(CUSTOMER)) or process.poll() is not None, timeout=60
        )
    finally:
        code, output = stop(process)
    assert answered and fake_telegram.sent(CUSTOMER), output
    [answer] = fake_telegram.sent(CUSTOMER)
    assert [b["text"] for b in answer.buttons] == ["👍", "👎", "✏️"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in answer.buttons)
    assert code == 0, output
    assert "long polling" in output
    assert TOKEN not in output


def test_afina_telegram_serves_the_webhook_when_a_url_is_set(
    fake_telegram: FakeTelegram,
) -> None:
    port, secret = free_port(), "s3cret_for-webhook"
    process = start(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake_telegram.api_url,
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": secret,
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
    )
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    update = message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship?")
    try:
        assert fake_telegram.wait_until(
            lambda fake: bool(fake.called("setWebhook")) or process.poll() is not None, 60
        )
        refused = httpx.post(url, json=update, timeout=10)
        accepted = httpx.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}, timeout=10
        )
        answered = fake_telegram.wait_until(lambda fake: bool(fake.sent(CUSTOMER)), 30)
    finally:
        code, output = stop(process)
    assert (refused.status_code, accepted.status_code) == (403, 200), output
    assert answered and fake_telegram.sent(CUSTOMER)[0].buttons
    assert fake_telegram.called("setWebhook")[0]["secret_token"] == secret
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
