"""console: an index for the questions the bot could not answer, by when

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:30:00

The console's Home counts this week's replies whose outcome was abstained or error;
`(outcome, created_at)` makes that a range of the index instead of a scan of every
reply.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reply_outcome_created", "reply", ["outcome", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reply_outcome_created", table_name="reply")
