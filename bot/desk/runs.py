"""Roll back and Promote anyway, from a run's announcement: reviewers only, once each.

Each button is about its own run: Roll back acts only while that run's version is the
one answering (a second press, or a press after `afina rollback`, says so and changes
nothing), and Promote anyway only while that version is kept and not answering. Both
go through `tuning.registry` (the provider's activation hook included), are written to
the console's audit trail with who did it, and update the run's announcement
everywhere it was posted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.db import session_scope
from bot.desk.actions import check_reviewer
from bot.desk.reports import RunReport, report_for
from bot.desk.wording import ENGLISH, Words
from bot.errors import BadInput
from bot.store import console as store_console
from bot.tables import utcnow

if TYPE_CHECKING:
    from bot.app import Core


def _report(core: Core, run_id: int) -> RunReport:
    with session_scope(core.engine) as session:
        return report_for(session, run_id=run_id)


def roll_back(core: Core, *, run_id: int, user: str, words: Words = ENGLISH) -> str:
    """Back to the version this run's replaced; what the reviewer is told (in `words`)."""
    from tuning import registry
    from tuning.providers.base import ProviderError

    check_reviewer(core, user, words)
    report = _report(core, run_id)
    if not report.can_roll_back:
        version = report.version_id or "-"
        raise BadInput(words.say("run.cannot_roll_back", run=run_id, version=version))
    try:
        was, now = registry.rollback(core)
    except ProviderError as exc:
        raise BadInput(exc.message) from None
    _audit(core, user, "rolled back", f"version:{was.id}", f"run #{run_id}; now version {now.id}")
    note = (
        f"Rolled back by {user} at {utcnow():%Y-%m-%d %H:%M} UTC: version {now.id} answers again."
    )
    core.desk.refresh_run(run_id, note)
    return words.say("run.rolled_back", version=now.id, model=now.model_id)


def promote_anyway(core: Core, *, run_id: int, user: str, words: Words = ENGLISH) -> str:
    """Ship the version the gate kept back; what the reviewer is told (in `words`)."""
    from tuning import registry
    from tuning.providers.base import ProviderError

    check_reviewer(core, user, words)
    report = _report(core, run_id)
    if not report.can_promote or report.version_id is None:
        raise BadInput(words.say("run.cannot_promote", run=run_id))
    try:
        version = registry.promote(core, report.version_id)
    except ProviderError as exc:
        raise BadInput(exc.message) from None
    _audit(core, user, "promoted", f"version:{version.id}", f"anyway, from run #{run_id}")
    note = (
        f"Promoted anyway by {user} at {utcnow():%Y-%m-%d %H:%M} UTC: version {version.id} answers."
    )
    core.desk.refresh_run(run_id, note)
    return words.say("run.promoted_told", version=version.id, model=version.model_id)


def _audit(core: Core, user: str, action: str, target: str, detail: str) -> None:
    with session_scope(core.engine) as session:
        store_console.add_audit(session, user_id=user, action=action, target=target, detail=detail)
