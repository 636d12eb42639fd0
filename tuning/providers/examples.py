"""The offline `examples` provider: "training" re-reads the accepted examples into the index.

There is no model to fit: the retrieval index *is* the model, and it already
serves every accepted example the moment it is accepted. A run still goes
through the same records as a real fine-tune (a run, a new version with its
parent and holdout scores) so history and rollback look the same for every
provider. Its promotion does not wait for the gate (`gated = False`): the
candidate and the current version answer from the very same index, so the
comparison can only ever tie.
"""

from __future__ import annotations

from bot.knowledge import Knowledge
from tuning.providers.base import JobSpec, JobState, JobStatus

PREFIX = "examples-run-"


class ExamplesProvider:
    name = "examples"
    gated = False
    continues = False  # nothing to continue from: every run reads every accepted example

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.sizes: dict[str, int] = {}

    def start(self, spec: JobSpec) -> str:
        job_id = f"{PREFIX}{spec.run_id}"
        self.sizes[job_id] = self.knowledge.rebuild()
        return job_id

    def poll(self, job_id: str) -> JobStatus:
        run_id = job_id.removeprefix(PREFIX)
        size = self.sizes.pop(job_id, None)
        events = [] if size is None else [f"retrieval index rebuilt over {size} accepted examples"]
        return JobStatus(state=JobState.succeeded, model_id=f"examples-v{run_id}", events=events)

    def cancel(self, job_id: str) -> None:
        """Nothing runs in the background; there is nothing to stop."""
