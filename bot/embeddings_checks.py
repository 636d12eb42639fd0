"""`afina doctor`'s look at embeddings: which backend, whether it answers, and the backlog.

Three lines' worth of questions, one line out: is `EMBEDDINGS_BACKEND` set to
something that works (the bundled model loads; an endpoint answers one short
request, asked only when `diagnosis.reach`), and how many accepted examples
still have no vectors from this embedder, so are found by words only, with
the command that fixes it. The count reads the database only once the
database line says it answers.
"""

from __future__ import annotations

from typing import Any

from bot.checks import Diagnosis, plural

NAME = "embeddings"
FIX = "run `afina embed` (or `afina migrate`, which embeds too)"


def checks(diagnosis: Diagnosis) -> None:
    from bot.embeddings import EmbeddingError, make_embedder

    settings = diagnosis.settings
    if settings.embeddings_backend == "none":
        diagnosis.add(
            NAME,
            "ok",
            "none: examples are found by their words only (set EMBEDDINGS_BACKEND=local for "
            "other wordings and the other language)",
        )
        return
    # One short try: the doctor waits `timeout_s`, not the answer path's timeout and retries.
    quick = settings.model_copy(
        update={"openai_timeout_s": diagnosis.timeout_s, "openai_max_retries": 0}
    )
    embedder = make_embedder(quick)
    assert embedder is not None
    where = (
        "local (multilingual-e5-small, bundled)"
        if settings.embeddings_backend == "local"
        else f"openai-compatible {settings.embeddings_model} at "
        f"{settings.embeddings_base_url or settings.openai_base_url or 'api.openai.com'}"
    )
    said = where
    if diagnosis.reach:
        try:
            dimensions = embedder.queries(["ping"]).shape[1]
        except EmbeddingError as exc:
            diagnosis.add(NAME, "fail", f"{where}: {exc}; check EMBEDDINGS_BASE_URL and its key")
            return
        except Exception as exc:  # the bundled model failing to load is one line too
            diagnosis.add(
                NAME,
                "fail",
                f"{where}: the model does not load ({type(exc).__name__}); reinstall with "
                "`uv sync` or set EMBEDDINGS_BACKEND=none",
            )
            return
        said = f"{where} · answers ({dimensions} dimensions)"
    missing = _without_vectors(diagnosis, embedder.tag)
    if missing:
        diagnosis.add(
            NAME,
            "warn",
            f"{said} · {plural(missing, 'accepted example')} without vectors (found by words "
            f"only): {FIX}",
        )
    else:
        diagnosis.add(NAME, "ok", said)


def _without_vectors(diagnosis: Diagnosis, tag: str) -> int:
    """Accepted examples with no vector at all from this embedder (0 when the database is out)."""
    if not diagnosis.has("migrations", "ok"):
        return 0
    from sqlalchemy import create_engine, exists, func, select
    from sqlalchemy.pool import NullPool
    from sqlmodel import col

    from bot.db import parse_url
    from bot.tables import Example, ExampleStatus, ExampleVector

    engine: Any = create_engine(
        parse_url(diagnosis.settings.resolved_database_url), poolclass=NullPool
    )
    vectors = (
        select(col(ExampleVector.id))
        .where(col(ExampleVector.example_id) == col(Example.id))
        .where(col(ExampleVector.embedder) == tag)
    )
    query = (
        select(func.count())
        .select_from(Example)
        .where(col(Example.status) == ExampleStatus.accepted)
        .where(~exists(vectors))
    )
    try:
        with engine.connect() as connection:
            return int(connection.execute(query).scalar() or 0)
    finally:
        engine.dispose()
