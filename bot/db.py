"""The one place an engine is made, and migrations are applied.

SQLite (the default) runs in WAL mode with a busy timeout so the web process,
the worker and a CLI command can share one file. PostgreSQL comes through
`DATABASE_URL` with psycopg 3.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The scheduler's job store (APScheduler's own layout). A migration creates it so that
# workers starting together never race to; its columns are APScheduler's business, so
# autogenerate leaves it out of the comparison with our models.
JOBS_TABLE = "apscheduler_jobs"
# SQLite's full-text index of examples (and FTS5's own tables behind it), made by a
# migration for the console's search; no model describes it.
SEARCH_TABLE = "example_search"


def ours(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's `include_name`: compare every table with the models except the job store
    and the search index."""
    if type_ != "table":
        return True
    return name != JOBS_TABLE and not (name or "").startswith(SEARCH_TABLE)


def normalise_url(url: str) -> str:
    """Let people paste a plain `postgres://` URL; we speak psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; safe to call on every start."""
    from alembic import command

    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query (what `/healthz` checks)."""
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")


# SQLite lets one writer in at a time and makes the others sleep in its busy handler,
# backing off up to 100 ms a try: in a burst of answers most of the time went there.
# Queuing this process's short write transactions on a lock instead hands the file
# over at once. Other processes still meet the busy timeout; PostgreSQL needs none.
_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def _writer_lock(engine: Engine) -> AbstractContextManager[Any]:
    if engine.dialect.name != "sqlite":
        return nullcontext()
    lock = _SQLITE_WRITERS.get(engine)
    if lock is None:
        with _WRITERS_GUARD:
            lock = _SQLITE_WRITERS.setdefault(engine, threading.Lock())
    return lock


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()` for a short write on an answer's path (commits, or rolls back on error).

    Nothing inside may open another `write_transaction`: on SQLite they share one lock.
    """
    with _writer_lock(engine), engine.begin() as connection:
        yield connection
