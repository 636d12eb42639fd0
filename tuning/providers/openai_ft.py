"""OpenAI fine-tuning jobs through the `openai` client: upload, create, poll, cancel.

The same calls run against any service that offers OpenAI's `files` and
`fine_tuning.jobs` API (Azure OpenAI's v1 API, and others that say they do):
`TUNING_BASE_URL` and `TUNING_API_KEY` point the jobs there, and default to the
chat settings (`OPENAI_BASE_URL`, `OPENAI_API_KEY`).

Starting is idempotent per run: the uploaded file is named after the run's key
and the job carries it in its metadata, so a process killed between "job
created" and "job id stored" finds the same job again instead of paying for a
second one.

OpenAI stopped accepting new fine-tuning jobs from new organisations, and stops
for everyone on 2027-01-06. That refusal becomes one clear sentence that names
the providers that still work, never a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openai
from pydantic import SecretStr

from bot.backends.openai_chat import client_for
from bot.config import Settings
from bot.errors import BadInput
from tuning.providers.base import JobSpec, JobState, JobStatus, ProviderError

logger = logging.getLogger(__name__)

STATES = {
    "validating_files": JobState.queued,
    "queued": JobState.queued,
    "running": JobState.running,
    "succeeded": JobState.succeeded,
    "failed": JobState.failed,
    "cancelled": JobState.cancelled,
}
REFUSED = (
    "OpenAI refused to start a fine-tuning job ({detail}). OpenAI no longer accepts new "
    "fine-tuning jobs from new organisations, and from 2027-01-06 from anyone. Train with "
    "another provider: `afina train --provider together` (hosted LoRA on Together AI, "
    "TUNING_PROVIDER=together), `--provider local` (LoRA on your own GPU) or "
    "`--provider examples` (offline retrieval index, no training)."
)
_REFUSAL_HINTS = ("not available", "no longer", "unavailable", "deprecat", "not allowed")
RUN_KEY = "afina_run"


def is_refusal(exc: openai.APIStatusError) -> bool:
    """A refusal to fine-tune at all, as opposed to a bad request for this one job."""
    if exc.status_code == 403:
        return True
    text = f"{getattr(exc, 'code', '') or ''} {_message(exc)}".lower().replace("_", "-")
    about_fine_tuning = "fine-tun" in text
    return (
        exc.status_code in {400, 404}
        and about_fine_tuning
        and any(h in text for h in _REFUSAL_HINTS)
    )


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return exc.message


def translate(
    exc: openai.OpenAIError, doing: str, *, who: str = "OpenAI", key: str = "OPENAI_API_KEY"
) -> ProviderError:
    """An `openai` error as a sentence a person can act on (never the key)."""
    if isinstance(exc, openai.APIStatusError):
        detail = f"HTTP {exc.status_code}: {_message(exc)}"
        if exc.status_code == 401:
            return ProviderError(f"{who} rejected the API key while {doing}: check {key}.")
        if exc.status_code == 429 or exc.status_code >= 500:
            return ProviderError(f"{who} is busy ({detail}) while {doing}.", retry=True)
        return ProviderError(f"{who} refused {doing} ({detail}).")
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return ProviderError(f"{who} could not be reached while {doing}.", retry=True)
    return ProviderError(f"{who} error while {doing}: {type(exc).__name__}.")


def tuning_endpoint(settings: Settings) -> tuple[str | None, SecretStr | None, str]:
    """Where fine-tuning jobs go, with which key, and the setting that names that key."""
    base = settings.tuning_base_url or settings.openai_base_url
    if settings.tuning_api_key:
        return base, settings.tuning_api_key, "TUNING_API_KEY"
    return base, settings.openai_api_key, "OPENAI_API_KEY"


def service_name(base_url: str | None) -> str:
    """`OpenAI` for OpenAI itself, else the host the jobs go to (`x.openai.azure.com`)."""
    host = urlsplit(base_url).hostname if base_url else None
    return "OpenAI" if host in (None, "api.openai.com") else host


class OpenAIProvider:
    name = "openai"

    def __init__(self, settings: Settings, client: openai.OpenAI | None = None) -> None:
        self.settings = settings
        base, key, self.key_name = tuning_endpoint(settings)
        self.who = service_name(base)
        if client is None and key is None and base is None:  # OpenAI itself: never keyless
            raise BadInput(
                f"TUNING_PROVIDER=openai trains at OpenAI, which needs a key: set {self.key_name} "
                "(or TUNING_BASE_URL for another OpenAI-compatible service)."
            )
        self.client = client or client_for(settings, base, key)
        self.seen_event: dict[str, str] = {}  # job id -> newest event id already reported

    def _translate(self, exc: openai.OpenAIError, doing: str) -> ProviderError:
        return translate(exc, doing, who=self.who, key=self.key_name)

    # --- start -------------------------------------------------------------
    def start(self, spec: JobSpec) -> str:
        try:
            existing = self._find(spec.run_key) if spec.run_key else None
            if existing is not None:
                logger.info("run %s already has OpenAI job %s", spec.run_id, existing)
                return existing
            training = self._upload(spec.train_file, spec.run_key, "train")
            validation = (
                self._upload(spec.validation_file, spec.run_key, "validation")
                if spec.validation_file
                else None
            )
            return self._create(spec, training, validation)
        except openai.APIStatusError as exc:
            if is_refusal(exc):
                raise ProviderError(REFUSED.format(detail=_message(exc))) from None
            raise self._translate(exc, "starting the fine-tuning job") from None
        except openai.OpenAIError as exc:
            raise self._translate(exc, "starting the fine-tuning job") from None

    def _find(self, run_key: str) -> str | None:
        page = self.client.fine_tuning.jobs.list(metadata={RUN_KEY: run_key}, limit=10)
        for job in page.data:
            if (job.metadata or {}).get(RUN_KEY) == run_key and job.status != "cancelled":
                return job.id
        return None

    def _upload(self, path: Path, run_key: str, kind: str) -> str:
        name = f"afina-{run_key or 'export'}-{kind}.jsonl"
        size = path.stat().st_size
        if run_key:  # a restart after the upload reuses the file
            for known in self.client.files.list(purpose="fine-tune"):
                if known.filename == name and known.bytes == size:
                    return known.id
        with path.open("rb") as handle:
            uploaded = self.client.files.create(file=(name, handle), purpose="fine-tune")
        return uploaded.id

    def _create(self, spec: JobSpec, training: str, validation: str | None) -> str:
        method: dict[str, Any] = {"type": spec.method}
        if spec.hyperparameters:
            method[spec.method] = {"hyperparameters": spec.hyperparameters}
        metadata = {**spec.metadata, RUN_KEY: spec.run_key} if spec.run_key else spec.metadata
        job = self.client.fine_tuning.jobs.create(
            model=spec.base_model,
            training_file=training,
            validation_file=validation,
            method=method,  # type: ignore[arg-type]
            suffix=spec.suffix,
            seed=spec.seed,
            metadata=metadata or None,
        )
        return job.id

    # --- poll / cancel -----------------------------------------------------
    def poll(self, job_id: str) -> JobStatus:
        try:
            job = self.client.fine_tuning.jobs.retrieve(job_id)
            events = self._new_events(job_id)
        except openai.OpenAIError as exc:
            raise self._translate(exc, f"checking job {job_id}") from None
        state = STATES.get(job.status, JobState.running)
        error = None
        if state == JobState.failed:
            error = job.error.message if job.error else "the job failed without a reason"
        files = [f for f in (job.training_file, job.validation_file) if f]
        return JobStatus(
            state=state,
            model_id=job.fine_tuned_model,
            trained_tokens=job.trained_tokens or 0,
            events=events,
            error=error,
            metrics={"status": job.status, "result_files": list(job.result_files or [])},
            file_ids=files,
        )

    def _new_events(self, job_id: str) -> list[str]:
        """Events since the last poll, oldest first (the API lists newest first)."""
        page = self.client.fine_tuning.jobs.list_events(job_id, limit=100)
        fresh = []
        last = self.seen_event.get(job_id)
        for event in page.data:
            if event.id == last:
                break
            fresh.append(event)
        if page.data:
            self.seen_event[job_id] = page.data[0].id
        return [e.message for e in reversed(fresh)]

    def cancel(self, job_id: str) -> None:
        try:
            self.client.fine_tuning.jobs.cancel(job_id)
        except openai.OpenAIError as exc:
            raise self._translate(exc, f"cancelling job {job_id}") from None
