"""`INSERT … ON CONFLICT DO NOTHING`: a row written once, whoever races to write it.

The review desk claims things this way (an item per thing it is about, a card per
destination, a handoff per question): the unique constraint picks the winner in one
statement, with no read-then-write window and no IntegrityError to roll back, which on
PostgreSQL would abort the rest of the caller's transaction.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

UPSERTING = ("sqlite", "postgresql")  # the databases whose INSERT has ON CONFLICT


def dialect_insert(dialect: str) -> Any:
    """That database's own INSERT (with ON CONFLICT), imported on first use: PostgreSQL's
    module took 50 ms of every process's start on SQLite."""
    if dialect not in UPSERTING:
        raise KeyError(dialect)
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert


def insert_once(
    connection: Connection, table: Any, values: dict[str, Any], unique: Sequence[str]
) -> int | None:
    """Insert `values` into `table` unless a row with the same `unique` columns exists;
    the new row's id, or None when it was there already."""
    make = dialect_insert(connection.dialect.name)
    statement = (
        make(table).values(**values).on_conflict_do_nothing(index_elements=list(unique))
    ).returning(table.__table__.c.id)
    found = connection.execute(statement).first()
    return None if found is None else int(found[0])


def changed(result: Any) -> int:
    """How many rows a conditional UPDATE changed: whether this process won the change."""
    return int(getattr(result, "rowcount", 0) or 0)
