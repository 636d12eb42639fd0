"""The one place an engine is made, and migrations are applied.

SQLite (the default) runs in WAL mode with a busy timeout
(`SQLITE_BUSY_TIMEOUT_S`) so the web process, the worker and a CLI command can
share one file. PostgreSQL comes through `DATABASE_URL` with psycopg 3. No
other database is supported, and that is said at once, naming the setting.

A database that cannot be used is one sentence (`DatabaseError`, or `explain`
for an error met later), naming the setting to fix with any password masked.
Engines hide SQL parameters from their errors: a traceback or a log line never
carries what a person wrote.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session, create_engine

from bot.errors import AfinaError

if TYPE_CHECKING:
    from bot.config import Settings

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


SUPPORTED = (
    "afina runs on SQLite or PostgreSQL: sqlite:///PATH or "
    "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
)
BUSY_TIMEOUT_S = 30.0  # SQLITE_BUSY_TIMEOUT_S's default


class DatabaseError(AfinaError):
    """The database cannot be used as set up; the message names the setting to fix."""


def normalise_url(url: str) -> str:
    """Let people paste a plain `postgres://` URL; we speak psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def masked_url(url: str) -> str:
    """The database URL with its password (and any password in the query) as `***`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not a URL SQLAlchemy understands: show only what cannot be a secret.
        return url.split("://", 1)[0] + "://…" if "://" in url else "(not a URL)"
    hidden = {k: "***" for k in parsed.query if "password" in k.lower()}
    return parsed.update_query_dict(hidden).render_as_string(hide_password=True)


def parse_url(url: str) -> URL:
    """`DATABASE_URL` as SQLAlchemy reads it, or a DatabaseError saying what to write."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        raise DatabaseError(f"DATABASE_URL is not a database URL; {SUPPORTED}.") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"DATABASE_URL={masked_url(url)}: {backend} is not supported; {SUPPORTED}."
        )
    return parsed


def engine_for(settings: Settings) -> Engine:
    """The engine of the configured database (what every process opens)."""
    return make_engine(
        settings.resolved_database_url,
        busy_timeout_s=settings.sqlite_busy_timeout_s,
        setting="DATABASE_URL" if settings.database_url else "AFINA_HOME",
    )


def make_engine(
    url: str, *, busy_timeout_s: float = BUSY_TIMEOUT_S, setting: str = "DATABASE_URL"
) -> Engine:
    parsed = parse_url(url)
    kwargs: dict[str, Any] = {"hide_parameters": True}  # no message text in errors or logs
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        if parsed.database and parsed.database != ":memory:":
            _make_folder(Path(parsed.database).expanduser().parent, setting)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout_s}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError):
        raise DatabaseError(
            f"DATABASE_URL={masked_url(url)}: its driver is not installed; {SUPPORTED}."
        ) from None
    if sqlite:
        pragmas = partial(_sqlite_pragmas, busy_ms=int(busy_timeout_s * 1000))
        event.listen(engine, "connect", pragmas)
    return engine


def folder_problem(folder: Path) -> str | None:
    """Why the database's folder cannot be made (a file in the way, no write access), or None."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if existing != folder and not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return None


def _make_folder(folder: Path, setting: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = folder_problem(folder) or (exc.strerror or type(exc).__name__).lower()
        where = "AFINA_HOME" if setting == "AFINA_HOME" else "DATABASE_URL's folder"
        raise DatabaseError(
            f"{where} {folder} cannot be created: {why}. Set {setting} to a folder afina can write."
        ) from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
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
    with engine.begin() as connection:
        migrated = inspect(connection).has_table("alembic_version")
        if engine.dialect.name == "sqlite" and migrated:
            # Migrating is writing: take SQLite's write lock first (a statement that
            # changes nothing), so two processes starting together migrate one after the
            # other, and a file another process holds stops this one here, in one line,
            # rather than at its first write, after it has reported itself ready.
            connection.exec_driver_sql("DELETE FROM alembic_version WHERE 0")
        if migrated and at_head(connection):
            return  # the usual start: alembic (with mako and pygments) is not even loaded
        from alembic import command

        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


# `revision = "0005"`, also annotated (`revision: str = "0005"`); a tuple of parents (a
# merge) does not match, so it shows as two heads and alembic decides.
_ASSIGNED = r"""^{}(?:\s*:[^=\n]+)?\s*=\s*["']([^"']+)["']"""


def head_revision() -> str | None:
    """The newest migration, read from the files as alembic would find it: the one revision
    no other names as its `down_revision`; None when there is not exactly one (then alembic
    decides). Reading it costs milliseconds; importing alembic, a tenth of a second or more."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revisions.update(re.findall(_ASSIGNED.format("revision"), source, re.MULTILINE))
        parents.update(re.findall(_ASSIGNED.format("down_revision"), source, re.MULTILINE))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(connection: Connection) -> bool:
    """Whether a migrated database (one with `alembic_version`) is at the newest migration."""
    head = head_revision()
    stored = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return head is not None and [row[0] for row in stored] == [head]


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


# --- saying what went wrong ------------------------------------------------------
_FAILURES = (
    ("refused", "unreachable: connection refused (is the server running there?)"),
    ("timeout expired", "unreachable: no answer in time"),
    ("timed out", "unreachable: no answer in time"),
    ("translate host name", "unreachable: host name not found"),
    ("failed to resolve host", "unreachable: host name not found"),
    ("name or service not known", "unreachable: host name not found"),
    ("nodename nor servname", "unreachable: host name not found"),
    ("password authentication failed", "the server refused the user name or password"),
    ("permission denied", "the server refused this user access"),
    ('role "', "the server has no such user"),  # role "x" does not exist
    ('database "', "the server has no such database"),  # database "x" does not exist
    ("database is locked", "locked by another process"),
    ("readonly database", "the database file is read-only"),
    ("unable to open", "the file cannot be opened"),
    ("not a database", "the file is not a SQLite database"),
    ("disk is full", "the disk is full"),
    ("disk i/o error", "the disk failed to read or write"),
)


def failure(exc: BaseException) -> str:
    """What went wrong in a few words, from the driver's message; never SQL or parameters."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    for needle, phrase in _FAILURES:
        if needle in text:
            return phrase
    return f"the database failed ({type(getattr(exc, 'orig', None) or exc).__name__})"


def where(settings: Settings) -> str:
    """The database as a person set it: `DATABASE_URL=…` (password masked) or `AFINA_HOME=…`."""
    if settings.database_url:
        return f"DATABASE_URL={masked_url(settings.database_url)}"
    return f"AFINA_HOME={settings.afina_home} (its afina.db)"


def explain(exc: BaseException, settings: Settings) -> str:
    """One line for a database error that reached the command line."""
    why = failure(exc)
    if why.startswith("locked"):
        return (
            f"the database ({where(settings)}) stayed locked by another process for longer than "
            f"SQLITE_BUSY_TIMEOUT_S={settings.sqlite_busy_timeout_s:g} s, so the command stopped. "
            "Try again once the other afina command has finished."
        )
    return f"the database ({where(settings)}) cannot be used: {why}."


def write_blocked(path: Path, timeout_s: float) -> bool:
    """Whether another process holds a SQLite file's write lock for longer than `timeout_s`.

    Takes the lock and gives it straight back: nothing is written."""
    import sqlite3

    probe = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc) or "busy" in str(exc)
    finally:
        probe.close()
    return False
