"""Rows the console shows, made the way the bot makes them (the responder, feedback, the
store), for the page tests, the browser test and the bench."""

from __future__ import annotations

import math

from bot import store
from bot.app import Core
from bot.db import session_scope
from bot.messages import Incoming
from bot.store import console as store_console
from bot.tables import ModelVersion, RunState, TuningRun, utcnow

SHIPPING = "Do you ship to the UK?"


def ask(core: Core, text: str = SHIPPING, *, channel: str = "telegram", user: str = "42") -> int:
    """A customer's question answered through the responder; the reply's id."""
    incoming = Incoming(channel=channel, chat_id=user, user_id=user, text=text)
    return core.responder.answer(incoming).reply_id


def local_run(core: Core, *, steps: int = 60) -> tuple[int, int]:
    """A finished local (LoRA) run as the local provider stores it: the loss per step in
    `metrics.job.loss_per_step`, gate scores, events, a version and the gate's answers."""
    curve = [[step, round(2.6 * math.exp(-step / 18) + 0.35, 4)] for step in range(1, steps + 1)]
    scores = {
        "metric": "chrf",
        "n": 2,
        "candidate": 0.61,
        "current": 0.48,
        "margin": 0.02,
        "corrections": 1,
        "corrections_right": {"candidate": 1, "current": 0},
        "regressions": [],
        "passed": True,
    }
    with session_scope(core.engine) as session:
        run = store.add_run(
            session,
            TuningRun(
                provider="local",
                state=RunState.promoted,
                base_model="/models/qwen2.5-0.5b",
                n_train=120,
                n_new=24,
                n_holdout=12,
                trained_tokens=48_210,
                result_model_id="afina-local-run-1",
                scores=scores,
                metrics={
                    "mode": "incremental",
                    "job": {"loss_per_step": curve, "tokens_per_s": 812.5},
                },
                finished_at=utcnow(),
            ),
        )
        run_id = run.id or 0
        for line in (
            "collecting 120 examples",
            "local job started",
            "gate: candidate scored 0.610",
        ):
            store.add_run_event(session, run_id=run_id, message=line)
        version = store.add_version(
            session,
            ModelVersion(
                provider="local", model_id="afina-local-run-1", run_id=run_id, scores=scores
            ),
            activate=False,
        )
        store_console.add_gate_answers(
            session,
            run_id=run_id,
            rows=[
                {
                    "example_id": 1,
                    "question": "¿Hacéis envíos a Canarias?",
                    "reference": "Sí, enviamos a Canarias en 5-7 días laborables.",
                    "candidate_answer": "Sí, a Canarias llegamos en 5-7 días laborables 🌿",
                    "current_answer": "Enviamos a toda España peninsular.",
                    "candidate": 0.71,
                    "current": 0.42,
                    "correction": True,
                    "candidate_right": True,
                    "current_right": False,
                },
                {
                    "example_id": 2,
                    "question": "Is the shampoo bar vegan?",
                    "reference": "Yes, all our products are 100% vegan and cruelty-free.",
                    "candidate_answer": "Yes! Everything we make is vegan and cruelty-free.",
                    "current_answer": "Yes, it is vegan.",
                    "candidate": 0.52,
                    "current": 0.55,
                },
            ],
        )
        return run_id, version.id or 0


def rate(core: Core, reply_id: int, *, user: str, good: bool) -> None:
    """A 👍 or 👎 through the feedback rules."""
    from bot import feedback
    from bot.tables import FeedbackKind

    with session_scope(core.engine) as session:
        kind = FeedbackKind.approve if good else FeedbackKind.reject
        feedback.give(session, core.settings, reply_id=reply_id, user=user, kind=kind)


def suggest(core: Core, reply_id: int, *, user: str, text: str) -> None:
    """A customer's ✏️: a pending example, and the review desk's suggestion item."""
    from bot import feedback
    from bot.tables import FeedbackKind

    with session_scope(core.engine) as session:
        feedback.give(
            session,
            core.settings,
            reply_id=reply_id,
            user=user,
            kind=FeedbackKind.correct,
            corrected_text=text,
        )
