"""Shared fixtures: every test gets its own home folder, database and settings.

The database fixture runs each test that uses it on SQLite (a real file) and,
when `TEST_DATABASE_URL` points at a PostgreSQL server, again on a fresh
PostgreSQL database created for that test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot import logsafe
from bot.app import Core, build_core
from bot.config import Settings, get_settings
from tests.support.markers import mark_process_tests
from tests.support.openai_server import FakeOpenAI
from tests.support.slack_server import FakeSlack
from tests.support.telegram_server import FakeTelegram
from tests.support.together_server import KEY as TOGETHER_KEY
from tests.support.together_server import FakeTogether

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PG_SKIP = "PostgreSQL case: set TEST_DATABASE_URL (`.ci/run` starts a throwaway server)"

_ENV_PREFIXES = (
    "AFINA_",
    "DATABASE_",
    "OPENAI_",
    "SLACK_",
    "TELEGRAM_",
    "MODEL_",
    "TUNING_",
    "LOCAL_",
    "RETRAIN_",
    "REVIEWERS",
    "SYSTEM_PROMPT",
    "EVAL_",
    "LORA_",
    "TOGETHER_",
    "CONSOLE_",
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's environment, `.env`, home folder or network settings."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) and name != "TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AFINA_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    from bot.cli import common

    common.core.cache_clear()
    yield
    get_settings.cache_clear()
    common.core.cache_clear()
    logsafe.uninstall()  # each `afina` run in-process masks its own secrets


def _fresh_pg_database() -> tuple[str, str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = PG_URL.rsplit("/", 1)[0]
    return f"{base}/{name}", name


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A brand-new empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'afina-test.db'}"
        monkeypatch.setenv("DATABASE_URL", url)
        yield url
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    url, name = _fresh_pg_database()
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    from sqlalchemy.pool import NullPool  # noqa: F401  (engines in tests are disposed below)

    _drop_pg_database(name)


@pytest.fixture
def make_settings(database_url: str) -> Any:
    """Settings for this test's database, with any overrides (also visible to the CLI via env)."""

    def make(**overrides: Any) -> Settings:
        return Settings(database_url=database_url, **overrides)

    return make


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    return make_settings()  # type: ignore[no-any-return]


@pytest.fixture
def core(settings: Settings) -> Iterator[Core]:
    built = build_core(settings)
    yield built
    built.engine.dispose()


@pytest.fixture
def demo(database_url: str) -> int:
    """The demo shop's 48 examples in the test's database, loaded on purpose as `afina demo`
    does (a database is never seeded by itself): something to train, export or answer from."""
    from tests.support.demo import with_demo

    return with_demo(database_url)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def openai_env(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> FakeOpenAI:
    """The CLI (and any subprocess) talks to the fake server and polls without waiting."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_MAX_RETRIES", "0")
    monkeypatch.setenv("TUNING_POLL_INTERVAL_S", "0.01")
    return fake_openai


@pytest.fixture
def fake_together() -> Iterator[FakeTogether]:
    server = FakeTogether().start()
    yield server
    server.stop()


@pytest.fixture
def together_env(
    fake_together: FakeTogether, openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> FakeTogether:
    """Chat on the OpenAI fake until a Together version answers; jobs and serving at Together."""
    monkeypatch.setenv("TOGETHER_API_KEY", TOGETHER_KEY)
    monkeypatch.setenv("TOGETHER_BASE_URL", fake_together.base_url)
    return fake_together


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: the PostgreSQL run of a database test")
    config.addinivalue_line("markers", "process: starts a process (see tests/support/markers.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that starts a process, by what it uses (`make test-quick` skips them)."""
    mark_process_tests(items)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    server.start()
    yield server
    server.stop()
