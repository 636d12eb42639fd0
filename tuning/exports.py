"""Training files shaped for a provider that reads the OpenAI formats a little more strictly.

Together AI trains on OpenAI's shapes as they are: chat rows with per-message
`weight` (0 or 1) for supervised runs, `input` / `preferred_output` /
`non_preferred_output` for DPO. What it adds is its file check: after the
optional system message, roles must alternate user / assistant. A stored
conversation can hold two user messages in a row (a customer who writes twice
before the bot answers), so `alternating` joins consecutive turns of one role,
keeping the lower weight, and `together_file` writes such a copy of a run's
training file, line by line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TOGETHER_FILES = {"sft": "together_sft.jsonl", "dpo": "together_dpo.jsonl"}


def alternating(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same conversation with consecutive turns of one role joined by a blank line."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if out and out[-1]["role"] == message["role"]:
            last = out[-1]
            merged = {**last, "content": f"{last['content']}\n\n{message['content']}"}
            weights = [m.get("weight", 1) for m in (last, message)]
            if "weight" in last or "weight" in message:
                merged["weight"] = min(weights)
            out[-1] = merged
        else:
            out.append(dict(message))
    return out


def _reshaped(row: dict[str, Any]) -> dict[str, Any]:
    if "messages" in row:
        return {**row, "messages": alternating(row["messages"])}
    if "input" in row:
        return {**row, "input": {**row["input"], "messages": alternating(row["input"]["messages"])}}
    return row


def together_file(source: Path, kind: str) -> Path:
    """Write `source` (an `sft` or `dpo` file) as Together wants it, beside it; return the copy."""
    target = source.with_name(TOGETHER_FILES[kind])
    with source.open(encoding="utf-8") as rows, target.open("w", encoding="utf-8") as out:
        for line in rows:
            if line.strip():
                out.write(json.dumps(_reshaped(json.loads(line)), ensure_ascii=False) + "\n")
    return target
