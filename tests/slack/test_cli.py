"""`afina slack` as a person runs it: a real process serving /slack/events over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.openai_server import SlowOpenAI
from tests.support.processes import AFINA, free_port
from tests.support.slack_server import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    FakeSlack,
    event,
    message,
    signed,
)

LONG_ANSWER = " ".join(
    [
        "Free on orders over €35 🌱 Below that it's €3.95 in mainland Spain (24–48h)",
        "and €6.95 to the rest of the EU (3–5 working days).",
    ]
    * 6
)


def wait_listening(process: subprocess.Popen[bytes], port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"afina slack exited: {process.communicate()[1].decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("afina slack never listened")


def post(url: str, body: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_afina_slack_answers_a_signed_mention_over_http(
    tmp_path: Path, fake_slack: FakeSlack, slow_openai: SlowOpenAI
) -> None:
    slow_openai.delay_s = 0.5  # slow enough for "is thinking…"
    slow_openai.reply(LONG_ANSWER)  # long enough to stream even when it all arrives at once
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'slack.db'}",  # one run is enough: no SQL here
        "AFINA_HOME": str(tmp_path / "home"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": slow_openai.base_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [AFINA, "slack"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_listening(process, port)
        url = f"http://127.0.0.1:{port}/slack/events"
        asked = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
        body = json.dumps(event(asked))

        assert post(url, body, signed(body, "not-the-secret")) == 401
        started = time.monotonic()
        assert post(url, body, signed(body)) == 200
        assert time.monotonic() - started < 3  # acknowledged long before the model answers

        (answer,) = fake_slack.wait_answered(timeout=20)
        assert answer.thread_ts == asked["ts"] and answer.streamed
        assert answer.text == LONG_ANSWER
        assert answer.block_types() == ["context_actions", "actions"]
        assert "assistant.threads.setStatus" in fake_slack.methods()
        # Asked first, before the core loads, and bolt is handed that answer: Slack once.
        assert len(fake_slack.calls("auth.test")) == 1
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err.decode()
    assert b"/slack/events" in out


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_missing_credentials_get_one_clear_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    env: dict[str, str],
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = run(capsys, "slack")
    assert result.code == 1 and expected in result.err and "Traceback" not in result.err


def test_a_token_slack_refuses_is_reported(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    fake_slack: FakeSlack,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    result = run(capsys, "slack")
    assert result.code == 1 and "invalid_auth" in result.err
    assert "xoxb-revoked" not in result.err


def test_a_refused_token_is_said_before_the_database_is_opened(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    """Slack is asked first: the token's problem is the line, and no database is created."""
    database = tmp_path / "never.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    result = run(capsys, "slack")
    assert result.code == 1
    assert result.err.strip().startswith("error: Slack refused SLACK_BOT_TOKEN (invalid_auth)")
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert not database.exists()
