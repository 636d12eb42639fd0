"""Training files in OpenAI's JSONL formats → rows for TRL's trainers.

The dataset export writes what OpenAI accepts: `{"messages": [...]}` for
supervised runs and `{"input": {"messages": [...]}, "preferred_output": [...],
"non_preferred_output": [...]}` for DPO. TRL learns from prompt/completion
pairs, which is how we get "loss only on the taught answer" with any chat
template: the last assistant turn is the completion, everything before it
(earlier answers included) is context the model is not trained to produce.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Turns = list[dict[str, str]]
ROLES = {"system", "user", "assistant"}


class BadTrainingFile(ValueError):
    """A line of the training file cannot be used; the message names the line."""


def read_rows(path: Path, method: str) -> list[dict[str, Turns]]:
    """Every line of `path` as a TRL conversational row for `method` (supervised | dpo)."""
    convert = {"supervised": sft_row, "dpo": dpo_row}.get(method)
    if convert is None:
        raise BadTrainingFile(f"unknown method {method!r}: use supervised or dpo")
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                rows.append(convert(json.loads(line)))
            except (BadTrainingFile, json.JSONDecodeError, TypeError, AttributeError) as exc:
                raise BadTrainingFile(f"{path.name} line {number}: {exc}") from None
    if not rows:
        raise BadTrainingFile(f"{path.name} has no examples")
    return rows


def sft_row(record: dict[str, Any]) -> dict[str, Turns]:
    """`{"messages": [..., assistant]}` → `{"prompt": [...], "completion": [assistant]}`."""
    turns = _turns(record.get("messages"))
    if turns[-1]["role"] != "assistant":
        raise BadTrainingFile("the last message must be the assistant's answer")
    if not any(turn["role"] == "user" for turn in turns[:-1]):
        raise BadTrainingFile("an example needs a user message before the answer")
    return {"prompt": turns[:-1], "completion": turns[-1:]}


def dpo_row(record: dict[str, Any]) -> dict[str, Turns]:
    """OpenAI's preference record → `{"prompt", "chosen", "rejected"}` for TRL's DPO."""
    prompt = _turns((record.get("input") or {}).get("messages"))
    if prompt[-1]["role"] != "user":
        raise BadTrainingFile("the input must end with a user message")
    chosen = _turns(record.get("preferred_output"))
    rejected = _turns(record.get("non_preferred_output"))
    for name, answer in (("preferred_output", chosen), ("non_preferred_output", rejected)):
        if len(answer) != 1 or answer[0]["role"] != "assistant":
            raise BadTrainingFile(f"{name} must be one assistant message")
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def _turns(messages: Any) -> Turns:
    if not isinstance(messages, list) or not messages:
        raise BadTrainingFile('expected a non-empty "messages" list')
    turns = []
    for message in messages:
        role, content = message.get("role"), message.get("content")
        if role not in ROLES or not isinstance(content, str):
            raise BadTrainingFile("each message needs a role (system/user/assistant) and text")
        turns.append({"role": role, "content": content})
    return turns
