"""`afina doctor` as a person runs it: settings from the environment, real services faked over HTTP.

Every case that configures a secret also checks that the secret never reaches
the screen, whole, in any line.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bot.db import make_engine
from bot.tables import ModelVersion
from tests.support.cli import Result, run
from tests.support.http import FakeServer, Recorded, Response
from tests.support.openai_server import FakeOpenAI
from tests.support.processes import AFINA
from tests.support.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.support.telegram_server import TOKEN, FakeTelegram

SIGNING_SECRET = "0123456789abcdef0123456789abcdef"  # Slack's shape: 32 hex characters


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run(capsys, "doctor", "--json", *args)


def lines(result: Result, name: str) -> list[dict[str, str]]:
    return [c for c in result.json()["checks"] if c["name"] == name]


def statuses(result: Result) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for check in result.json()["checks"]:
        found.setdefault(check["name"], set()).add(check["status"])
    return found


def only_failure(result: Result) -> dict[str, str]:
    [failed] = [c for c in result.json()["checks"] if c["status"] == "fail"]
    return failed


@pytest.fixture
def migrated(capsys: pytest.CaptureFixture[str]) -> None:
    """The default SQLite file in AFINA_HOME, created the way a person would."""
    assert run(capsys, "migrate").code == 0


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    fake.start()
    yield fake
    fake.stop()


# --- the embedded default ---------------------------------------------------------


def test_the_default_setup_is_all_good(capsys: pytest.CaptureFixture[str], migrated: None) -> None:
    result = run(capsys, "doctor", "--offline")
    assert result.code == 0, result.out + result.err
    shown = result.out.strip().splitlines()
    assert shown[-1].endswith("all good")
    assert all(line.startswith("✓ ") for line in shown[:-1]), shown
    names = [line.split()[1] for line in shown[:-1]]
    assert names[:3] == ["database", "migrations", "backend"]
    assert {"tuning", "slack", "telegram", "schedule"} <= set(names)

    as_json = doctor(capsys, "--offline").json()
    assert as_json["ok"] is True
    [backend] = [c for c in as_json["checks"] if c["name"] == "backend"]
    assert backend["message"].startswith("examples")


def test_a_home_without_a_database_yet_is_a_warning_that_says_how(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = doctor(capsys, "--offline")
    assert result.code == 0
    [database] = lines(result, "database")
    assert database["status"] == "warn"
    assert "afina migrate" in database["message"]
    assert not (Path(os.environ["AFINA_HOME"]) / "afina.db").exists()  # the doctor creates nothing


def test_a_migrated_database_is_reachable_and_at_head(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    """SQLite, and PostgreSQL where one is reachable (DATABASE_URL set by the fixture)."""
    assert run(capsys, "migrate").code == 0
    result = doctor(capsys, "--offline")
    assert result.code == 0, result.out
    [database] = lines(result, "database")
    [migrations] = lines(result, "migrations")
    assert database["status"] == "ok" and database["message"].endswith("· reachable")
    assert migrations["status"] == "ok" and migrations["message"].startswith("at head")


def test_a_database_from_a_newer_afina_fails(
    capsys: pytest.CaptureFixture[str], migrated: None
) -> None:
    with sqlite3.connect(Path(os.environ["AFINA_HOME"]) / "afina.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    result = doctor(capsys, "--offline")
    assert result.code == 1
    failed = only_failure(result)
    assert failed["name"] == "migrations"
    assert "9999_from_the_future" in failed["message"]


def test_an_unreachable_database_fails_with_the_password_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    password = "pa55-w0rd-nobody-sees"
    monkeypatch.setenv("DATABASE_URL", f"postgresql://afina:{password}@127.0.0.1:{port}/afina")
    result = doctor(capsys, "--offline")
    assert result.code == 1
    failed = only_failure(result)
    assert failed["name"] == "database"
    assert f"postgresql://afina:***@127.0.0.1:{port}/afina" in failed["message"]
    assert "connection refused" in failed["message"]
    assert password not in result.out + result.err
    plain = run(capsys, "doctor", "--offline")
    assert password not in plain.out + plain.err


def test_an_active_version_the_backend_cannot_serve_is_a_warning(
    capsys: pytest.CaptureFixture[str], migrated: None
) -> None:
    engine = make_engine(f"sqlite:///{Path(os.environ['AFINA_HOME']) / 'afina.db'}")
    with Session(engine) as session:
        session.add(ModelVersion(provider="openai", model_id="ft:gpt-4.1-mini:acme", active=True))
        session.commit()
    engine.dispose()
    result = doctor(capsys, "--offline")
    assert result.code == 0
    [warning] = [c for c in lines(result, "backend") if c["status"] == "warn"]
    assert "ft:gpt-4.1-mini:acme" in warning["message"]
    assert "MODEL_BACKEND" in warning["message"]


# --- the model backend --------------------------------------------------------------


def openai_env(monkeypatch: pytest.MonkeyPatch, base_url: str, key: str) -> None:
    monkeypatch.setenv("MODEL_BACKEND", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("OPENAI_API_KEY", key)


def test_an_unreachable_model_endpoint_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    port = closed_port()
    openai_env(monkeypatch, f"http://127.0.0.1:{port}/v1", "sk-local")
    result = doctor(capsys)
    assert result.code == 1
    failed = only_failure(result)
    assert failed["name"] == "model endpoint"
    assert failed["message"] == f"http://127.0.0.1:{port}/v1 is unreachable: connection refused"


def test_a_reachable_model_endpoint_is_ok_and_asked_with_the_key(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    migrated: None,
    fake_openai: FakeOpenAI,
) -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    fake_openai.api_key = key
    openai_env(monkeypatch, fake_openai.base_url, key)
    result = doctor(capsys)
    assert result.code == 0, result.out
    [endpoint] = lines(result, "model endpoint")
    assert endpoint["status"] == "ok"
    assert "reachable" in endpoint["message"]
    [asked] = fake_openai.calls("/v1/models")
    assert asked.headers["authorization"] == f"Bearer {key}"
    [shown_key] = lines(result, "openai key")
    assert shown_key["message"] == "OPENAI_API_KEY sk-proj-…0123"
    assert key not in result.out + result.err


def test_a_refused_key_says_so_without_printing_it(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    migrated: None,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.api_key = "sk-the-right-one"
    wrong = "sk-wrong-key-0123456789abcdefghij"
    openai_env(monkeypatch, fake_openai.base_url, wrong)
    result = doctor(capsys)
    assert result.code == 1
    failed = only_failure(result)
    assert failed["name"] == "model endpoint"
    assert "OPENAI_API_KEY was refused (HTTP 401)" in failed["message"]
    plain = run(capsys, "doctor")
    assert wrong not in result.out + result.err + plain.out + plain.err
    assert "OPENAI_API_KEY was refused" in plain.out


class Redirecting(FakeServer):
    """A server that sends every request somewhere else."""

    def __init__(self, to: str) -> None:
        super().__init__()
        self.to = to

    def handle(self, request: Recorded) -> Response:
        return Response(302, headers={"location": self.to + request.path})


def test_a_redirect_is_reported_and_the_key_not_carried_to_another_host(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    migrated: None,
    fake_openai: FakeOpenAI,
) -> None:
    redirecting = Redirecting(fake_openai.url)
    redirecting.start()
    try:
        openai_env(monkeypatch, redirecting.url + "/v1", "sk-proj-abcdefghijklmnopqrstuvwxyz")
        result = doctor(capsys)
    finally:
        redirecting.stop()
    assert only_failure(result)["message"] == f"{redirecting.url}/v1 answered HTTP 302"
    assert len(redirecting.requests) == 1
    assert fake_openai.requests == []


def test_a_model_the_endpoint_does_not_serve_is_a_warning(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    migrated: None,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.models = ["Qwen2.5-0.5B-Instruct"]
    openai_env(monkeypatch, fake_openai.base_url, "local-key")
    result = doctor(capsys)
    assert result.code == 0
    [endpoint] = lines(result, "model endpoint")
    assert endpoint["status"] == "warn"
    assert "does not list gpt-4.1-mini" in endpoint["message"]
    assert "Qwen2.5-0.5B-Instruct" in endpoint["message"]


def test_a_key_for_openai_that_is_not_an_openai_key_fails_offline(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    key = "xoxb-a-slack-token-pasted-by-mistake"
    monkeypatch.setenv("OPENAI_API_KEY", key)  # and no base URL: it goes to api.openai.com
    result = doctor(capsys, "--offline")
    assert result.code == 1
    failed = only_failure(result)
    assert failed["name"] == "openai key"
    assert failed["message"] == (
        "OPENAI_API_KEY (xoxb-…take) is not an OpenAI key: those start with sk-"
    )
    assert key not in result.out + result.err


# --- tuning ---------------------------------------------------------------------------


def test_openai_fine_tuning_warns_of_its_end_and_suggests_local(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    monkeypatch.setenv("TUNING_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-abcdefghijklmnopqrstuvwxyz")
    result = doctor(capsys, "--offline")
    # A warning until the day OpenAI stops, a failure from then on.
    ended = date.today() >= date(2027, 1, 6)
    assert result.code == (1 if ended else 0)
    [notice] = [c for c in lines(result, "tuning") if c["status"] != "ok"]
    assert notice["status"] == ("fail" if ended else "warn")
    assert "2027-01-06" in notice["message"]
    assert "TUNING_PROVIDER=local" in notice["message"]


def test_local_tuning_needs_a_base_model_and_the_local_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    monkeypatch.setenv("TUNING_PROVIDER", "local")
    result = doctor(capsys, "--offline")
    assert result.code == 1
    [base] = lines(result, "base model")
    assert base["status"] == "fail"
    assert "LOCAL_BASE_MODEL" in base["message"]
    # Whether the extra is installed depends on the machine (`make test` installs CPU torch).
    needed = ("torch", "transformers", "peft", "trl", "datasets")
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    [extra] = lines(result, "local extra")
    assert extra["status"] == ("fail" if missing else "ok")
    assert all(m in extra["message"] for m in missing)


def test_an_unreachable_lora_server_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    port = closed_port()
    monkeypatch.setenv("LORA_SERVER_URL", f"http://127.0.0.1:{port}/v1")
    result = doctor(capsys)
    failed = only_failure(result)
    assert failed["name"] == "lora server"
    assert "connection refused" in failed["message"]


def test_a_bad_retrain_cron_names_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    monkeypatch.setenv("RETRAIN_CRON", "every monday")
    result = doctor(capsys, "--offline")
    assert result.code == 1
    failed = only_failure(result)
    assert failed["name"] == "schedule"
    assert "RETRAIN_CRON='every monday'" in failed["message"]


# --- Slack ----------------------------------------------------------------------------------


def test_a_user_token_in_slack_bot_token_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    token = "xoxp-1111111111-2222222222-abcdefabcdef"
    monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    result = run(capsys, "doctor", "--offline")
    assert result.code == 1
    [line] = [line for line in result.out.splitlines() if line.startswith("✗")]
    assert "SLACK_BOT_TOKEN" in line
    assert "xoxp-…cdef" in line
    assert "xoxb-" in line  # what it should start with
    assert token not in result.out + result.err


def test_slack_http_mode_without_a_signing_secret_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1111-2222-abcdefabcdefabcdef")
    result = doctor(capsys, "--offline")
    failed = only_failure(result)
    assert "SLACK_SIGNING_SECRET" in failed["message"]


def test_slack_auth_test_confirms_the_bot(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    migrated: None,
    slack: FakeSlack,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    result = doctor(capsys)
    assert result.code == 0, result.out
    messages = [c["message"] for c in lines(result, "slack")]
    assert any(m.startswith("Socket Mode") for m in messages)
    assert "auth.test: bot @afina in Afina Test" in messages
    assert slack.methods() == ["auth.test"]
    assert BOT_TOKEN not in result.out and APP_TOKEN not in result.out


def test_slack_refusing_the_token_is_a_failure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    other = FakeSlack(token="xoxb-the-token-slack-knows")
    other.start()
    try:
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        monkeypatch.setenv("SLACK_API_URL", other.api_url)
        result = doctor(capsys)
    finally:
        other.stop()
    assert result.code == 1
    assert only_failure(result)["message"] == "Slack refused SLACK_BOT_TOKEN (invalid_auth)"


# --- Telegram ----------------------------------------------------------------------------


def test_a_malformed_telegram_token_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    token = "bot-token-without-the-bot-id-0123456789"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    result = run(capsys, "doctor", "--offline")
    assert result.code == 1
    [line] = [line for line in result.out.splitlines() if line.startswith("✗")]
    assert "TELEGRAM_BOT_TOKEN" in line
    assert "…6789" in line
    assert token not in result.out + result.err


def test_a_telegram_webhook_needs_https_and_a_well_formed_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    secret = "has spaces and ! marks"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "http://bot.example.org/telegram/webhook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", secret)
    result = doctor(capsys, "--offline")
    assert result.code == 1
    failed = [c["message"] for c in lines(result, "telegram") if c["status"] == "fail"]
    assert len(failed) == 2
    assert failed[0].startswith("TELEGRAM_WEBHOOK_URL must be https://")
    assert failed[1].startswith("TELEGRAM_WEBHOOK_SECRET")
    assert secret not in result.out


def test_telegram_get_me_confirms_the_bot(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    migrated: None,
    telegram: FakeTelegram,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", telegram.api_url)
    result = doctor(capsys)
    assert result.code == 0, result.out
    messages = [c["message"] for c in lines(result, "telegram")]
    assert "getMe: @afina_test_bot" in messages
    assert [c.method for c in telegram.called()] == ["getMe"]
    assert TOKEN not in result.out


def test_telegram_refusing_the_token_is_a_failure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    other = FakeTelegram(token="999:the-token-telegram-knows")
    other.start()
    try:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_URL", other.api_url)
        result = doctor(capsys)
    finally:
        other.stop()
    assert result.code == 1
    assert only_failure(result)["message"] == "Telegram refused TELEGRAM_BOT_TOKEN (HTTP 401)"
    assert TOKEN not in result.out


# --- the start of every process ------------------------------------------------------------


def test_a_process_logs_its_problems_when_it_starts(tmp_path: Path) -> None:
    """`afina chat` (a real process) says what is wrong on stderr before it chats."""
    token = "xoxp-1111111111-2222222222-abcdefabcdef"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TUNING_"))}
    env: dict[str, Any] = inherited | {
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TUNING_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-proj-abcdefghijklmnopqrstuvwxyz",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1",
    }
    done = subprocess.run(
        [AFINA, "chat"], env=env, cwd=tmp_path, input="", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    logged = [line for line in done.stderr.splitlines() if " bot.doctor: " in line]
    [slack] = [line for line in logged if "slack:" in line]
    assert " ERROR " in slack and "SLACK_BOT_TOKEN (xoxp-…cdef)" in slack, done.stderr
    # A warning until OpenAI stops taking fine-tuning jobs, an error from that day on.
    [tuning] = [line for line in logged if "tuning:" in line]
    assert "2027-01-06" in tuning and (" WARNING " in tuning or " ERROR " in tuning)
    assert len(logged) == 2, done.stderr  # nothing else: the rest of the setup is fine
    assert token not in done.stderr + done.stdout
    assert "connection refused" not in done.stderr  # nothing outside was contacted


# --- embeddings --------------------------------------------------------------------


def test_the_bundled_embedder_loads_and_answers(
    capsys: pytest.CaptureFixture[str], migrated: None
) -> None:
    [line] = lines(doctor(capsys), "embeddings")
    assert line["status"] == "ok"
    assert line["message"].startswith("local (multilingual-e5-small, bundled) · answers (384")


def test_examples_without_vectors_are_counted_with_the_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    """Imported while the embeddings were off: found by words only until `afina embed`."""
    faq = Path(os.environ["AFINA_HOME"]) / "faq.csv"
    faq.write_text("question,answer\nDo you ship to Italy?,Yes.\nDo you sell maps?,No.\n")
    monkeypatch.setenv("EMBEDDINGS_BACKEND", "none")
    assert run(capsys, "import", str(faq)).code == 0
    monkeypatch.delenv("EMBEDDINGS_BACKEND")
    [line] = lines(doctor(capsys, "--offline"), "embeddings")
    assert line["status"] == "warn"
    assert "2 accepted examples without vectors" in line["message"]
    assert "`afina embed`" in line["message"]
    assert run(capsys, "embed").code == 0
    [line] = lines(doctor(capsys, "--offline"), "embeddings")
    assert line["status"] == "ok", line


def test_an_unreachable_embeddings_endpoint_fails_with_the_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    monkeypatch.setenv("EMBEDDINGS_BACKEND", "openai")
    monkeypatch.setenv("EMBEDDINGS_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("EMBEDDINGS_API_KEY", "sk-embeddings-secret-0000")
    result = doctor(capsys)
    failed = only_failure(result)
    assert failed["name"] == "embeddings"
    assert "EMBEDDINGS_BASE_URL" in failed["message"]
    assert "sk-embeddings-secret-0000" not in result.out
    [offline] = lines(doctor(capsys, "--offline"), "embeddings")
    assert offline["status"] == "ok"  # offline: configured, not asked


def test_embeddings_turned_off_is_said_plainly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    monkeypatch.setenv("EMBEDDINGS_BACKEND", "none")
    [line] = lines(doctor(capsys, "--offline"), "embeddings")
    assert line["status"] == "ok" and line["message"].startswith("none: ")
