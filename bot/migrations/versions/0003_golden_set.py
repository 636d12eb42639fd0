"""golden set: what the model answering at the time said, for gating later candidates

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "goldenanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("rejected", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("model_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("backend", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["example_id"], ["example.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["modelversion.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("goldenanswer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goldenanswer_recording"), ["recording"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("goldenanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goldenanswer_recording"))
    op.drop_table("goldenanswer")
