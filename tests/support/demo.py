"""Loading the demo brand on purpose, for tests that need a bot with something to say.

A database is never seeded by itself any more (issue 12): tests that want the demo
shop's 48 examples load them the way `afina demo` does, through `bot.demo.load_demo`.
"""

from __future__ import annotations

from bot.db import make_engine, migrate, session_scope
from bot.demo import load_demo


def with_demo(database_url: str) -> int:
    """Migrate the database and load the demo examples; how many came in.

    No embedder here: the first answering process embeds them (as it would any
    examples stored without vectors), and tests that only count rows pay nothing.
    """
    engine = make_engine(database_url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            return load_demo(session, embedder=None).imported
    finally:
        engine.dispose()
