"""questions: the message an answer is written into, so a crash never posts it twice

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:30:00

Telegram answers are written into a short placeholder posted before the answer
(`bot.channels.telegram.placeholder`); its platform id is kept with the question,
so a process delivering the answer again after a crash edits that message instead
of posting a second one. Questions from before the upgrade have none (NULL).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.add_column(
            sa.Column("placeholder_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.drop_column("placeholder_id")
