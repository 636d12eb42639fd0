"""Migrations on an empty database produce exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import bot.tables  # noqa: F401
from bot.db import JOBS_TABLE, make_engine, migrate, ours


def test_empty_database_migrates_to_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)  # a second start is a no-op
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": ours})
        diff = compare_metadata(context, SQLModel.metadata)
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
        "goldenanswer",
        "alembic_version",
        JOBS_TABLE,
    } <= tables
    reply_columns = {c["name"] for c in inspect(make_engine(database_url)).get_columns("reply")}
    assert {
        "prompt",
        "model_id",
        "latency_ms",
        "prompt_tokens",
        "completion_tokens",
    } <= reply_columns


def test_the_job_store_table_is_the_one_apscheduler_would_make(database_url: str) -> None:
    """Our migration creates it so workers never race to; its shape must stay APScheduler's."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    engine = make_engine(database_url)
    migrate(engine)
    theirs = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE).jobs_t.metadata
    with engine.connect() as conn:
        only_jobs = {"include_name": lambda name, type_, _: type_ != "table" or name == JOBS_TABLE}
        diff = compare_metadata(MigrationContext.configure(conn, opts=only_jobs), theirs)
    engine.dispose()
    assert diff == []


def test_a_start_at_the_newest_migration_skips_alembic_and_one_behind_does_not(
    database_url: str,
) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config, at_head, head_revision

    engine = make_engine(database_url)
    config = alembic_config(engine)
    # The files read as alembic reads them: the same newest revision.
    head = head_revision()
    script = ScriptDirectory.from_config(config)
    assert head == script.get_current_head()
    behind = script.get_revision(head).down_revision
    with engine.begin() as conn:  # a database one migration behind (a deploy of newer code)
        config.attributes["connection"] = conn
        command.upgrade(config, str(behind))
    with engine.connect() as conn:
        assert not at_head(conn)
    migrate(engine)
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert stored == head
        assert at_head(conn)  # every later start returns before importing alembic
    engine.dispose()
