"""The periodic jobs: advance unfinished runs, and retrain when enough is new.

`poll_runs` is the scheduler's poll job: it moves every unfinished run as far
as it goes without waiting, whichever process started it. `retrain_if_due`
is the weekly job (`RETRAIN_CRON`): it starts a run only when at least
`RETRAIN_MIN_NEW_EXAMPLES` accepted examples arrived since the last run that
used the data (promoted or rejected), so an idle week costs nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot import store
from bot.app import Core
from bot.db import session_scope
from bot.tables import RunState, TuningRun
from tuning.runs import SNAPSHOT_OVERLAP, Runs

logger = logging.getLogger(__name__)


def poll_runs(runs: Runs) -> list[TuningRun]:
    return runs.advance_open()


def new_examples(core: Core, provider: str) -> int:
    """Accepted examples that no finished run of `provider` has considered yet."""
    with session_scope(core.engine) as session:
        upto = store.max_example_id(session)
        last = store.last_run(
            session, provider=provider, states=[RunState.promoted, RunState.rejected]
        )
        if last is None:
            return store.count_snapshot(session, upto_id=upto)
        since = last.created_at
        if last.metrics.get("snapshot_at"):
            since = datetime.fromisoformat(last.metrics["snapshot_at"])
        return store.count_new_examples(
            session,
            upto_id=upto,
            after_id=last.max_example_id,
            since=since - SNAPSHOT_OVERLAP,
            seen=last.metrics.get("recent_ids", []),
        )


def retrain_if_due(runs: Runs) -> TuningRun | None:
    """Start the periodic retrain when enough is new; returns the run started, if any."""
    core = runs.core
    provider = core.settings.tuning_provider
    with session_scope(core.engine) as session:
        if store.open_runs(session):
            logger.info("a run is still going; the periodic retrain waits for it")
            return None
    fresh = new_examples(core, provider)
    if fresh < core.settings.retrain_min_new_examples:
        logger.info(
            "only %d new accepted examples (RETRAIN_MIN_NEW_EXAMPLES=%d): no retrain this time",
            fresh,
            core.settings.retrain_min_new_examples,
        )
        return None
    run, _created = runs.start(provider=provider)
    return runs.follow(run.id or 0, until_waiting=True)


def build_scheduler(runs: Runs) -> Any:
    """An APScheduler `BackgroundScheduler` with the weekly retrain and the poll job."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    settings = runs.core.settings
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        retrain_if_due,
        CronTrigger.from_crontab(settings.retrain_cron, timezone="UTC"),
        args=[runs],
        id="retrain",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        poll_runs,
        "interval",
        seconds=max(settings.tuning_poll_interval_s, 1.0),
        args=[runs],
        id="poll-runs",
        max_instances=1,
        coalesce=True,
    )
    return scheduler
