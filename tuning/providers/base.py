"""What every fine-tuning provider offers a tuning run.

A provider turns a training file into a model id that the `openai` client (or
the in-process backend) can answer with. Jobs are asynchronous: `start` returns
a job id that is stored on the run *before* anything else happens, so a process
killed mid-run resumes by polling the same job and never starts a second one.
`start` should itself be idempotent for one run (the OpenAI provider looks for
a job tagged with the run's key first), for the rare kill between the provider
creating the job and the run storing its id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from bot.tables import ModelVersion


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
    train_file: Path  # OpenAI chat SFT JSONL (supervised) or OpenAI DPO JSONL (dpo)
    validation_file: Path | None
    base_model: str  # the model to continue from: the active tuned model, or the base
    suffix: str
    seed: int
    metadata: dict[str, str] = field(default_factory=dict)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    # Every file the dataset step wrote, by kind: "sft", "dpo", "messages" (plain
    # {"messages": [...]} rows for Hugging Face `datasets`), "holdout", "report".
    files: dict[str, Path] = field(default_factory=dict)
    run_key: str = ""  # unique across databases; tags the provider's job for idempotent starts


@dataclass(frozen=True)
class JobStatus:
    state: JobState
    model_id: str | None = None  # set when succeeded: what the backend is asked for
    trained_tokens: int = 0
    cost_usd: float | None = None  # what the provider billed, when it says; else estimated
    events: list[str] = field(default_factory=list)  # new, human-readable lines since last poll
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    artifact_path: str | None = None  # e.g. a LoRA adapter folder
    file_ids: list[str] = field(default_factory=list)  # what the provider stores for the job


class ProviderError(Exception):
    """The provider refused or failed; `message` says what to do, without secrets.

    `retry=True` marks a passing trouble (network, 5xx): the run keeps its
    state and tries the same step again on the next poll instead of failing.
    """

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry


class Provider(Protocol):
    name: str

    def start(self, spec: JobSpec) -> str:
        """Upload what is needed and start the job; return the provider's job id."""
        ...

    def poll(self, job_id: str) -> JobStatus: ...

    def cancel(self, job_id: str) -> None: ...


@runtime_checkable
class Activates(Protocol):
    """Optional hook: make a version servable (`tuning.registry.make_servable` calls it).

    Called before the gate asks a candidate anything, and on promote and
    rollback before the database switches the active version, so a failure
    leaves the old version answering. The self-hosted provider loads the
    version's LoRA adapter into the serving process here. The hook may also
    take the two fields it needs: `activate(model_id, artifact_path)`.
    """

    def activate(self, version: ModelVersion) -> None: ...


@dataclass(frozen=True)
class Rules:
    """What a provider accepts in a training file; `tuning.dataset` drops what breaks them."""

    min_examples: int = 10
    max_example_tokens: int = 4096
    roles: frozenset[str] = frozenset({"system", "user", "assistant"})


def gated(provider: object) -> bool:
    """Whether promotion waits for the evaluation gate (a provider may say `gated = False`)."""
    return bool(getattr(provider, "gated", True))
