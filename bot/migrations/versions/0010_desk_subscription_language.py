"""desksubscription: the reviewer's language, so pushed desk cards speak it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:45:00

A Telegram reviewer's `/notify` keeps their app's `language_code` ("es", "en-GB"),
and the cards the desk pushes to that chat are written in it
(`bot.desk.wording`). Subscriptions from before the upgrade have none (NULL):
English, as before, until the reviewer sends `/notify` again.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("desksubscription") as batch:
        batch.add_column(
            sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("desksubscription") as batch:
        batch.drop_column("language")
