"""Telling people a training run ended: one small interface, `RunNotifier`.

`tuning.runs.Runs` calls it once when a run ends: the log (`LoggingNotifier`) and
the review desk (`bot.desk.desk.Desk`, which posts the announcement, with Roll back
or Promote anyway, through every channel's desk end: the Slack review channel and
the Telegram reviewers who opted in).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from bot.tables import ModelVersion, RunState, TuningRun

logger = logging.getLogger(__name__)


class RunNotifier(Protocol):
    def notify_run_finished(self, run: TuningRun, version: ModelVersion | None) -> None:
        """Called once when a run reaches promoted, rejected, failed or cancelled."""
        ...


def summary(run: TuningRun, version: ModelVersion | None) -> str:
    """One sentence about how a run ended, fit for a chat message."""
    head = f"Training run #{run.id} ({run.provider})"
    if run.state == RunState.promoted and version is not None:
        return f"{head} is live: {version.model_id} now answers (version {version.id})."
    if run.state == RunState.rejected:
        kept = (
            f" Version {version.id} is kept; `afina promote {version.id}` ships it anyway."
            if version
            else ""
        )
        return f"{head} was not promoted: {run.error}.{kept}"
    if run.state == RunState.cancelled:
        return f"{head} was cancelled."
    return f"{head} failed: {run.error}"


class LoggingNotifier:
    def notify_run_finished(self, run: TuningRun, version: ModelVersion | None) -> None:
        logger.info("%s", summary(run, version))


class Notifiers:
    """Several notifiers as one; a failing one never stops the others or the run."""

    def __init__(self, notifiers: Sequence[RunNotifier]) -> None:
        self.notifiers = list(notifiers)

    def notify_run_finished(self, run: TuningRun, version: ModelVersion | None) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify_run_finished(run, version)
            except Exception:
                logger.exception("notifier %s failed", type(notifier).__name__)
