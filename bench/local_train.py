"""Speed of a local LoRA run: training tokens/s, peak memory, and in-process answer speed.

Without `--model` it builds the tiny test model (a few seconds) and trains it
on the demo brand's examples on the CPU; with `--model` it trains that model,
on CUDA when a GPU is there:

    .venv/bin/python -m bench.local_train
    .venv/bin/python -m bench.local_train --model /models/Qwen2.5-0.5B-Instruct --steps 50
    .venv/bin/python -m bench.local_train --model Qwen/Qwen2.5-0.5B-Instruct --method dpo --json

It runs the same trainer as `afina train --provider local` (in this process, so
peak memory is this process's) and prints its figures. A hub id must already
be in the Hugging Face cache (`hf download ID`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from bot.backends import hf
from bot.config import Settings
from bot.demo import DEMO_VOICE, demo_examples
from bot.errors import AfinaError
from tuning.local.folder import RunFolder, TrainSpec


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore", category=FutureWarning)  # the libraries' deprecations
    try:
        hf.require_extra(hf.TRAIN_MODULES)
    except AfinaError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the figures, not the libraries' notices
    hf_logging.disable_progress_bar()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="afina-bench-") as scratch:
        work = Path(scratch)
        started = time.perf_counter()
        model = args.model or str(tiny_model(work / "tiny"))
        built_s = time.perf_counter() - started
        try:
            figures = train(args, hf.base_model_source(model), work)
        except AfinaError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
        if args.model is None:
            figures["tiny_model_build_s"] = round(built_s, 2)
        if args.answer_tokens:
            figures |= answer_speed(model, figures["adapter"], args.answer_tokens)
    figures["torch_threads"] = torch.get_num_threads()
    report(figures, as_json=args.json)
    return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", help="folder or cached hub id (default: the tiny test model)")
    parser.add_argument("--steps", type=int, default=30, help="training steps (default 30)")
    parser.add_argument("--method", choices=["supervised", "dpo"], default="supervised")
    parser.add_argument("--batch-size", type=int, default=4, help="examples per step")
    parser.add_argument("--rank", type=int, default=16, help="LoRA rank")
    parser.add_argument("--max-length", type=int, default=1024, help="longest example, tokens")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's)")
    parser.add_argument(
        "--answer-tokens", type=int, default=64, help="tokens in the timed answer (0: skip it)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def tiny_model(folder: Path) -> Path:
    from tests.support.tiny import build_tiny_model, demo_texts

    return build_tiny_model(folder, demo_texts())


def train(args: argparse.Namespace, model: str, work: Path) -> dict[str, Any]:
    """One run of the real trainer on the demo examples; its summary plus wall time."""
    from tuning.local.train import run

    folder = RunFolder(work / "run")
    folder.path.mkdir()
    train_file = write_examples(folder.path / "train.jsonl", args.method)
    spec = TrainSpec(
        model_id="bench",
        method=args.method,
        base_model=model,
        train_file=str(train_file),
        max_steps=args.steps,
        batch_size=args.batch_size,
        lora_rank=args.rank,
        max_seq_length=args.max_length,
        # The random tiny model needs a bold rate to move at all; real models use the default.
        learning_rate=2e-4 if args.model else (1e-2 if args.method == "supervised" else 1e-3),
    )
    started = time.perf_counter()
    with (folder.path / "train.log").open("w") as log, contextlib.redirect_stdout(log):
        code = run(spec, folder)  # the trainer prints every step's log line
    wall = time.perf_counter() - started
    status = folder.status()
    if code != 0:
        raise AfinaError(str(status.get("error", "training failed")))
    figures: dict[str, Any] = {"model": model, **status["metrics"]}
    figures["wall_s"] = round(wall, 2)
    figures["adapter"] = str(folder.adapter)
    return figures


def write_examples(path: Path, method: str) -> Path:
    """The demo brand's 48 answers with its voice as the system prompt (or as DPO pairs)."""
    rows = demo_examples()
    lines: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        prompt = [
            {"role": "system", "content": DEMO_VOICE},
            {"role": "user", "content": row["question"]},
        ]
        answer = {"role": "assistant", "content": row["answer"]}
        if method == "supervised":
            lines.append({"messages": [*prompt, answer]})
        else:
            other = {"role": "assistant", "content": rows[(i + 1) % len(rows)]["answer"]}
            lines.append(
                {
                    "input": {"messages": prompt},
                    "preferred_output": [answer],
                    "non_preferred_output": [other],
                }
            )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def answer_speed(model: str, adapter: str, tokens: int) -> dict[str, Any]:
    """Time one greedy answer from the in-process backend with the new adapter loaded."""
    from bot.backends.transformers_chat import TransformersChat

    settings = Settings(_env_file=None, local_base_model=model, max_answer_tokens=tokens)
    chat = TransformersChat(settings)
    question = [
        {"role": "system", "content": DEMO_VOICE},
        {"role": "user", "content": "¿El envío es gratis?"},
    ]
    chat.complete(question, model=adapter)  # loads the model and adapter; not timed
    started = time.perf_counter()
    answer = chat.complete(question, model=adapter)
    elapsed = time.perf_counter() - started
    return {
        "answer_tokens": answer.completion_tokens,
        "answer_s": round(elapsed, 3),
        "answer_tokens_per_s": round(answer.completion_tokens / elapsed, 1) if elapsed else 0.0,
    }


def report(figures: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures))
        return
    print(f"model              {figures['model']} ({figures['params'] / 1e6:.1f}M parameters)")
    print(f"device             {figures['device']} (torch threads: {figures['torch_threads']})")
    print(
        f"run                {figures['method']}, {figures['steps']} steps, "
        f"{figures['examples']} examples, LoRA rank {figures['lora_rank']}"
    )
    print(f"trained tokens     {figures['train_tokens']}")
    print(f"training speed     {figures['tokens_per_s']:.0f} tokens/s")
    print(
        f"training time      {figures['train_runtime_s']:.2f} s "
        f"(with loading the model: {figures['wall_s']} s)"
    )
    print(f"peak memory        {figures['peak_memory_mb']:.0f} MiB ({_memory_kind(figures)})")
    print(f"loss               {figures['first_loss']:.3f} → {figures['final_loss']:.3f}")
    if "answer_s" in figures:
        print(
            f"in-process answer  {figures['answer_tokens']} tokens in {figures['answer_s']} s "
            f"({figures['answer_tokens_per_s']:.0f} tokens/s)"
        )


def _memory_kind(figures: dict[str, Any]) -> str:
    return "GPU, allocated" if figures["device"] == "cuda" else "process peak RSS"


if __name__ == "__main__":
    sys.exit(main())
