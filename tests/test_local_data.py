"""OpenAI-format training files → the prompt/completion rows the local trainer learns from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuning.local.data import BadTrainingFile, read_rows


def write(path: Path, *rows: object) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_supervised_rows_train_only_on_the_last_answer(tmp_path: Path) -> None:
    messages = [
        {"role": "system", "content": "voice"},
        {"role": "user", "content": "hola"},
        {"role": "assistant", "content": "¡Hola! 🌿"},
        {"role": "user", "content": "¿envío?"},
        {"role": "assistant", "content": "Gratis desde 35 €"},
    ]
    rows = read_rows(write(tmp_path / "t.jsonl", {"messages": messages}), "supervised")
    assert rows == [
        {"prompt": messages[:-1], "completion": [messages[-1]]},
    ]


def test_dpo_rows_come_from_openai_preference_records(tmp_path: Path) -> None:
    record = {
        "input": {"messages": [{"role": "user", "content": "¿envío?"}]},
        "preferred_output": [{"role": "assistant", "content": "Gratis desde 35 €"}],
        "non_preferred_output": [{"role": "assistant", "content": "No lo sé"}],
    }
    assert read_rows(write(tmp_path / "p.jsonl", record), "dpo") == [
        {
            "prompt": record["input"]["messages"],  # type: ignore[index]
            "chosen": record["preferred_output"],
            "rejected": record["non_preferred_output"],
        }
    ]


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    good = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    bad = {"messages": [{"role": "user", "content": "no answer"}]}
    with pytest.raises(BadTrainingFile, match=r"t\.jsonl line 2: the last message must be"):
        read_rows(write(tmp_path / "t.jsonl", good, bad), "supervised")
    with pytest.raises(BadTrainingFile, match="unknown method"):
        read_rows(tmp_path / "t.jsonl", "rlhf")
