"""The `together` provider: LoRA fine-tuning on Together AI, served on its OpenAI-compatible API.

**REST over `httpx`, not the official `together` SDK.** The SDK (3.1.1, checked
here) installs from PyPI, but it pins `rich<15` where afina locks rich 15, and
brings six packages afina does not otherwise install (cyclopts, detect-agent,
docstring-parser, rich-rst, distro, types-pyyaml). Its
`fine_tuning.create` also makes calls of its own first (model limits, a price
estimate) and fills in defaults client-side, so what a job was created with
would be the SDK's choice, not ours. A run needs a dozen calls, all documented in
Together's OpenAPI spec; `httpx` is already installed (python-telegram-bot
uses it), the fake in the tests speaks exactly those documented shapes, and
every refusal is turned into one sentence in one place (`together_api`).

**A job per run, once.** The job's `suffix` carries the run's key and the
uploaded file is named after it: a process killed between "job created" and
"job id stored" finds the job (`GET /fine-tunes`) instead of paying for a
second one, and a restart after the upload reuses the file.

**Continuing.** An incremental run continues the active version's job:
`from_checkpoint` is that job's id (found by its output model name), the
`model` its base model, the training type (LoRA rank) the same; the file holds
the new examples plus the replay sample, as for OpenAI.

**Serving.** A version's model id is the job's `model_output_name`, which the
`openai` backend asks for at `TOGETHER_BASE_URL` (`bot.app`'s `together`
backend). Together serves LoRA adapters of some base models serverless, billed
per token; other models (and full fine-tunes) only on a dedicated endpoint,
billed by the hour whether used or not. afina never creates one: `activate`
asks the model for one token before the gate, and on promote and rollback,
and where Together wants a dedicated endpoint the run ends with a message that
says what to do.

Trained tokens are the job's `token_count`; its cost is `total_price`, which
Together gives in nanodollars.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.errors import BadInput
from tuning.exports import together_file
from tuning.providers.base import JobSpec, JobState, JobStatus, ProviderError
from tuning.providers.together_api import TogetherAPI, message_of

if TYPE_CHECKING:
    from bot.tables import ModelVersion

logger = logging.getLogger(__name__)

STATES = {
    "pending": JobState.queued,
    "queued": JobState.queued,
    "running": JobState.running,
    "compressing": JobState.running,
    "uploading": JobState.running,
    "completed": JobState.succeeded,
    "error": JobState.failed,
    "user_error": JobState.failed,
    "cancel_requested": JobState.cancelled,
    "cancelled": JobState.cancelled,
}
GONE = {"cancelled", "cancel_requested"}
MAX_SUFFIX = 40  # Together: "up to 40 character suffix" in the output model name
LORA_RANK = 16
NANODOLLARS = 1_000_000_000
HYPERPARAMETERS = ("n_epochs", "learning_rate", "batch_size", "warmup_ratio", "max_seq_length")
DEDICATED = (
    "Together trained {model}, but serves it only on a dedicated endpoint, billed by the hour; "
    "afina never starts one for you. Either create that endpoint in Together's dashboard "
    "(https://api.together.ai/models/{model}) and run `afina promote {version}` once it answers, "
    "or retrain on a base model whose LoRA adapters Together serves serverless "
    "(TOGETHER_BASE_MODEL, TOGETHER_TRAINING_TYPE=lora): `afina train --provider together --full`."
)
UNTUNABLE = (
    "Together does not fine-tune {model} (TOGETHER_BASE_MODEL). Models it tunes include "
    "{some}; GET /v1/fine-tunes/models/supported lists them all."
)


class TogetherProvider:
    name = "together"

    def __init__(self, settings: Settings, api: TogetherAPI | None = None) -> None:
        if api is None and not settings.together_api_key:  # before any run is recorded
            raise BadInput(
                "Set TOGETHER_API_KEY (https://api.together.ai/settings/api-keys) to train "
                "with, or answer from, Together AI."
            )
        self.settings = settings
        self.api = api or TogetherAPI(settings)
        self.reported: dict[str, int] = {}  # job id -> events already passed on

    # --- start ---------------------------------------------------------------------
    def start(self, spec: JobSpec) -> str:
        suffix = self.suffix(spec)
        jobs = self.api.fine_tunes()
        for job in jobs:
            if spec.run_key and job.get("suffix") == suffix and job.get("status") not in GONE:
                logger.info("run %s already has Together job %s", spec.run_id, job["id"])
                return str(job["id"])
        parent = self._parent(spec.base_model, jobs)
        kind = "dpo" if spec.method == "dpo" else "sft"
        body: dict[str, Any] = {
            "model": spec.base_model,
            "suffix": suffix,
            "n_epochs": self.settings.together_epochs,
            "training_method": self._method(spec),
            "random_seed": spec.seed,
        }
        if parent is not None:
            body["model"] = parent.get("model") or self.settings.together_base_model
            body["from_checkpoint"] = parent.get("id") or spec.base_model
            body["training_type"] = parent.get("training_type") or self._training_type(None)
        else:
            body["training_type"] = self._training_type(self._limits(spec.base_model))
        body.update({k: v for k, v in spec.hyperparameters.items() if k in HYPERPARAMETERS})
        body["training_file"] = self._upload(together_file(spec.train_file, kind), spec, kind)
        job = self.api.create(body)
        logger.info("Together job %s will be %s", job["id"], _output_name(job))
        return str(job["id"])

    def suffix(self, spec: JobSpec) -> str:
        """`afina-<run key>`, within Together's limit; the run key is kept whole."""
        key = spec.run_key or str(spec.run_id)
        room = MAX_SUFFIX - len(key) - 1
        return f"{spec.suffix[:room]}-{key}" if spec.suffix and room > 0 else key[:MAX_SUFFIX]

    def _parent(self, base_model: str, jobs: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The job that made `base_model` when the run continues a tuned model, else None."""
        for job in jobs:
            if _output_name(job) == base_model:
                return job
        if base_model == self.settings.together_base_model:
            return None
        # A tuned model whose job is no longer listed: Together also takes the output name.
        return {"id": base_model, "model": self.settings.together_base_model}

    def _limits(self, model: str) -> dict[str, Any]:
        limits = self.api.limits(model)
        if limits is None:
            some = ", ".join(self.api.supported()[:4]) or "none listed right now"
            raise ProviderError(UNTUNABLE.format(model=model, some=some))
        return limits

    def _training_type(self, limits: dict[str, Any] | None) -> dict[str, Any]:
        if self.settings.together_training_type == "full":
            return {"type": "Full"}
        most = ((limits or {}).get("lora_training") or {}).get("max_rank") or LORA_RANK
        rank = min(LORA_RANK, int(most))
        return {"type": "Lora", "lora_r": rank, "lora_alpha": 2 * rank}

    @staticmethod
    def _method(spec: JobSpec) -> dict[str, Any]:
        if spec.method == "dpo":
            return {"method": "dpo", "dpo_beta": float(spec.hyperparameters.get("beta", 0.1))}
        return {"method": "sft", "train_on_inputs": "auto"}  # loss on the assistant's turns

    def _upload(self, path: Path, spec: JobSpec, kind: str) -> str:
        name = f"afina-{spec.run_key or 'export'}-{kind}.jsonl"
        size = path.stat().st_size
        if spec.run_key:  # a restart after the upload reuses the file
            for known in self.api.files():
                if known.get("filename") == name and known.get("bytes") == size:
                    return str(known["id"])
        return self.api.upload(path, name)

    # --- poll / cancel ---------------------------------------------------------------
    def poll(self, job_id: str) -> JobStatus:
        job = self.api.fine_tune(job_id)
        events = self.api.events(job_id)
        fresh = events[self.reported.get(job_id, 0) :]
        self.reported[job_id] = len(events)
        status = str(job.get("status") or "")
        state = STATES.get(status, JobState.running)
        price = job.get("total_price")
        return JobStatus(
            state=state,
            model_id=_output_name(job) if state == JobState.succeeded else None,
            trained_tokens=int(job.get("token_count") or 0),
            cost_usd=price / NANODOLLARS if isinstance(price, int | float) and price else None,
            events=[str(e["message"]) for e in fresh if e.get("message")],
            error=_failure(status, events) if state == JobState.failed else None,
            metrics={
                "status": status,
                "model": job.get("model"),
                "output_name": _output_name(job),
                "from_checkpoint": job.get("from_checkpoint") or None,
                "training_type": job.get("training_type"),
                "training_method": job.get("training_method"),
            },
            file_ids=[f for f in (job.get("training_file"), job.get("validation_file")) if f],
        )

    def cancel(self, job_id: str) -> None:
        self.api.cancel(job_id)

    # --- serving -----------------------------------------------------------------------
    def activate(self, version: ModelVersion) -> None:
        """Make sure Together serves `version` serverless before anyone is sent to it."""
        response = self.api.ask(version.model_id)
        if response.is_success:
            return
        text = message_of(response)
        if "non-serverless" in text or "dedicated endpoint" in text:
            raise ProviderError(DEDICATED.format(model=version.model_id, version=version.id))
        raise ProviderError(
            f"Together cannot serve {version.model_id} (HTTP {response.status_code}: {text})."
        )


def _output_name(job: dict[str, Any]) -> str | None:
    """The tuned model's name: `model_output_name` in the API, `output_name` in some answers."""
    name = job.get("model_output_name") or job.get("output_name")
    return str(name) if name else None


def _failure(status: str, events: list[dict[str, Any]]) -> str:
    """Why a job failed: Together puts the reason in its last error event, not on the job."""
    for event in reversed(events):
        level = str(event.get("level") or "").lower()
        if (level == "error" or "error" in str(event.get("type") or "")) and event.get("message"):
            return str(event["message"])
    if status == "user_error":
        return "Together refused the training data without saying why (status user_error)"
    return f"the job ended with status {status} at Together"
