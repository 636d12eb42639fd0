"""What a dataset build reports: what went in, what was dropped and why, what was redacted.

`Report` is written beside the files as `report.json` and stored on the run;
`Built` is what `tuning.dataset.build_dataset` hands back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KEEP_IDS = 10  # example ids listed per drop reason in the report

REASONS = {
    "duplicate": "the same conversation and answer as an earlier example "
    "(compared after normalising case, accents, spacing and redaction)",
    "bad_role": "a message with a role other than user or assistant",
    "no_question": "the context does not end with a user message",
    "empty": "an empty message or answer",
    "too_long": "longer than the per-example token limit",
}


@dataclass
class Report:
    """What went in, what was dropped and why, what was redacted."""

    method: str = "supervised"
    read: int = 0
    train: int = 0
    holdout: int = 0
    new: int = 0
    replay: int = 0
    pairs: int = 0  # DPO rows written to the training set
    train_tokens: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_ids: dict[str, list[int]] = field(default_factory=dict)
    redacted: dict[str, int] = field(default_factory=dict)
    max_example_tokens: int = 0
    min_examples: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def trained_rows(self) -> int:
        return self.pairs if self.method == "dpo" else self.train

    def drop(self, reason: str, example_id: int) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        ids = self.dropped_ids.setdefault(reason, [])
        if len(ids) < KEEP_IDS:
            ids.append(example_id)

    def lines(self) -> list[str]:
        """The report in sentences a person reads."""
        kind = "preference pairs" if self.method == "dpo" else "examples"
        out = [
            f"Read {self.read:,} accepted examples: {self.trained_rows:,} training {kind}, "
            f"{self.holdout:,} held out for evaluation."
        ]
        if self.new or self.replay:
            out.append(f"Incremental: {self.new:,} new + {self.replay:,} replayed older ones.")
        if self.train_tokens:
            out.append(f"Training file: {self.train_tokens:,} tokens an epoch (tiktoken).")
        for reason, n in sorted(self.dropped.items(), key=lambda kv: -kv[1]):
            text = REASONS.get(reason, reason)
            if reason == "too_long":
                text = f"longer than {self.max_example_tokens:,} tokens"
            ids = ", ".join(f"#{i}" for i in self.dropped_ids.get(reason, []))
            more = "…" if n > len(self.dropped_ids.get(reason, [])) else ""
            out.append(f"Dropped {n:,}: {text} ({ids}{more}).")
        redacted = ", ".join(f"{n} {kind}" for kind, n in self.redacted.items() if n)
        out.append(f"Redacted: {redacted}." if redacted else "Redacted: nothing found.")
        out.extend(self.problems)
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Built:
    """The files of one dataset and its report."""

    folder: Path
    files: dict[str, Path]
    report: Report
    max_example_id: int
    recent_ids: list[int]  # rows read that were updated after `recent_since`; see Incremental
