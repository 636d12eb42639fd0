"""review desk: items, cards, handoffs, subscriptions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:15:12.624318

What needs a person (`reviewitem`: a suggestion, a 👎'd answer, an unanswered question,
unique per thing it is about), where each card was posted (`deskcard`, claimed before it
is posted: unique per item or run and destination), the reviewers' answers handed back
to customers (`handoff`, unique per question), and the Telegram reviewers who opted in
to the desk's cards (`desksubscription`).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desksubscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("destination", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("destination", name="uq_desksubscription_destination"),
    )
    op.create_table(
        "reviewitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "kind", sa.Enum("suggestion", "rejected", "unanswered", name="itemkind"), nullable=False
        ),
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.Column("example_id", sa.Integer(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("asked_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("raised_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.Column("status", sa.Enum("open", "handled", name="itemstatus"), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "approved",
                "edited",
                "rejected",
                "answered",
                "corrected",
                "dismissed",
                "resolved",
                name="itemaction",
            ),
            nullable=True,
        ),
        sa.Column("handled_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("handled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("answer_given", sa.Text(), nullable=True),
        sa.Column("taught_example_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["example_id"],
            ["example.id"],
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["reply.id"],
        ),
        sa.ForeignKeyConstraint(
            ["taught_example_id"],
            ["example.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_reviewitem_key"),
    )
    with op.batch_alter_table("reviewitem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewitem_reply_id"), ["reply_id"], unique=False)
        batch_op.create_index(
            "ix_reviewitem_status_created", ["status", "created_at"], unique=False
        )

    op.create_table(
        "deskcard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("destination", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("shown", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["reviewitem.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["tuningrun.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "destination", name="uq_deskcard_item"),
        sa.UniqueConstraint("run_id", "destination", name="uq_deskcard_run"),
    )
    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "sending", "sent", "failed", name="handoffstatus"),
            nullable=False,
        ),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["reviewitem.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["reply.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reply_id", name="uq_handoff_reply"),
    )
    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_item_id"))

    op.drop_table("handoff")
    op.drop_table("deskcard")
    with op.batch_alter_table("reviewitem", schema=None) as batch_op:
        batch_op.drop_index("ix_reviewitem_status_created")
        batch_op.drop_index(batch_op.f("ix_reviewitem_reply_id"))

    op.drop_table("reviewitem")
    op.drop_table("desksubscription")
    bind = op.get_bind()  # PostgreSQL keeps enum types after their tables go
    for name in ("itemkind", "itemstatus", "itemaction", "handoffstatus"):
        sa.Enum(name=name).drop(bind, checkfirst=True)
