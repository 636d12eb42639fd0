"""The folder of one local training run: how the trainer process and the provider talk.

The trainer runs in its own process and writes everything here; the provider
only reads. Because the state lives in files, not in memory, a bot restarted
mid-run polls the same folder and picks up where it was.

    <adapters dir>/<model id>/
      job.json        what to train (written by the provider)
      train.jsonl     a copy of the training file, so the run is self-contained
      status.json     state, pid, error, summary metrics (rewritten atomically)
      events.jsonl    human-readable progress lines
      metrics.jsonl   one line per logged step: loss, tokens, learning rate
      train.log       the trainer's stdout and stderr
      cancelled       present once someone cancelled the run
      adapter/        the LoRA adapter, once training succeeded
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.tables import utcnow


@dataclass(frozen=True)
class TrainSpec:
    """Everything the trainer process needs, resolved by the provider (no settings lookups)."""

    model_id: str
    method: str  # supervised | dpo
    base_model: str  # a folder or hub id, as transformers loads it
    train_file: str
    parent_adapter: str | None = None
    seed: int = 42
    epochs: float = 2.0
    learning_rate: float = 2e-4
    lora_rank: int = 16
    lora_alpha: int | None = None  # default: twice the rank
    lora_dropout: float = 0.05
    max_steps: int = -1
    batch_size: int = 4
    max_seq_length: int = 1024
    beta: float = 0.1  # DPO: how far the tuned model may move from the reference
    allow_cpu: bool = False

    @classmethod
    def load(cls, path: Path) -> TrainSpec:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.spec = path / "job.json"
        self.status_file = path / "status.json"
        self.events_file = path / "events.jsonl"
        self.metrics_file = path / "metrics.jsonl"
        self.log = path / "train.log"
        self.cancel_marker = path / "cancelled"
        self.adapter = path / "adapter"

    def write_spec(self, spec: TrainSpec) -> None:
        _write_atomic(self.spec, json.dumps(asdict(spec), indent=2))

    def status(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.status_file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    def update_status(self, **fields: Any) -> dict[str, Any]:
        status = {**self.status(), **fields, "updated_at": utcnow().isoformat()}
        _write_atomic(self.status_file, json.dumps(status))
        return status

    def event(self, message: str) -> None:
        _append(self.events_file, {"at": utcnow().isoformat(), "message": message})

    def events(self, since: int = 0) -> list[str]:
        """Event lines from number `since` on (0 = all)."""
        return [str(row["message"]) for row in _read_lines(self.events_file)[since:]]

    def add_metric(self, row: dict[str, Any]) -> None:
        _append(self.metrics_file, row)

    def metrics(self) -> list[dict[str, Any]]:
        return _read_lines(self.metrics_file)

    @property
    def cancelled(self) -> bool:
        return self.cancel_marker.exists()


def _write_atomic(path: Path, text: str) -> None:
    """Readers never see half a file: write beside it, then rename over it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _append(path: Path, row: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def _read_lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    rows = []
    for line in text.splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:  # a line being written right now
            break
    return rows
