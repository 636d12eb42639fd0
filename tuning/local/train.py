"""The local trainer process: LoRA supervised fine-tuning or DPO with TRL on your own machine.

`LocalProvider.start` runs it in its own process, so the bot stays responsive
and a killed bot does not kill the training:

    python -m tuning.local.train --spec ~/.local/share/afina/adapters/<model id>/job.json

It reads the job from the run folder and writes its state, per-step loss and
the LoRA adapter back there (layout in `tuning.local.folder`). torch, transformers,
peft and trl are imported inside `train`, so `--help` answers at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bot.backends import hf
from bot.errors import AfinaError
from tuning.local.data import BadTrainingFile, read_rows
from tuning.local.folder import RunFolder, TrainSpec

logger = logging.getLogger(__name__)
CURVE_KEYS = ("loss", "learning_rate", "grad_norm", "rewards/margins", "rewards/accuracies")


class Cancelled(Exception):
    """Someone cancelled the run; the provider has already recorded it."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--spec", type=Path, required=True, help="job.json in the run folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # Progress bars drawn into train.log are noise; the per-step lines say how far it got.
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    return run(TrainSpec.load(args.spec), RunFolder(args.spec.parent))


def run(spec: TrainSpec, folder: RunFolder) -> int:
    """Train, and record the outcome in the run folder whatever happens; 0 on success."""
    if folder.cancelled:
        return 1
    folder.update_status(state="running", pid=os.getpid())
    try:
        summary = train(spec, folder)
    except Cancelled:
        return 1
    except (AfinaError, BadTrainingFile) as exc:
        message = exc.message if isinstance(exc, AfinaError) else str(exc)
        return _fail(folder, message)
    except Exception as exc:
        logger.exception("training failed")
        return _fail(folder, explain(exc, spec, folder))
    folder.update_status(
        state="succeeded",
        model_id=spec.model_id,
        artifact_path=str(folder.adapter),
        trained_tokens=summary["train_tokens"],
        metrics=summary,
    )
    folder.event(
        f"done: {summary['steps']} steps, loss {_loss(summary['first_loss'])} → "
        f"{_loss(summary['final_loss'])}, {summary['tokens_per_s']:.0f} tokens/s; "
        f"adapter in {folder.adapter}"
    )
    return 0


def _check_lengths(spec: TrainSpec, folder: RunFolder, given: int, kept: int) -> None:
    """TRL drops examples whose prompt alone fills `max_length` (nothing left to learn from);
    say so, and refuse plainly when that is all of them instead of failing deep in torch."""
    if kept == given:
        return
    if kept == 0:
        raise AfinaError(
            f"Every example's prompt (system prompt + question) is at least "
            f"LOCAL_MAX_SEQ_LENGTH={spec.max_seq_length} tokens long for this model, so nothing "
            "is left to learn from: raise LOCAL_MAX_SEQ_LENGTH or shorten the system prompt."
        )
    folder.event(
        f"{given - kept} of {given} examples skipped: their prompt alone fills "
        f"LOCAL_MAX_SEQ_LENGTH={spec.max_seq_length} tokens"
    )


def _loss(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f}"


def _fail(folder: RunFolder, message: str) -> int:
    if not folder.cancelled:
        folder.update_status(state="failed", error=message)
        folder.event(f"failed: {message}")
    return 1


def train(spec: TrainSpec, folder: RunFolder) -> dict[str, Any]:
    """Fine-tune a LoRA adapter as `spec` says, save it in the folder, return the summary."""
    hf.require_extra(hf.TRAIN_MODULES)
    import torch

    device = hf.device()
    params = hf.count_params(spec.base_model)
    hf.check_trainable_here(spec.base_model, params, device, allow_cpu=spec.allow_cpu)
    rows = read_rows(Path(spec.train_file), spec.method)
    size = f"{params / 1e9:.1f}B" if params >= 1e9 else f"{params / 1e6:.1f}M"
    folder.event(
        f"{spec.method} on {len(rows)} examples: {spec.base_model} ({size} parameters) on {device}"
    )
    tokenizer = hf.load_tokenizer(spec.base_model)
    model, peft_config = _with_adapter(hf.load_model(spec.base_model, device), spec, folder)
    recorder = _recorder(folder)
    trainer = _trainer(spec, folder, model, peft_config, tokenizer, rows, device, recorder)
    _check_lengths(spec, folder, len(rows), len(trainer.train_dataset))
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    trainer.train()
    elapsed = time.perf_counter() - started
    if folder.cancelled:
        raise Cancelled
    tuned = trainer.accelerator.unwrap_model(trainer.model)
    # DPO on a continued adapter adds a frozen "ref" copy; only the trained one ships.
    tuned.save_pretrained(folder.adapter, selected_adapters=["default"])
    shutil.rmtree(folder.path / "checkpoints", ignore_errors=True)  # nothing is saved there
    losses = [row["loss"] for row in folder.metrics() if "loss" in row]
    tokens = int(trainer.state.num_input_tokens_seen)
    return {
        "method": spec.method,
        "base_model": spec.base_model,
        "parent_adapter": spec.parent_adapter,
        "device": device,
        "examples": len(rows),
        "steps": trainer.state.global_step,
        "epochs": round(float(trainer.state.epoch or 0), 3),
        "lora_rank": tuned.peft_config["default"].r,
        "params": params,
        "trainable_params": sum(p.numel() for p in tuned.parameters() if p.requires_grad),
        "train_tokens": tokens,
        "train_runtime_s": round(elapsed, 3),
        "tokens_per_s": round(tokens / elapsed, 1) if elapsed else 0.0,
        # None rather than NaN: the summary is stored as JSON, which has no NaN.
        "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None,
        "peak_memory_mb": _peak_memory_mb(device),
    }


def _with_adapter(model: Any, spec: TrainSpec, folder: RunFolder) -> tuple[Any, Any]:
    """Continue the active adapter when there is one; otherwise a fresh LoRA config."""
    from peft import LoraConfig, PeftModel

    if spec.parent_adapter:
        parent = Path(spec.parent_adapter)
        if not (parent / "adapter_config.json").is_file():
            raise hf.LocalModelError(
                f"Cannot continue from {parent}: no adapter_config.json there. Pass the adapter "
                "folder of the active version (its artifact path), or train from the base model."
            )
        folder.event(f"continuing from the adapter in {parent} (its LoRA rank is kept)")
        return PeftModel.from_pretrained(model, str(parent), is_trainable=True), None
    config = LoraConfig(
        r=spec.lora_rank,
        lora_alpha=spec.lora_alpha or 2 * spec.lora_rank,
        lora_dropout=spec.lora_dropout,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    return model, config


def _trainer(
    spec: TrainSpec,
    folder: RunFolder,
    model: Any,
    peft_config: Any,
    tokenizer: Any,
    rows: list[dict[str, Any]],
    device: str,
    recorder: Any,
) -> Any:
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

    half = str(model.dtype).removeprefix("torch.")
    common: dict[str, Any] = {
        "output_dir": str(folder.path / "checkpoints"),
        "num_train_epochs": spec.epochs,
        "max_steps": spec.max_steps,
        "learning_rate": spec.learning_rate,
        "per_device_train_batch_size": spec.batch_size,
        "max_length": spec.max_seq_length,
        "seed": spec.seed,
        "data_seed": spec.seed,
        "use_cpu": device == "cpu",
        "bf16": half == "bfloat16",
        "fp16": half == "float16",
        # Recomputing activations saves GPU memory on real models; on the CPU it only costs time.
        "activation_checkpointing": device == "cuda",
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "disable_tqdm": True,
        "include_num_input_tokens_seen": "non_padding",
    }
    dataset = Dataset.from_list(rows)
    if spec.method == "dpo":
        return DPOTrainer(
            model=model,
            args=DPOConfig(**common, beta=spec.beta),
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=peft_config,
            callbacks=[recorder],
        )
    return SFTTrainer(
        model=model,
        # Rows are prompt/completion pairs: the loss covers the taught answer only.
        args=SFTConfig(**common, completion_only_loss=True),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[recorder],
    )


def _recorder(folder: RunFolder) -> Any:
    """A trainer callback: one metrics line per logged step, progress events, cancellation."""
    from transformers import TrainerCallback

    class Recorder(TrainerCallback):
        started = time.perf_counter()

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **_: Any) -> None:
            if not logs or "loss" not in logs:
                return
            row = {"step": state.global_step, "tokens": int(state.num_input_tokens_seen)}
            row |= {key: float(logs[key]) for key in CURVE_KEYS if key in logs}
            row["elapsed_s"] = round(time.perf_counter() - self.started, 3)
            folder.add_metric(row)
            folder.update_status(step=state.global_step, max_steps=state.max_steps)
            every = max(1, state.max_steps // 10)
            if state.global_step % every == 0 or state.global_step == state.max_steps:
                folder.event(f"step {state.global_step}/{state.max_steps}: loss {row['loss']:.4f}")

        def on_step_end(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            if folder.cancelled:
                control.should_training_stop = True

    return Recorder()


def _peak_memory_mb(device: str) -> float:
    if device == "cuda":
        import torch

        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    # ru_maxrss is in KiB on Linux: the process's peak resident memory, model included.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def explain(exc: BaseException, spec: TrainSpec, folder: RunFolder) -> str:
    """One sentence a person can act on; out-of-memory errors say which knobs to turn."""
    torch = sys.modules.get("torch")
    out_of_gpu = torch is not None and isinstance(exc, torch.OutOfMemoryError)
    if out_of_gpu or isinstance(exc, MemoryError):
        where = "GPU memory" if out_of_gpu else "memory"
        return (
            f"Out of {where} training {spec.base_model} with batch size {spec.batch_size}, "
            f"LoRA rank {spec.lora_rank} and examples up to {spec.max_seq_length} tokens: "
            f"lower LOCAL_BATCH_SIZE (e.g. to {max(1, spec.batch_size // 2)}), LOCAL_LORA_RANK "
            "or LOCAL_MAX_SEQ_LENGTH, or use a smaller base model."
        )
    return f"training failed: {type(exc).__name__}: {exc} (details in {folder.log})"


if __name__ == "__main__":
    sys.exit(main())
