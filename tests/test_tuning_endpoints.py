"""Where hosted fine-tuning goes (any OpenAI-compatible API, Together), and what the doctor says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.tables import ModelVersion, RunState, TuningRun
from tests.support.cli import Result, run
from tests.support.data import rows
from tests.support.http import FakeServer, Recorded, Response
from tests.support.openai_server import FakeOpenAI
from tests.support.together_server import BASE, KEY, FakeTogether

TUNING_KEY = "sk-proj-tuning0123456789abcdefghij"


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run(capsys, "doctor", "--json", *args)


def named(result: Result, name: str) -> list[dict[str, str]]:
    return [c for c in result.json()["checks"] if c["name"] == name]


@pytest.fixture
def tuning_api() -> Iterator[FakeOpenAI]:
    """A second OpenAI-compatible service that takes fine-tuning jobs with its own key."""
    server = FakeOpenAI().start()
    server.api_key = TUNING_KEY
    yield server
    server.stop()


class NoFineTuning(FakeServer):
    """A chat-only server (vLLM, Ollama): no /fine_tuning at all."""

    def handle(self, request: Recorded) -> Response:
        return Response.json({"error": {"message": "Not Found"}}, 404)


@pytest.mark.usefixtures("demo")
def test_the_openai_provider_sends_jobs_to_the_tuning_endpoint_and_serves_from_chat(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    openai_env: FakeOpenAI,
    tuning_api: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUNING_BASE_URL", tuning_api.base_url)
    monkeypatch.setenv("TUNING_API_KEY", TUNING_KEY)
    trained = run(capsys, "train", "--provider", "openai")
    assert trained.code == 0, trained.err
    assert len(tuning_api.jobs()) == 1 and openai_env.jobs() == []
    (created,) = [r for r in tuning_api.calls("/fine_tuning/jobs") if r.method == "POST"]
    assert created.headers["authorization"] == f"Bearer {TUNING_KEY}"
    (version,) = rows(database_url, ModelVersion)
    asked = run(capsys, "ask", "--json", "hola")
    assert asked.json()["model"] == version.model_id
    assert openai_env.chat_requests()[-1]["model"] == version.model_id  # served by the chat API


@pytest.mark.usefixtures("demo")
def test_a_refused_tuning_key_is_named_by_its_setting(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    openai_env: FakeOpenAI,
    tuning_api: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUNING_BASE_URL", tuning_api.base_url)
    monkeypatch.setenv("TUNING_API_KEY", "sk-proj-not-the-right-one-000000")
    trained = run(capsys, "train", "--provider", "openai")
    assert trained.code == 1
    host = "127.0.0.1"
    assert f"{host} rejected the API key while starting the fine-tuning job" in trained.err
    assert "check TUNING_API_KEY." in trained.err and "not-the-right-one" not in trained.err
    assert next(iter(rows(database_url, TuningRun))).state == RunState.failed


def test_doctor_reports_what_the_tuning_endpoint_answers(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    openai_env: FakeOpenAI,
    tuning_api: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUNING_PROVIDER", "openai")
    monkeypatch.setenv("TUNING_BASE_URL", tuning_api.base_url)
    monkeypatch.setenv("TUNING_API_KEY", TUNING_KEY)
    answered, serving = named(doctor(capsys), "tuning endpoint")
    assert (
        answered["status"] == "ok"
        and "fine-tuning API · answers, no jobs yet" in answered["message"]
    )
    assert serving["status"] == "warn" and "are asked for at" in serving["message"]

    monkeypatch.setenv("TUNING_API_KEY", "sk-proj-not-the-right-one-000000")
    refused = named(doctor(capsys), "tuning endpoint")[0]
    assert refused["status"] == "fail"
    assert "TUNING_API_KEY was refused (HTTP 401)" in refused["message"]

    chat_only = NoFineTuning().start()
    try:
        monkeypatch.setenv("TUNING_BASE_URL", chat_only.url + "/v1")
        missing = named(doctor(capsys), "tuning endpoint")[0]
    finally:
        chat_only.stop()
    assert missing["status"] == "fail" and "has no fine-tuning API (HTTP 404" in missing["message"]
    result = doctor(capsys)
    assert TUNING_KEY not in result.out and "not-the-right-one" not in result.out


def test_doctor_checks_together_key_and_base_model(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    fake_together: FakeTogether,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUNING_PROVIDER", "together")
    (missing,) = named(doctor(capsys, "--offline"), "together")
    assert missing["status"] == "fail" and "needs TOGETHER_API_KEY" in missing["message"]

    monkeypatch.setenv("TOGETHER_API_KEY", KEY)
    monkeypatch.setenv("TOGETHER_BASE_URL", fake_together.base_url)
    good, kind = named(doctor(capsys), "together")
    assert good["status"] == "ok" and f"tunes {BASE} (LoRA rank up to 64)" in good["message"]
    assert kind["status"] == "ok"

    monkeypatch.setenv("TOGETHER_BASE_MODEL", "acme/not-a-model")
    unknown = named(doctor(capsys), "together")[0]
    assert (
        unknown["status"] == "fail" and "does not fine-tune acme/not-a-model" in unknown["message"]
    )

    monkeypatch.setenv("TOGETHER_API_KEY", "tgp_v1_wrong-key-0000000000000000")
    refused = named(doctor(capsys), "together")[0]
    assert refused["status"] == "fail"
    assert "TOGETHER_API_KEY was refused (HTTP 401)" in refused["message"]

    monkeypatch.setenv("TOGETHER_TRAINING_TYPE", "full")
    warned = named(doctor(capsys, "--offline"), "together")[1]
    assert warned["status"] == "warn" and "dedicated endpoint" in warned["message"]
    result = doctor(capsys)
    assert KEY not in result.out and "wrong-key-0000000000000000" not in result.out
