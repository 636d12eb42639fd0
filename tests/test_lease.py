"""One holder at a time, across processes and threads, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot import lease
from bot.db import make_engine, migrate


def test_only_one_owner_and_expiry_frees_it(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    ttl = timedelta(minutes=5)
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(
                lambda i: lease.acquire(engine, name="retrain", owner=f"w{i}", ttl=ttl), range(8)
            )
        )
    assert results.count(True) == 1
    winner = f"w{results.index(True)}"
    assert lease.acquire(engine, name="retrain", owner=winner, ttl=ttl)  # renewal
    assert not lease.acquire(engine, name="retrain", owner="other", ttl=ttl)
    assert lease.release(engine, name="retrain", owner=winner)
    assert lease.acquire(engine, name="retrain", owner="other", ttl=timedelta(seconds=-1))
    assert lease.acquire(engine, name="retrain", owner="third", ttl=ttl)  # the expired one is taken
    engine.dispose()
