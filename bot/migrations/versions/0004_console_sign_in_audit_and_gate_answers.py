"""console sign-in, audit, gate answers and example search

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 11:15:24.165360

The web console's sign-in links and sessions (hashes only), its audit trail, and the
gate's answers per held-out question, so the console shows both models side by side
from any process (the run folder's eval.jsonl may live on another machine).

For the console's lists at 100,000 examples: an index on `example.status` (counts by
status, filters), and on SQLite a trigram full-text index of questions and answers
(`example_search`, kept in step by triggers), so a substring search reads the index
instead of every row. PostgreSQL scans with ILIKE, which is fast enough there.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auditentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "consolelink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "consolesession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("consolesession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consolesession_user_id"), ["user_id"], unique=False)

    op.create_table(
        "gateanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("candidate_answer", sa.Text(), nullable=False),
        sa.Column("current_answer", sa.Text(), nullable=False),
        sa.Column("candidate_score", sa.Float(), nullable=False),
        sa.Column("current_score", sa.Float(), nullable=False),
        sa.Column("correction", sa.Boolean(), nullable=False),
        sa.Column("candidate_right", sa.Boolean(), nullable=True),
        sa.Column("current_right", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["tuningrun.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gateanswer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gateanswer_run_id"), ["run_id"], unique=False)
    with op.batch_alter_table("example", schema=None) as batch_op:
        batch_op.create_index("ix_example_status", ["status"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        _search_index()


SEARCH_TRIGGERS = {
    "example_search_insert": (
        "AFTER INSERT ON example BEGIN "
        "INSERT INTO example_search(rowid, question, answer) "
        "VALUES (new.id, new.question, new.answer); END"
    ),
    "example_search_delete": (
        "AFTER DELETE ON example BEGIN "
        "INSERT INTO example_search(example_search, rowid, question, answer) "
        "VALUES ('delete', old.id, old.question, old.answer); END"
    ),
    "example_search_update": (
        "AFTER UPDATE OF question, answer ON example BEGIN "
        "INSERT INTO example_search(example_search, rowid, question, answer) "
        "VALUES ('delete', old.id, old.question, old.answer); "
        "INSERT INTO example_search(rowid, question, answer) "
        "VALUES (new.id, new.question, new.answer); END"
    ),
}


def _search_index() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE example_search USING fts5("
        "question, answer, content='example', content_rowid='id', tokenize='trigram')"
    )
    op.execute("INSERT INTO example_search(example_search) VALUES ('rebuild')")
    for name, body in SEARCH_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SEARCH_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS example_search")
    with op.batch_alter_table("example", schema=None) as batch_op:
        batch_op.drop_index("ix_example_status")
    with op.batch_alter_table("gateanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gateanswer_run_id"))

    op.drop_table("gateanswer")
    with op.batch_alter_table("consolesession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consolesession_user_id"))

    op.drop_table("consolesession")
    op.drop_table("consolelink")
    op.drop_table("auditentry")
