"""No configured secret in any line a long-running command writes, even with `-v`.

Every service command runs as a real process against the fakes, at DEBUG, and
does real work (answers over Slack and Telegram, so httpx logs every Bot API URL,
which holds the Telegram token); then everything it wrote is searched for each
configured secret: tokens, the signing secret, API keys, the database password.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.support.launch import Afina
from tests.support.openai_server import FakeOpenAI
from tests.support.processes import free_port, listening, wait_for
from tests.support.slack_server import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    FakeSlack,
    event,
    message,
    signed,
)
from tests.support.slack_socket import FakeSocketMode
from tests.support.telegram_server import TOKEN, FakeTelegram, message_update, private_chat, user

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
DB_PASSWORD = "db-pa55w0rd-in-no-log"
HOOK_SECRET = "hook-secret-in-no-log"
OPENAI_KEY = "sk-proj-openai-key-in-no-log"
SECRETS = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "TELEGRAM_BOT_TOKEN": TOKEN,
    "OPENAI_API_KEY": OPENAI_KEY,
    "TOGETHER_API_KEY": "together-key-in-no-log",
    "TUNING_API_KEY": "tuning-key-in-no-log",
}
CUSTOMER = 4242
_made: list[str] = []  # PostgreSQL databases made here, dropped after the test


@pytest.fixture(autouse=True)
def _drop_databases() -> Iterator[None]:
    yield
    while _made:
        _drop_pg_database(_made.pop())


def database_url(home: Path) -> str:
    """PostgreSQL with a password in its URL when a server is at hand (it trusts everyone,
    so the password only has to be kept out of the logs), else a SQLite file."""
    if not PG_URL:
        return f"sqlite:///{home / 'afina.db'}"
    fresh, name = _fresh_pg_database()  # one each: they all seed the demo at once
    _made.append(name)
    return make_url(fresh).set(password=DB_PASSWORD).render_as_string(hide_password=False)


class Service:
    """One command with its own fakes, home and port, and the work that makes it log."""

    def __init__(self, tmp: Path, name: str, args: list[str], model: FakeOpenAI) -> None:
        self.slack = FakeSlack().start()
        self.telegram = FakeTelegram().start()
        self.socket: FakeSocketMode | None = None
        self.port = free_port()
        self.stopped = False
        home = tmp / name
        self.env = {
            **SECRETS,
            "AFINA_HOME": str(home),
            "DATABASE_URL": database_url(home),
            "SLACK_API_URL": self.slack.api_url,
            "TELEGRAM_API_URL": self.telegram.api_url,
            "OPENAI_BASE_URL": model.base_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LOG_LEVEL": "DEBUG",
        }
        self.afina = Afina(["-v", *args], self.env, home, tmp / f"{name}.log")

    def with_socket_mode(self) -> Service:
        self.socket = FakeSocketMode().start()
        self.slack.socket_url = self.socket.url
        self.env["SLACK_APP_TOKEN"] = APP_TOKEN
        return self

    def with_webhook(self) -> Service:
        self.env["TELEGRAM_WEBHOOK_URL"] = "https://bot.example.org/telegram/webhook"
        self.env["TELEGRAM_WEBHOOK_SECRET"] = HOOK_SECRET
        return self

    def stop(self) -> str:
        """Stop the command (SIGTERM), then its fakes; what it wrote. Once is enough."""
        if not self.stopped:
            self.stopped = True
            self.afina.stop()
            for fake in (self.slack, self.telegram, self.socket):
                if fake is not None:
                    fake.stop()
        return self.afina.output()

    # --- the work ------------------------------------------------------------------
    def ask_telegram_by_polling(self) -> None:
        self.telegram.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship?"))
        assert self.telegram.wait_until(lambda fake: fake.answered(CUSTOMER), 90), self.log()

    def ask_telegram_by_webhook(self) -> None:
        wait_for(lambda: bool(self.telegram.called("setWebhook")), 90, "setWebhook")
        update = message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship?")
        headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}
        url = f"http://127.0.0.1:{self.port}/telegram/webhook"
        assert httpx.post(url, json=update, headers=headers, timeout=10).status_code == 200
        assert self.telegram.wait_until(lambda fake: fake.answered(CUSTOMER), 60), self.log()

    def ask_slack_over_http(self) -> None:
        wait_for(lambda: listening(self.port) or not self.afina.running, 90, "the server")
        body = json.dumps(event(message(f"<@{BOT_USER}> do you ship?", kind="app_mention")))
        url = f"http://127.0.0.1:{self.port}/slack/events"
        sent = httpx.post(url, content=body, headers=signed(body), timeout=10)
        assert sent.status_code == 200, self.log()
        self.slack.wait_answered(1, timeout=60)

    def ask_slack_over_socket_mode(self) -> None:
        assert self.socket is not None
        self.socket.wait_connected(timeout=90)
        self.socket.push(event(message(f"<@{BOT_USER}> do you ship?", kind="app_mention")))
        self.slack.wait_answered(1, timeout=60)

    def log(self) -> str:
        return self.afina.output()[-3000:]


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


def test_no_service_command_logs_a_secret_even_at_debug(tmp_path: Path, model: FakeOpenAI) -> None:
    serve = Service(tmp_path, "serve", ["serve"], model).with_webhook()
    worker = Service(tmp_path, "worker", ["worker"], model).with_socket_mode()
    run = Service(tmp_path, "run", ["run"], model)
    slack = Service(tmp_path, "slack", ["slack"], model)
    telegram = Service(tmp_path, "telegram", ["telegram"], model)
    for alone in (slack, telegram):  # one channel each
        unused = "TELEGRAM_BOT_TOKEN" if alone is slack else "SLACK_BOT_TOKEN"
        alone.env.pop(unused)
    work: dict[str, tuple[Service, list[Callable[[], None]]]] = {
        "serve": (serve, [serve.ask_slack_over_http, serve.ask_telegram_by_webhook]),
        "worker": (worker, [worker.ask_slack_over_socket_mode, worker.ask_telegram_by_polling]),
        "run": (run, [run.ask_slack_over_http, run.ask_telegram_by_polling]),
        "slack": (slack, [slack.ask_slack_over_http]),
        "telegram": (telegram, [telegram.ask_telegram_by_polling]),
    }
    for service, _ in work.values():
        service.afina.start()
    chat = Afina(
        ["-v", "chat"],
        {**serve.env, "AFINA_HOME": str(tmp_path / "chat")},
        tmp_path / "chat",
        tmp_path / "chat.log",
    )
    chat.env["DATABASE_URL"] = database_url(tmp_path / "chat")
    outputs = {}
    try:
        for name, (service, steps) in work.items():
            for step in steps:
                step()
            outputs[name] = service.stop()
        outputs["chat"] = chat_session(chat)
    finally:
        for service, _ in work.values():
            service.stop()

    for name, output in outputs.items():
        assert "DEBUG" in output, (name, output[-2000:])  # it did log at DEBUG
        for setting, secret in {**SECRETS, "DB password": DB_PASSWORD}.items():
            assert secret not in output, (name, setting)
    assert "/bot[secret]/" in outputs["telegram"] or "[secret]" in outputs["telegram"]


def chat_session(chat: Afina) -> str:
    """`afina -v chat` with a question piped in, as `echo … | afina chat` runs it."""
    import subprocess

    from tests.support.launch import KEPT
    from tests.support.processes import AFINA

    inherited = {k: v for k, v in os.environ.items() if k in KEPT}
    done = subprocess.run(
        [AFINA, *chat.args],
        env=inherited | chat.env,
        cwd=chat.cwd.parent,
        input="Do you ship to Canarias?\n/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """Put back every logger as it was: the handlers this test installs write to a
    captured stream that is closed once it ends, and later tests would log into it."""
    import logging

    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    saved = [(lg, lg.handlers[:], lg.level, lg.disabled, lg.propagate) for lg in loggers]
    factory = logging.getLogRecordFactory()
    yield
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if all(logger is not lg for lg, *_ in saved):
            logger.handlers.clear()
    for logger, handlers, level, disabled, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.disabled, logger.propagate = disabled, propagate
    logging.setLogRecordFactory(factory)


@pytest.mark.usefixtures("logging_restored")
def test_a_library_record_is_masked_even_after_the_server_replaces_the_handlers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `afina -v run` does: the CLI sets logging up, uvicorn configures it again
    (`log_config`), and a library then logs something that quotes a secret."""
    import logging.config

    import click

    from bot.cli import _setup
    from bot.cli.serve import log_config

    url = f"postgresql://afina:{DB_PASSWORD}@127.0.0.1:1/afina"
    for name, secret in {**SECRETS, "DATABASE_URL": url}.items():
        monkeypatch.setenv(name, secret)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", HOOK_SECRET)
    _setup(
        click.Context(click.Command("afina")), verbose=True
    )  # what every `afina -v …` does first: settings read, logging set up
    logging.config.dictConfig(log_config(logging.DEBUG))
    url_with_token = f"http://127.0.0.1/bot{TOKEN}/getMe"
    logging.getLogger("httpcore.connection").debug("connect %s", url_with_token)
    logging.getLogger("slack_sdk.web").warning("headers: Bearer %s", BOT_TOKEN)
    try:
        raise ValueError(f"refused key {OPENAI_KEY} and {HOOK_SECRET}")
    except ValueError:
        logging.getLogger("some.sdk").exception("request to %s failed", url)

    written = capsys.readouterr().err
    assert "getMe" in written and "refused key" in written and "[secret]" in written
    for secret in (*SECRETS.values(), DB_PASSWORD, HOOK_SECRET):
        assert secret not in written, secret
