"""questions owed an answer: claimed while answered, recovered when a process died

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00

Every question a person asks gets a `question` row until its answer has reached
them: a process answering it holds a claim, and one that died leaves it for the
next (`bot.questions`). The history of a question is its asker's own turns
(`bot.store.questions`), so the questions already answered are written here
too, as delivered: nothing from before the upgrade is answered again.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("thread_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("delivery_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("route", sa.JSON(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"]),
        sa.ForeignKeyConstraint(["reply_id"], ["reply.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index("ix_question_asker", ["conversation_id", "user_id"], unique=False)
        batch_op.create_index("ix_question_delivery", ["channel", "delivery_key"], unique=False)
        batch_op.create_index("ix_question_open", ["state", "claimed_until"], unique=False)
    # Every question answered so far, as delivered (one reply per question: the newest).
    op.execute(
        """
        INSERT INTO question (message_id, conversation_id, channel, chat_id, thread_id, user_id,
                              route, reply_id, state, owner, attempts, created_at, updated_at)
        SELECT m.id, m.conversation_id, c.channel, c.chat_id, c.thread_id, m.user_id,
               '{}', MAX(r.id), 'posted', '', 1, m.created_at, m.created_at
        FROM reply r
        JOIN message m ON m.id = r.message_id
        JOIN conversation c ON c.id = m.conversation_id
        GROUP BY m.id, m.conversation_id, c.channel, c.chat_id, c.thread_id, m.user_id,
                 m.created_at
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index("ix_question_open")
        batch_op.drop_index("ix_question_delivery")
        batch_op.drop_index("ix_question_asker")
    op.drop_table("question")
