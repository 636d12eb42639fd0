"""What every fine-tuning provider offers a tuning run.

A provider turns a training file into a model id that the `openai` client (or
the in-process backend) can answer with. Jobs are asynchronous: `start` returns
a job id that is stored on the run *before* anything else happens, so a process
killed mid-run resumes by polling the same job and never starts a second one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


@dataclass(frozen=True)
class JobSpec:
    run_id: int
    method: str  # supervised | dpo
    train_file: Path
    validation_file: Path | None
    base_model: str  # the model to continue from: the active tuned model, or the base
    suffix: str
    seed: int
    metadata: dict[str, str] = field(default_factory=dict)
    hyperparameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobStatus:
    state: JobState
    model_id: str | None = None  # set when succeeded: what the backend is asked for
    trained_tokens: int = 0
    events: list[str] = field(default_factory=list)  # new, human-readable lines since last poll
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    artifact_path: str | None = None  # e.g. a LoRA adapter folder


class ProviderError(Exception):
    """The provider refused or failed; `message` says what to do, without secrets."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Provider(Protocol):
    name: str

    def start(self, spec: JobSpec) -> str:
        """Upload what is needed and start the job; return the provider's job id."""
        ...

    def poll(self, job_id: str) -> JobStatus: ...

    def cancel(self, job_id: str) -> None: ...
