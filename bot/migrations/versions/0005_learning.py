"""learning: how each reply was produced, example vectors, phrasings, import batches

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 11:23:19

`reply.outcome` / `reply.used_examples` record how every answer was produced
(older replies become `answered`, or `error` where the person got the fallback).
`examplevector` holds each example's embedded texts, tagged with the embedder,
so no process re-embeds on start. `importbatch` lets an import be undone whole.

On SQLite the new foreign key on `example` rebuilds that table (copy and move), which
drops the triggers that keep 0004's `example_search` index in step; they are made
again after each rebuild, from 0004's own statements.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OUTCOME = sa.Enum("answered", "transparent", "abstained", "error", name="replyoutcome")


def _search_triggers() -> dict[str, str]:
    """0004's trigger statements (a migration file is not importable by name)."""
    path = Path(__file__).with_name("0004_console_sign_in_audit_and_gate_answers.py")
    spec = importlib.util.spec_from_file_location("afina_migration_0004", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.SEARCH_TRIGGERS)


def _restore_search_triggers() -> None:
    """After `example` was rebuilt on SQLite, its search triggers exist again."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, body in _search_triggers().items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    op.create_table(
        "importbatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("undone_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("undone_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "examplevector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("embedder", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text_hash", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["example_id"], ["example.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("example_id", "embedder", "kind", "position", name="uq_example_vector"),
    )
    with op.batch_alter_table("examplevector", schema=None) as batch_op:
        batch_op.create_index("ix_examplevector_embedder", ["embedder", "example_id"], unique=False)

    with op.batch_alter_table("example", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phrasings", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("import_batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index("ix_example_import_batch_id", ["import_batch_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_example_import_batch_id", "importbatch", ["import_batch_id"], ["id"]
        )

    OUTCOME.create(op.get_bind(), checkfirst=True)  # PostgreSQL: the type comes first
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome", OUTCOME, nullable=False, server_default="answered")
        )
        batch_op.add_column(
            sa.Column("used_examples", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    op.execute("UPDATE reply SET outcome = 'error' WHERE NOT ok")
    # The defaults served the rows already there; new rows always say how they were made.
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.alter_column("outcome", server_default=None)
        batch_op.alter_column("used_examples", server_default=None)
    with op.batch_alter_table("example", schema=None) as batch_op:
        batch_op.alter_column("phrasings", server_default=None)
    _restore_search_triggers()


def downgrade() -> None:
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.drop_column("used_examples")
        batch_op.drop_column("outcome")
    OUTCOME.drop(op.get_bind(), checkfirst=True)
    with op.batch_alter_table("example", schema=None) as batch_op:
        batch_op.drop_constraint("fk_example_import_batch_id", type_="foreignkey")
        batch_op.drop_index("ix_example_import_batch_id")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("import_batch_id")
        batch_op.drop_column("phrasings")
    _restore_search_triggers()
    with op.batch_alter_table("examplevector", schema=None) as batch_op:
        batch_op.drop_index("ix_examplevector_embedder")
    op.drop_table("examplevector")
    op.drop_table("importbatch")
