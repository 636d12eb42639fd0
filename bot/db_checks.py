"""`afina doctor`'s look at the database: reachable, and at the newest migration.

It opens its own short-lived connection with a short timeout and creates
nothing: not the SQLite file (the first real command does that, through
`bot.db.make_engine`), not a table. The URL is read the way `bot.db` reads it
(`normalise_url`), and shown with its password masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.checks import Diagnosis


def checks(diagnosis: Diagnosis) -> None:
    """The database line, then (when it answers) the migrations line."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from bot.db import DatabaseError, folder_problem, parse_url, where, write_blocked

    url = diagnosis.settings.resolved_database_url
    shown = where(diagnosis.settings)
    try:
        parsed = parse_url(url)
    except DatabaseError as exc:  # not a URL, or not a database afina runs on
        diagnosis.add("database", "fail", exc.message)
        return
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        file = parsed.database or ""
        if not file or file == ":memory:":
            diagnosis.add("database", "warn", f"{shown}: in memory, nothing is kept")
            return
        if not Path(file).expanduser().is_file():
            problem = folder_problem(Path(file).expanduser().parent)
            if problem:
                diagnosis.add(
                    "database", "fail", f"{shown}: the database cannot be made: {problem}"
                )
                return
            # The doctor changes nothing: creating the file is the first real command's job.
            diagnosis.add(
                "database",
                "warn",
                f"{shown}: no database file yet; `afina migrate` (or any command) creates it",
            )
            return
        if write_blocked(Path(file).expanduser(), diagnosis.timeout_s):
            diagnosis.add(
                "database",
                "fail",
                f"{shown}: locked by another process for longer than {diagnosis.timeout_s:g} s; "
                "nothing can be saved until it lets go",
            )
            return
        connect_args["timeout"] = diagnosis.timeout_s
    elif parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(2, round(diagnosis.timeout_s))  # libpq's minimum
    try:
        engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    except (NoSuchModuleError, ImportError):
        diagnosis.add("database", "fail", f"{shown}: no driver installed for this kind of database")
        return
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            diagnosis.add("database", "ok", f"{shown} · reachable")
            migrations(diagnosis, engine, connection)
    except SQLAlchemyError as exc:
        diagnosis.add("database", "fail", f"{shown} · {failure(exc, diagnosis.timeout_s)}")
    finally:
        engine.dispose()


def failure(exc: Exception, timeout_s: float) -> str:
    """Why a connection failed, in words that quote nothing from the driver's message."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    for needle, phrase in (
        ("refused", "unreachable: connection refused"),
        ("timeout", f"unreachable: no answer within {timeout_s:g} s"),
        ("timed out", f"unreachable: no answer within {timeout_s:g} s"),
        ("translate host name", "unreachable: host name not found"),
        ("name or service not known", "unreachable: host name not found"),
        ("password authentication failed", "the server refused the user name or password"),
        ("does not exist", "the server has no such database or user"),
        ("database is locked", "locked by another process for too long"),
        ("unable to open", "the file cannot be opened"),
        ("not a database", "the file is not a SQLite database"),
    ):
        if needle in text:
            return phrase
    return f"cannot connect ({type(getattr(exc, 'orig', None) or exc).__name__})"


def migrations(diagnosis: Diagnosis, engine: Any, connection: Any) -> None:
    """At head (and then the active version, for the backend's check), behind, or ahead."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlmodel import Session

    from bot import store
    from bot.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config(engine))
    heads = set(script.get_heads())
    current = set(MigrationContext.configure(connection).get_current_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    if current == heads:
        diagnosis.add("migrations", "ok", f"at head ({', '.join(sorted(heads))})")
        with Session(bind=connection) as session:
            diagnosis.active = store.active_version(session)
        return
    if not current:
        diagnosis.add(
            "migrations",
            "warn",
            "no tables yet: run `afina migrate` (every afina process also migrates on start)",
        )
    elif current - known:
        diagnosis.add(
            "migrations",
            "fail",
            f"the database is at revision {', '.join(sorted(current - known))}, which this "
            "code does not know: a newer afina migrated it; run that version here too",
        )
    else:
        diagnosis.add(
            "migrations",
            "warn",
            f"the database is at {', '.join(sorted(current))}, the code at "
            f"{', '.join(sorted(heads))}: run `afina migrate` "
            "(every afina process also migrates on start)",
        )
