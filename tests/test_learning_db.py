"""The learning data in the database: the migration over existing rows, vectors round trip,
and a changed embedder re-embedding instead of mixing vector spaces (SQLite and PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session, select

from bot import store, vectors
from bot.app import build_core
from bot.config import Settings
from bot.db import alembic_config, make_engine, migrate, session_scope
from bot.embeddings import LOCAL_TAG, LocalE5
from bot.tables import Example, ExampleStatus, ExampleVector, Reply, ReplyOutcome
from tests.support.cli import run
from tests.support.openai_server import FakeOpenAI


def test_the_migration_keeps_existing_replies_and_examples(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO conversation (channel, chat_id, thread_id, created_at) "
                "VALUES ('console', 'c', '', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO message (conversation_id, role, user_id, text, created_at) "
                "VALUES (1, 'user', 'console:a', 'hi', '2026-01-01')"
            )
        )
        for ok in (True, False):
            connection.execute(
                text(
                    "INSERT INTO reply (conversation_id, message_id, channel, chat_id, prompt, "
                    "text, ok, backend, model_id, latency_ms, prompt_tokens, completion_tokens, "
                    "created_at) VALUES (1, 1, 'console', 'c', '[]', 'x', :ok, 'examples', "
                    "'examples', 0, 0, 0, '2026-01-01')"
                ),
                {"ok": ok},
            )
        connection.execute(
            text(
                "INSERT INTO example (question, prompt, answer, source, status, content_hash, "
                "question_hash, conversation_key, created_by, created_at, updated_at) VALUES "
                "('q', '[]', 'a', 'imported', 'accepted', 'h', 'qh', '', '', '2026-01-01', "
                "'2026-01-01')"
            )
        )
    migrate(engine)
    with engine.connect() as connection:
        outcomes = connection.execute(text("SELECT outcome FROM reply ORDER BY id")).all()
    with Session(engine) as session:
        replies = session.exec(select(Reply).order_by(Reply.id)).all()  # type: ignore[arg-type]
        example = session.exec(select(Example)).one()
    engine.dispose()
    assert [row[0] for row in outcomes] == ["answered", "error"]
    assert [(r.outcome, r.used_examples) for r in replies] == [
        (ReplyOutcome.answered, []),
        (ReplyOutcome.error, []),
    ]
    assert example.phrasings == [] and example.import_batch_id is None


def test_vectors_round_trip_through_the_database(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    embedder = LocalE5()
    with session_scope(engine) as session:
        example = store.save_example(
            session,
            store.new_example(
                prompt=[{"role": "user", "content": "¿Abrís los domingos?"}],
                answer="No, de lunes a sábado.",
                source="imported",  # type: ignore[arg-type]
                status=ExampleStatus.accepted,
            ),
        )
        texts = vectors.ExampleTexts(example.id or 0, example.question, example.answer)
        made = vectors.store_vectors(session.connection(), embedder, [texts])
    with engine.connect() as connection:
        back = list(store.vectors_on(connection, embedder=LOCAL_TAG))
    engine.dispose()
    assert sorted((v.kind, v.text_hash) for v in back) == sorted(
        (v.kind, v.text_hash) for v in made[example.id or 0]
    )
    direct = embedder.passages(["¿Abrís los domingos?"])[0]
    stored = np.frombuffer(next(v.vector for v in back if v.kind == "question"), np.float16)
    assert np.allclose(stored.astype(np.float32), direct, atol=2e-3)
    assert vectors.is_fresh(texts, back)


def test_a_changed_embedder_embeds_again_instead_of_mixing_vectors(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reply = run(capsys, "ask", "--json", "Do you ship to Italy?").json()["reply_id"]
    assert run(capsys, "feedback", str(reply), "--fix", "Yes: 3–5 days.").code == 0

    monkeypatch.setenv("EMBEDDINGS_BACKEND", "openai")
    monkeypatch.setenv("EMBEDDINGS_MODEL", "fake-embed")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("EMBEDDINGS_API_KEY", "sk-test")
    monkeypatch.setenv("RETRIEVAL_MIN_SCORE", "0.5")  # the fake's vectors: not e5's scale
    embedded = run(capsys, "embed")
    assert embedded.code == 0, embedded.err
    assert "Embedded 1 examples with openai:fake-embed" in embedded.out
    inputs = [item for request in fake_openai.embedding_requests() for item in request["input"]]
    assert inputs == ["Do you ship to Italy?", "Yes: 3–5 days."]

    core = build_core(Settings())
    try:
        with Session(core.engine) as session:
            tags = set(session.exec(select(ExampleVector.embedder)).all())
        assert tags == {LOCAL_TAG, "openai:fake-embed"}
        asked = len(fake_openai.embedding_requests())
        core.knowledge.refresh()  # a new process: vectors come from the database
        assert len(fake_openai.embedding_requests()) == asked
        from bot.messages import Incoming

        answer = core.responder.answer(
            Incoming(channel="console", chat_id="x", user_id="a", text="Do you ship to Italy?")
        )
        assert "3–5 days" in answer.text
        assert answer.outcome in (ReplyOutcome.answered, ReplyOutcome.transparent)
        assert len(fake_openai.embedding_requests()) == asked + 1  # only the question
    finally:
        core.engine.dispose()
