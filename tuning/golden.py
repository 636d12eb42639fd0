"""The golden set: what the model answering today says, kept for gating tomorrow's candidates.

A provider or a base model is retired one day (OpenAI stops new fine-tuning
jobs on 2027-01-06); the next candidate is trained somewhere else, and the
model it should not be worse than may no longer answer. `record` asks the
model answering today the reviewed questions (examples a reviewer approved or
corrected) and the held-out ones, the way the gate asks (brand voice +
conversation, no retrieved examples), and stores each answer with the approved
reference. The gate then scores a candidate against these recorded answers:
on golden questions outside the holdout always, and on all of them when the
model answering today cannot answer any more (`tuning.evaluate`).

Questions are redacted before they are stored, as training files are: the
golden set is sent to every later candidate, on whatever provider.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot import store
from bot.app import Core
from bot.backends.base import ModelError
from bot.config import Settings
from bot.db import session_scope
from bot.errors import AfinaError
from bot.responder import choose_target
from bot.tables import ExampleSource, GoldenAnswer
from tuning.dataset import holdout_side
from tuning.evaluate import HoldoutItem, Recorded
from tuning.redact import Redactor

REVIEWED = frozenset({ExampleSource.approved.value, ExampleSource.corrected.value})


@dataclass(frozen=True)
class Question:
    item: HoldoutItem
    kind: str  # reviewed | holdout


def questions(session: Session, settings: Settings, *, limit: int) -> list[Question]:
    """Reviewed and held-out questions, at most `limit`: every correction first, then a sample."""
    redact = Redactor(
        keep=settings.redact_keep, patterns=settings.redact_patterns, voice=settings.voice()
    )
    corrections: list[Question] = []
    others: list[Question] = []
    seen = 0
    sample = random.Random(settings.tuning_seed)
    upto = store.max_example_id(session)
    for example_id, prompt, answer, rejected, source, key, _digest, _at in store.snapshot_rows(
        session, upto_id=upto
    ):
        held = holdout_side(
            key or f"example:{example_id}",
            seed=settings.tuning_seed,
            share=settings.tuning_holdout_share,
        )
        if source not in REVIEWED and not held:
            continue
        if not isinstance(prompt, list) or not prompt or prompt[-1].get("role") != "user":
            continue
        context = [{"role": t["role"], "content": redact(str(t["content"]))} for t in prompt]
        item = HoldoutItem(
            example_id, str(source), context, redact(answer), redact(rejected) if rejected else None
        )
        question = Question(item, "reviewed" if source in REVIEWED else "holdout")
        if item.is_correction and len(corrections) < limit:
            corrections.append(question)
            continue
        seen += 1  # reservoir sampling: every other question has the same chance
        if len(others) < limit:
            others.append(question)
        elif (slot := sample.randrange(seen)) < limit:
            others[slot] = question
    chosen = corrections + sorted(others, key=lambda q: q.item.example_id)
    return chosen[:limit]


def record(
    core: Core, *, limit: int | None = None, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int, str]:
    """Ask the model answering today and store its answers; returns (recording, count, model)."""
    settings = core.settings
    with session_scope(core.engine) as session:
        asked = questions(session, settings, limit=limit or settings.eval_max_items)
        target = choose_target(settings, store.active_version(session))
    if not asked:
        raise AfinaError(
            "No reviewed or held-out questions yet: approve or correct some answers first."
        )
    backend = core.responder.backends(target.backend)
    voice = {"role": "system", "content": settings.voice()}
    answers = []
    for number, question in enumerate(asked, start=1):
        try:
            reply = backend.complete([voice, *question.item.context], model=target.model)
        except ModelError as exc:
            raise AfinaError(
                f"{target.model} could not answer question {number} ({exc}); nothing was stored."
            ) from None
        answers.append(reply.text)
        if progress is not None:
            progress(number, len(asked))
    with session_scope(core.engine) as session:
        number = (session.exec(select(func.max(GoldenAnswer.recording))).one() or 0) + 1
        for question, answer in zip(asked, answers, strict=True):
            item = question.item
            session.add(
                GoldenAnswer(
                    recording=number,
                    example_id=item.example_id,
                    kind=question.kind,
                    source=item.source,
                    context=item.context,
                    reference=item.answer,
                    rejected=item.rejected,
                    answer=answer,
                    model_id=target.model,
                    backend=target.backend,
                    version_id=target.version_id,
                )
            )
    return number, len(answers), target.model


def latest(session: Session) -> list[GoldenAnswer]:
    """The rows of the newest recording, by id."""
    newest = session.exec(select(func.max(GoldenAnswer.recording))).one()
    if newest is None:
        return []
    query = select(GoldenAnswer).where(GoldenAnswer.recording == newest)
    return list(session.exec(query.order_by(col(GoldenAnswer.id))).all())


def for_gate(engine: Engine, settings: Settings) -> list[Recorded]:
    """The newest golden set as the gate reads it (empty when off or never recorded)."""
    if not settings.eval_golden:
        return []
    with session_scope(engine) as session:
        rows = latest(session)
    return [
        Recorded(
            HoldoutItem(r.example_id or 0, r.source, r.context, r.reference, r.rejected),
            answer=r.answer,
            model=r.model_id,
            recorded_at=r.recorded_at,
        )
        for r in rows[: settings.eval_max_items]
    ]
