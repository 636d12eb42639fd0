"""Where the desk stands, for a reviewer's overview (Slack's Home tab, the console's home).

Open items by kind and the oldest few of them, questions the bot could not answer
this week, the model answering and its last gate scores, and the next retrain against
the new examples it needs: all read from the database (the next retrain from the
scheduler's job store, as `afina status` reads it), so no worker is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import store
from bot.db import session_scope
from bot.desk.actions import view
from bot.desk.views import ItemCard
from bot.store import desk as store_desk
from bot.tables import utcnow

if TYPE_CHECKING:
    from bot.app import Core

WEEK = timedelta(days=7)
SHOWN = 10  # open items listed


@dataclass(frozen=True)
class Scored:
    """The last run the gate scored: its candidate against the model answering then."""

    run_id: int
    state: str
    metric: str
    candidate: float
    current: float


@dataclass(frozen=True)
class Overview:
    open_counts: dict[str, int]
    unanswered_this_week: int
    answering: str  # `ft:gpt-4.1-mini:… (openai)`
    answering_version: int | None
    last_scored: Scored | None
    next_retrain: datetime | None
    new_examples: int
    needed: int
    items: list[ItemCard] = field(default_factory=list)

    @property
    def open_total(self) -> int:
        return sum(self.open_counts.values())


def overview(core: Core, *, shown: int = SHOWN) -> Overview:
    from bot.responder import choose_target
    from bot.scheduler import stored_jobs
    from tuning.schedule import RETRAIN_JOB, new_examples

    settings = core.settings
    with session_scope(core.engine) as session:
        counts = store_desk.count_open(session)
        week = store_desk.count_unanswered_since(session, since=utcnow() - WEEK)
        items = [view(session, item) for item in store_desk.open_items(session, limit=shown)]
        active = store.active_version(session)
        scored = _last_scored(store.list_runs(session, limit=10))
    target = choose_target(settings, active)
    return Overview(
        open_counts=counts,
        unanswered_this_week=week,
        answering=f"{target.model} ({target.backend})",
        answering_version=target.version_id or None,
        last_scored=scored,
        next_retrain=stored_jobs(core.engine).get(RETRAIN_JOB),
        new_examples=new_examples(core, settings.tuning_provider),
        needed=settings.retrain_min_new_examples,
        items=items,
    )


def _last_scored(runs: Any) -> Scored | None:
    for run in runs:
        scores = run.scores or {}
        if isinstance(scores.get("candidate"), int | float):
            current = scores.get("current", 0)
            return Scored(
                run_id=run.id,
                state=str(run.state),
                metric=str(scores.get("metric", "?")),
                candidate=float(scores["candidate"]),
                current=float(current) if isinstance(current, int | float) else 0.0,
            )
    return None
