"""The `local` provider: LoRA fine-tuning on your own machine, served by vLLM or in process.

`start` checks what it can at once (the extra is installed, `LOCAL_BASE_MODEL`
exists, the training file is there), writes the job into a fresh run folder
named after the new model id, and starts `python -m tuning.local.train` in its
own session; the job id is that folder. `poll` reads the folder, so any process
can poll any run, and a trainer that died without a word is reported as failed.

Continuing training: pass the active local version's adapter folder as
`JobSpec.hyperparameters["parent_adapter"]`; without it, a `base_model` that
names an adapter in `LOCAL_OUTPUT_DIR` is continued, and anything else starts
a fresh adapter on `LOCAL_BASE_MODEL`. Other hyperparameters a run may set:
`epochs`, `learning_rate`, `lora_rank`, `lora_alpha`, `lora_dropout`,
`max_steps`, `batch_size`, `max_seq_length`, `beta` (DPO), `allow_cpu`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.backends import hf
from bot.config import Settings
from bot.tables import utcnow
from tuning.local import lora_server
from tuning.local.folder import RunFolder, TrainSpec
from tuning.providers.base import JobSpec, JobState, JobStatus, ProviderError

logger = logging.getLogger(__name__)
FINAL = {JobState.succeeded.value, JobState.failed.value, JobState.cancelled.value}
STARTING_S = 60.0  # a queued run without a pid is still being started for this long
CURVE_POINTS = 500  # loss points kept in the run's metrics; metrics.jsonl has every step
_HYPERPARAMETERS = {
    "epochs": float,
    "learning_rate": float,
    "lora_rank": int,
    "lora_alpha": int,
    "lora_dropout": float,
    "max_steps": int,
    "batch_size": int,
    "max_seq_length": int,
    "beta": float,
    "allow_cpu": bool,
}


class LocalProvider:
    name = "local"

    def __init__(self, settings: Settings, core: Any = None) -> None:
        self.settings = settings
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._seen_events: dict[str, int] = {}

    # --- the Provider interface ----------------------------------------------
    def start(self, spec: JobSpec) -> str:
        """Write the job into a new run folder and start the trainer process; return the folder."""
        folder = self.prepare(spec)
        job_id = str(folder.path)
        with folder.log.open("ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "tuning.local.train", "--spec", str(folder.spec)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C on the bot does not kill training, and cancel
                # can stop the trainer with everything it started.
                start_new_session=True,
            )
        self._children[job_id] = child
        folder.update_status(pid=child.pid)
        logger.info("local training %s started (pid %d) in %s", folder.path.name, child.pid, job_id)
        return job_id

    def prepare(self, spec: JobSpec) -> RunFolder:
        """Check what can be checked now and write the run folder, ready for the trainer."""
        try:
            hf.require_extra(hf.TRAIN_MODULES)
            base = hf.base_model_source(self.settings.local_base_model)
        except hf.LocalModelError as exc:
            raise ProviderError(exc.message) from None
        if spec.method not in ("supervised", "dpo"):
            raise ProviderError(f"Unknown training method {spec.method!r}: use supervised or dpo.")
        if not spec.train_file.is_file():
            raise ProviderError(f"Training file {spec.train_file} does not exist.")
        model_id = self._new_model_id(spec)
        folder = RunFolder(self.settings.adapters_dir / model_id)
        folder.path.mkdir(parents=True)
        train_file = folder.path / "train.jsonl"
        shutil.copyfile(spec.train_file, train_file)
        folder.write_spec(self._train_spec(spec, model_id, base, train_file))
        folder.update_status(state=JobState.queued.value, model_id=model_id)
        folder.event(f"queued {spec.method} run {model_id} on {base}")
        return folder

    def poll(self, job_id: str) -> JobStatus:
        folder = RunFolder(Path(job_id))
        status = folder.status()
        if not status:
            return JobStatus(JobState.failed, error=f"No local training run in {job_id}.")
        if folder.cancelled:
            status["state"] = JobState.cancelled.value
        elif status.get("state") not in FINAL and not self._alive(job_id, status):
            status = folder.status()  # it may have finished between the two reads
            if status.get("state") not in FINAL:
                status = self._record_death(job_id, folder)
        return self._job_status(job_id, folder, status)

    def cancel(self, job_id: str) -> None:
        """Stop the trainer; the run stays cancelled even if it was about to finish."""
        folder = RunFolder(Path(job_id))
        if not folder.path.is_dir() or folder.status().get("state") in FINAL:
            return
        folder.cancel_marker.touch()
        pid = folder.status().get("pid")
        if pid and self._alive(job_id, folder.status()):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(int(pid), signal.SIGTERM)
            self._reap(job_id, int(pid))
        folder.update_status(state=JobState.cancelled.value, error="cancelled")
        folder.event("cancelled")

    # --- promotion and rollback ----------------------------------------------
    def activate(self, model_id: str, artifact_path: str | None) -> None:
        """Make `model_id` servable: load its adapter into the LoRA server when there is one.

        Called on promotion and on rollback. It changes nothing the bot answers with (the
        active version does that), so it may also be called before evaluating a candidate
        through the server. Without `LORA_SERVER_URL` there is nothing to load: the
        in-process `transformers` backend loads adapters itself on first use.
        """
        default = self.settings.adapters_dir / model_id / "adapter"
        path = Path(artifact_path) if artifact_path else default
        if not (path / "adapter_config.json").is_file():
            raise ProviderError(
                f"The adapter of {model_id} is missing: no adapter_config.json in {path}."
            )
        if not self.settings.lora_server_url:
            logger.info("no LORA_SERVER_URL: %s is served in process from %s", model_id, path)
            return
        key = self.settings.openai_api_key
        lora_server.load_adapter(
            self.settings.lora_server_url,
            name=model_id,
            path=str(path),
            api_key=key.get_secret_value() if key else None,
        )

    # --- helpers ------------------------------------------------------------
    def _new_model_id(self, spec: JobSpec) -> str:
        """`<suffix>-r<run>-<UTC time>`: unique, readable, and safe as a folder and LoRA name."""
        suffix = re.sub(r"[^A-Za-z0-9_-]+", "-", spec.suffix).strip("-") or "afina"
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        model_id = f"{suffix}-r{spec.run_id}-{stamp}"
        n = 1
        while (self.settings.adapters_dir / model_id).exists():
            n += 1
            model_id = f"{suffix}-r{spec.run_id}-{stamp}-{n}"
        return model_id

    def _train_spec(self, spec: JobSpec, model_id: str, base: str, train_file: Path) -> TrainSpec:
        s = self.settings
        given = dict(spec.hyperparameters)
        values: dict[str, Any] = {
            "epochs": s.local_epochs,
            "learning_rate": s.local_learning_rate,
            "lora_rank": s.local_lora_rank,
            "max_steps": s.local_max_steps,
            "batch_size": s.local_batch_size,
            "max_seq_length": s.local_max_seq_length,
            "allow_cpu": s.local_allow_cpu,
        }
        for key, kind in _HYPERPARAMETERS.items():
            if given.get(key) is not None:
                values[key] = kind(given[key])
        return TrainSpec(
            model_id=model_id,
            method=spec.method,
            base_model=base,
            train_file=str(train_file),
            parent_adapter=self._parent_adapter(spec),
            seed=spec.seed,
            **values,
        )

    def _parent_adapter(self, spec: JobSpec) -> str | None:
        given = spec.hyperparameters.get("parent_adapter")
        if given:
            path = Path(str(given)).expanduser()
            if not (path / "adapter_config.json").is_file():
                raise ProviderError(
                    f"parent_adapter {path} is not a LoRA adapter folder (no adapter_config.json)."
                )
            return str(path.resolve())
        # The active local version's model id names its run folder.
        candidate = self.settings.adapters_dir / spec.base_model / "adapter"
        if spec.base_model and (candidate / "adapter_config.json").is_file():
            return str(candidate)
        return None

    def _alive(self, job_id: str, status: dict[str, Any]) -> bool:
        child = self._children.get(job_id)
        if child is not None:
            return child.poll() is None
        pid = status.get("pid")
        if not pid:  # being started by another process right now, unless that was long ago
            return _age_s(status) < STARTING_S
        try:
            os.kill(int(pid), 0)
        except (ProcessLookupError, PermissionError):
            return False
        return _is_trainer(int(pid), job_id)

    def _reap(self, job_id: str, pid: int) -> None:
        """Wait a little for the trainer to exit, then kill it outright."""
        child = self._children.get(job_id)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._alive(job_id, {"pid": pid}):
            time.sleep(0.1)
        if self._alive(job_id, {"pid": pid}):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        if child is not None:
            child.wait()

    def _record_death(self, job_id: str, folder: RunFolder) -> dict[str, Any]:
        child = self._children.get(job_id)
        code = child.returncode if child is not None else None
        if code is not None and code < 0:
            why = f"was killed by signal {-code}"
            if -code == signal.SIGKILL:
                why += " (often the machine ran out of memory: lower LOCAL_BATCH_SIZE)"
        elif code is not None:
            why = f"exited with code {code}"
        else:
            why = "is no longer running"
        message = f"The training process {why} before finishing; see {folder.log}."
        folder.event(f"failed: {message}")
        return folder.update_status(state=JobState.failed.value, error=message)

    def _job_status(self, job_id: str, folder: RunFolder, status: dict[str, Any]) -> JobStatus:
        seen = self._seen_events.get(job_id, 0)
        events = folder.events(seen)
        self._seen_events[job_id] = seen + len(events)
        state = JobState(status.get("state", JobState.queued.value))
        succeeded = state is JobState.succeeded
        return JobStatus(
            state=state,
            model_id=status.get("model_id") if succeeded else None,
            trained_tokens=int(status.get("trained_tokens") or 0),
            events=events,
            error=status.get("error") if state in (JobState.failed, JobState.cancelled) else None,
            metrics=self._metrics(folder, status),
            artifact_path=status.get("artifact_path") if succeeded else None,
        )

    @staticmethod
    def _metrics(folder: RunFolder, status: dict[str, Any]) -> dict[str, Any]:
        """The summary plus the loss curve (thinned to CURVE_POINTS) and progress."""
        rows = [row for row in folder.metrics() if "loss" in row]
        every = max(1, -(-len(rows) // CURVE_POINTS))
        curve = rows[::every]
        if rows and curve[-1] is not rows[-1]:
            curve.append(rows[-1])
        metrics: dict[str, Any] = dict(status.get("metrics") or {})
        metrics["loss_per_step"] = [[row["step"], round(row["loss"], 5)] for row in curve]
        if status.get("max_steps"):
            metrics["progress"] = {"step": status.get("step", 0), "of": status["max_steps"]}
        metrics["run_folder"] = str(folder.path)
        return metrics


def _is_trainer(pid: int, job_id: str) -> bool:
    """Whether live process `pid` is the trainer of this job (Linux /proc; elsewhere assume so).

    A dead child not yet reaped by its parent is a zombie: not running. A recycled pid
    runs some other program. An empty command line is a process in the middle of exec.
    """
    proc = Path(f"/proc/{pid}")
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = (proc / "cmdline").read_bytes().decode("utf-8", "replace")
    except (OSError, IndexError):
        return proc.exists() or not Path("/proc/self").exists()
    if state in ("Z", "X"):
        return False
    return not cmdline or job_id in cmdline


def _age_s(status: dict[str, Any]) -> float:
    try:
        updated = datetime.fromisoformat(str(status["updated_at"]))
    except (KeyError, ValueError):
        return float("inf")
    return (utcnow() - updated).total_seconds()
