"""The tuning lease: one holder at a time across threads (and so processes), expiry frees it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot import store
from bot.db import make_engine, migrate, session_scope
from bot.tables import utcnow


def test_only_one_owner_and_expiry_frees_it(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    soon = utcnow() + timedelta(minutes=5)

    def take(owner: str, until: object = soon) -> bool:
        with session_scope(engine) as session:
            return store.take_lease(session, name="retrain", owner=owner, until=until)  # type: ignore[arg-type]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: take(f"w{i}"), range(8)))
    assert results.count(True) == 1
    winner = f"w{results.index(True)}"
    assert take(winner)  # renewal
    assert not take("other")
    with session_scope(engine) as session:
        store.drop_lease(session, name="retrain", owner=winner)
    assert take("other", utcnow() - timedelta(seconds=1))  # taken, but already expired
    assert take("third")
    engine.dispose()
