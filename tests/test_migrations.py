"""Migrations on an empty database produce exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import bot.tables  # noqa: F401
from bot.db import make_engine, migrate


def test_empty_database_migrates_to_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)  # a second start is a no-op
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {
        "conversation",
        "message",
        "reply",
        "feedback",
        "example",
        "tuningrun",
        "modelversion",
        "tuningevent",
        "lease",
        "processedevent",
        "alembic_version",
    } <= tables
    reply_columns = {c["name"] for c in inspect(make_engine(database_url)).get_columns("reply")}
    assert {
        "prompt",
        "model_id",
        "latency_ms",
        "prompt_tokens",
        "completion_tokens",
    } <= reply_columns
