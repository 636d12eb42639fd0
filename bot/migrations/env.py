"""Alembic environment: runs against the connection `bot.db.migrate` hands over."""

from alembic import context
from sqlmodel import SQLModel

import bot.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.db import ours

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    from bot.config import get_settings
    from bot.db import make_engine

    engine = make_engine(get_settings().resolved_database_url)
    with engine.begin() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_name=ours,
        )
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_name=ours,
    )
    with context.begin_transaction():
        context.run_migrations()
