"""Model versions, tuning runs and their events: the record of every retrain.

One way of writing queries here: ORM objects in the caller's `Session`. A run is
a state machine whose steps read a row, change a few fields and save it in one
transaction (`bot.db.session_scope`); versions are a handful of rows. None of it
is on an answer's path (that reads the active version with one Core statement,
`bot.store.conversations.active_version_on`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.errors import NotFound
from bot.store.ids import by_id
from bot.tables import FINAL_RUN_STATES, ModelVersion, RunState, TuningEvent, TuningRun, utcnow

# --- model versions --------------------------------------------------------------


def active_version(session: Session) -> ModelVersion | None:
    return session.exec(
        select(ModelVersion).where(col(ModelVersion.active).is_(True)).limit(1)
    ).first()


def version_by_model_id(session: Session, *, model_id: str) -> ModelVersion | None:
    """The newest version answering as `model_id` (ids are unique in practice)."""
    return session.exec(
        select(ModelVersion)
        .where(ModelVersion.model_id == model_id)
        .order_by(col(ModelVersion.id).desc())
        .limit(1)
    ).first()


def list_versions(session: Session) -> Sequence[ModelVersion]:
    return session.exec(select(ModelVersion).order_by(col(ModelVersion.id))).all()


def get_version(session: Session, *, version_id: int) -> ModelVersion:
    version = by_id(session, ModelVersion, version_id)
    if version is None:
        raise NotFound(f"No model version {version_id}: `afina models` lists them.")
    return version


def activate_version(session: Session, *, version_id: int) -> ModelVersion:
    """Make one version active and every other inactive, in one transaction."""
    version = get_version(session, version_id=version_id)
    session.execute(
        update(ModelVersion).where(col(ModelVersion.id) != version_id).values(active=False)
    )
    version.active = True
    version.activated_at = utcnow()
    session.add(version)
    session.flush()
    return version


def add_version(session: Session, version: ModelVersion, *, activate: bool) -> ModelVersion:
    version.active = False
    session.add(version)
    session.flush()
    if activate:
        activate_version(session, version_id=version.id or 0)
    return version


def version_for_run(session: Session, *, run_id: int) -> ModelVersion | None:
    return session.exec(select(ModelVersion).where(ModelVersion.run_id == run_id)).first()


# --- tuning runs and their events --------------------------------------------------


def add_run(session: Session, run: TuningRun) -> TuningRun:
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, *, run_id: int) -> TuningRun:
    run = by_id(session, TuningRun, run_id)
    if run is None:
        raise NotFound(f"No training run {run_id}: `afina runs` lists them.")
    return run


def save_run(session: Session, run: TuningRun) -> TuningRun:
    run.updated_at = utcnow()
    session.add(run)
    session.flush()
    return run


def list_runs(session: Session, *, limit: int = 20) -> Sequence[TuningRun]:
    return session.exec(select(TuningRun).order_by(col(TuningRun.id).desc()).limit(limit)).all()


def open_runs(session: Session) -> Sequence[TuningRun]:
    """Runs not yet in a final state, oldest first."""
    final = [state.value for state in FINAL_RUN_STATES]
    return session.exec(
        select(TuningRun).where(col(TuningRun.state).not_in(final)).order_by(col(TuningRun.id))
    ).all()


def last_run(session: Session, *, provider: str, states: Sequence[RunState]) -> TuningRun | None:
    return session.exec(
        select(TuningRun)
        .where(TuningRun.provider == provider)
        .where(col(TuningRun.state).in_([s.value for s in states]))
        .order_by(col(TuningRun.id).desc())
        .limit(1)
    ).first()


def add_run_event(session: Session, *, run_id: int, message: str, level: str = "info") -> None:
    session.add(TuningEvent(run_id=run_id, message=message, level=level))
    session.flush()


def run_events(session: Session, *, run_id: int, after_id: int = 0) -> Sequence[TuningEvent]:
    return session.exec(
        select(TuningEvent)
        .where(TuningEvent.run_id == run_id)
        .where(col(TuningEvent.id) > after_id)
        .order_by(col(TuningEvent.id))
    ).all()
