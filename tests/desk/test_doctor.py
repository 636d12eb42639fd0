"""`afina doctor` on the review desk: the channel's shape, that Slack knows it, the bot in it."""

from __future__ import annotations

import pytest

from tests.desk.conftest import DESK
from tests.support.cli import run
from tests.support.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack


def desk_lines(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, str]]]:
    result = run(capsys, "doctor", "--json")
    checks = result.json()["checks"]
    said = ("review desk", "SLACK_REVIEW_CHANNEL")
    return result.code, [c for c in checks if any(words in c["message"] for words in said)]


@pytest.fixture
def slack_env(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack
) -> FakeSlack:
    assert run(capsys, "migrate").code == 0
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    fake_slack.channels = {DESK: "afina-desk"}
    return fake_slack


def test_a_review_channel_by_name_is_found_and_the_bot_is_in_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, slack_env: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_REVIEW_CHANNEL", "#afina-desk")
    code, [line] = desk_lines(capsys)
    assert code == 0 and line["status"] == "ok"
    assert line["message"] == f"review desk: #afina-desk ({DESK}), the bot is a member"


def test_a_review_channel_nobody_can_see_is_one_clear_failure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, slack_env: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_REVIEW_CHANNEL", "#nowhere")
    code, [line] = desk_lines(capsys)
    assert code == 1 and line["status"] == "fail"
    assert "no channel called #nowhere that the bot can see" in line["message"]


def test_a_review_channel_that_is_neither_an_id_nor_a_name_fails_offline(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, slack_env: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_REVIEW_CHANNEL", "the desk!")
    result = run(capsys, "doctor", "--json", "--offline")
    [line] = [c for c in result.json()["checks"] if "SLACK_REVIEW_CHANNEL" in c["message"]]
    assert result.code == 1 and "neither a channel id" in line["message"]
