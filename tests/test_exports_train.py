"""The exported files load with Hugging Face `datasets` and train one step with TRL, as they are.

`afina export` writes them from a real database; each is loaded with
`load_dataset("json", …)` and handed unchanged to `SFTTrainer` or
`DPOTrainer` on the tiny test model (built once here, like the local-training
tests, one thread, no hub).
"""

from __future__ import annotations

import json
import math
from importlib.util import find_spec
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_core
from bot.backends import hf
from bot.config import Settings
from tests.support.cli import run
from tests.support.data import add_example, key_on_side

pytestmark = pytest.mark.skipif(
    not all(find_spec(name) for name in hf.TRAIN_MODULES),
    reason="needs the `local` extra (torch, transformers, peft, trl): scripts/bootstrap --local",
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from tests.support.tiny import build_tiny_model, demo_texts

    torch.set_num_threads(1)  # a shared CI box: one thread is many times faster than a fight
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama", demo_texts())


@pytest.fixture
def exported(capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path) -> Path:
    """The demo brand, a reviewer's corrections and a follow-up question, exported."""
    core = build_core(Settings())
    for n in range(4):
        key = key_on_side(f"console:fix{n}", holdout=False)
        add_example(
            core.engine, f"Price of soap {n}?", f"{n + 5} € 🌿", rejected="No idea", key=key
        )
    earlier = [
        {"role": "user", "content": "Do you sell soap?"},
        {"role": "assistant", "content": "Maybe, I am not sure"},  # the bot, never reviewed
    ]
    key = key_on_side("console:soap", holdout=False)
    add_example(core.engine, "And shampoo?", "Yes, solid shampoo bars 🌱", context=earlier, key=key)
    core.engine.dispose()
    done = run(capsys, "export", "--out", str(tmp_path / "export"))
    assert done.code == 0, done.err
    return tmp_path / "export"


def common_args(output: Path) -> dict[str, Any]:
    return {
        "output_dir": str(output),
        "max_steps": 1,
        "per_device_train_batch_size": 2,
        "max_length": 1024,  # the demo voice alone is a few hundred tokens of the tiny vocabulary
        "use_cpu": True,
        "save_strategy": "no",
        "report_to": "none",
        "disable_tqdm": True,
        "seed": 7,
        "activation_checkpointing": False,  # recomputing activations only costs time on a CPU
    }


@pytest.mark.usefixtures("demo")
def test_messages_file_trains_a_step_with_sft_and_only_the_taught_answer_is_a_target(
    exported: Path, tiny: Path, tmp_path: Path
) -> None:
    from datasets import load_dataset
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    dataset = load_dataset("json", data_files=str(exported / "messages.jsonl"), split="train")
    assert dataset.num_rows > 40
    for row in dataset:
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
    follow_up = next(r for r in dataset if r["messages"][1]["content"] == "And shampoo?")
    assert "assistant: Maybe, I am not sure" in follow_up["messages"][0]["content"]  # context only

    tokenizer = AutoTokenizer.from_pretrained(tiny)
    trainer = SFTTrainer(
        model=str(tiny),
        # The loss on assistant turns only: with one assistant turn a row, the taught answer.
        args=SFTConfig(**common_args(tmp_path / "sft"), assistant_only_loss=True),
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    result = trainer.train()
    assert trainer.state.global_step == 1 and math.isfinite(result.training_loss)


def test_dpo_trl_file_trains_a_step_with_dpo(exported: Path, tiny: Path, tmp_path: Path) -> None:
    from datasets import load_dataset
    from transformers import AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    dataset = load_dataset("json", data_files=str(exported / "dpo_trl.jsonl"), split="train")
    assert dataset.num_rows == 4
    first = dataset[0]
    assert first["prompt"][-1]["role"] == "user"
    assert first["chosen"][0]["role"] == first["rejected"][0]["role"] == "assistant"
    assert first["rejected"][0]["content"] == "No idea"

    tokenizer = AutoTokenizer.from_pretrained(tiny)
    trainer = DPOTrainer(
        model=str(tiny),
        args=DPOConfig(**common_args(tmp_path / "dpo")),
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    result = trainer.train()
    assert trainer.state.global_step == 1 and math.isfinite(result.training_loss)


def test_the_export_for_together_keeps_openais_shapes_with_alternating_turns(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    done = run(capsys, "export", "--provider", "together", "--out", str(tmp_path / "tg"))
    assert done.code == 0, done.err
    assert "together_sft.jsonl" in done.out and "together_dpo.jsonl" in done.out
    for line in (tmp_path / "tg" / "together_sft.jsonl").read_text().splitlines():
        roles = [m["role"] for m in json.loads(line)["messages"]]
        assert all(a != b for a, b in pairwise(roles))
