"""Seeding examples and reading rows back, for the tuning tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot import store
from bot.db import make_engine, session_scope
from bot.tables import Example, ExampleSource, ExampleStatus
from tuning.dataset import holdout_side


def add_example(
    engine: Engine,
    question: str,
    answer: str,
    *,
    context: list[dict[str, Any]] | None = None,
    rejected: str | None = None,
    key: str = "",
    status: ExampleStatus = ExampleStatus.accepted,
) -> int:
    """Store one example the way feedback or an import does; returns its id."""
    prompt = [*(context or []), {"role": "user", "content": question}]
    source = ExampleSource.corrected if rejected else ExampleSource.imported
    with session_scope(engine) as session:
        example = store.save_example(
            session,
            store.new_example(
                prompt=prompt,
                answer=answer,
                rejected_answer=rejected,
                source=source,
                status=status,
                conversation_key=key or f"test:{question}",
                created_by="test",
            ),
        )
        return example.id or 0


def key_on_side(prefix: str, *, holdout: bool, seed: int = 42, share: float = 0.1) -> str:
    """A conversation key that the split puts in the holdout (or in training)."""
    for n in range(10_000):
        key = f"{prefix}:{n}"
        if holdout_side(key, seed=seed, share=share) == holdout:
            return key
    raise AssertionError("no key found")


def rows(url: str, model: type) -> list[Any]:
    """Every row of a table, by primary key (PostgreSQL keeps no insertion order)."""
    engine = make_engine(url)
    with Session(engine) as session:
        key = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
        found = list(session.exec(select(model).order_by(key)).all())
    engine.dispose()
    return found


def example_ids(url: str) -> dict[str, int]:
    """Question → id of every stored example."""
    return {e.question: e.id or 0 for e in rows(url, Example)}


def a_due_retrain_tick(database_url: str) -> str:
    """Store the retrain job as a worker that went down a minute before its tick left it;
    returns the RETRAIN_CRON of that tick. The database is migrated and holds the demo."""
    from datetime import UTC, timedelta

    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    from bot.app import build_core
    from bot.config import Settings
    from bot.cron import trigger as cron_trigger
    from bot.db import JOBS_TABLE
    from bot.scheduler import StoreKeeper
    from bot.tables import utcnow
    from tests.support.demo import with_demo
    from tuning.schedule import RETRAIN_JOB

    tick = (utcnow() - timedelta(minutes=1)).replace(second=0, microsecond=0)
    cron = f"{tick.minute} {tick.hour} * * *"
    core = build_core(Settings(_env_file=None, database_url=database_url))
    with_demo(database_url)
    stored = StoreKeeper(
        jobstores={"default": SQLAlchemyJobStore(engine=core.engine, tablename=JOBS_TABLE)},
        timezone=UTC,
    )
    stored.start(paused=True)
    stored.add_job(
        "tuning.schedule:retrain_job", cron_trigger(cron), id=RETRAIN_JOB, next_run_time=tick
    )
    stored.shutdown()
    core.engine.dispose()
    return cron
