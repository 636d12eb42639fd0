"""The offline `examples` provider: "training" re-reads the accepted examples into the index.

There is no model to fit: the retrieval index *is* the model. A run still goes
through the same records as a real fine-tune (a run, a new active version with
its parent) so the history and rollback look the same for every provider.
"""

from __future__ import annotations

from sqlmodel import Session

from bot import store
from bot.app import Core
from bot.db import session_scope
from bot.tables import ExampleStatus, ModelVersion, RunState, TuningEvent, TuningRun, utcnow


def train_examples(core: Core) -> tuple[TuningRun, ModelVersion]:
    with session_scope(core.engine) as session:
        parent = store.active_version(session)
        run = TuningRun(provider="examples", state=RunState.collecting, base_model="examples")
        run.parent_version_id = parent.id if parent else None
        session.add(run)
        session.flush()
        _event(session, run, "collecting accepted examples")
    size = core.knowledge.rebuild()
    with session_scope(core.engine) as session:
        run = session.get(TuningRun, run.id) or run
        run.n_train = store.count_examples(session, status=ExampleStatus.accepted)
        run.state = RunState.promoted
        run.finished_at = run.updated_at = utcnow()
        number = len(store.list_versions(session)) + 1
        version = store.add_version(
            session,
            ModelVersion(
                provider="examples",
                model_id=f"examples-v{number}",
                base_model="examples",
                parent_id=run.parent_version_id,
                run_id=run.id,
                note=f"retrieval index over {size} accepted examples",
            ),
            activate=True,
        )
        run.result_model_id = version.model_id
        session.add(run)
        _event(session, run, f"index rebuilt with {size} examples; {version.model_id} active")
    return run, version


def _event(session: Session, run: TuningRun, message: str) -> None:
    session.add(TuningEvent(run_id=run.id or 0, message=message))
