"""Loading a Hugging Face causal LM from `LOCAL_BASE_MODEL`, with errors a person can act on.

Shared by the trainer (`tuning.local.train`) and the in-process backend
(`bot.backends.transformers_chat`). torch and transformers are imported inside
the functions, so the bot never loads them unless a local model is used.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from bot.errors import AfinaError

INSTALL_HINT = (
    "install the `local` extra with `scripts/bootstrap --local` "
    "(or install a torch build for your machine, then `uv pip install -e '.[local]'`)"
)
SERVE_MODULES = ("torch", "transformers", "peft")
TRAIN_MODULES = (*SERVE_MODULES, "trl", "datasets")
# Above this, training without a GPU takes hours to days: refuse unless LOCAL_ALLOW_CPU.
CPU_PARAM_LIMIT = 1_500_000_000


class LocalModelError(AfinaError):
    """The local model cannot be used as configured; `message` says what to change."""


def require_extra(modules: tuple[str, ...] = SERVE_MODULES) -> None:
    """Fail with the install command when the `local` extra is not installed."""
    missing = [name for name in modules if not importable(name)]
    if missing:
        raise LocalModelError(f"Self-hosted models need {', '.join(missing)}: {INSTALL_HINT}.")


def importable(name: str) -> bool:
    """Installed, without importing it: torch takes seconds and gigabytes to import."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        return False


def base_model_source(name: str | None) -> str:
    """`LOCAL_BASE_MODEL` as transformers should load it: an absolute folder, or a hub id."""
    if not name:
        raise LocalModelError(
            "Set LOCAL_BASE_MODEL to the folder of a Hugging Face chat model "
            "(config.json, weights and tokenizer), e.g. /models/Qwen2.5-0.5B-Instruct."
        )
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise LocalModelError(
                f"LOCAL_BASE_MODEL={name} has no config.json: point it at the folder that "
                "holds config.json, the weights and the tokenizer files."
            )
        return str(path.resolve())
    if path.exists():
        raise LocalModelError(f"LOCAL_BASE_MODEL={name} is a file: point it at the model's folder.")
    if name.startswith(("/", ".", "~")) or name.count("/") > 1:
        raise LocalModelError(f"LOCAL_BASE_MODEL={name}: no such folder.")
    return _cached_snapshot(name)


def _cached_snapshot(repo_id: str) -> str:
    """A hub id's folder in the Hugging Face cache, so loading never touches the network.

    Nothing is downloaded on the fly: a multi-gigabyte download does not belong inside a
    training run, and without network the hub client retries for about a minute first.
    """
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "config.json")
    if not isinstance(found, str):
        raise not_found(repo_id)
    return str(Path(found).parent)


def not_found(name: str) -> LocalModelError:
    """The error for a hub id that is not on this machine."""
    folder = f"/models/{name.rsplit('/', 1)[-1]}"
    return LocalModelError(
        f"Base model {name!r} is not on this machine (not a folder, not in the Hugging Face "
        f"cache), and afina does not download models. Run `hf download {name}` first; or, "
        f"where there is no network, run `hf download {name} --local-dir {folder}` on a machine "
        f"that has it, copy the folder here and set LOCAL_BASE_MODEL={folder}."
    )


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def dtype_for(device_name: str) -> Any:
    """bf16 where the GPU has it, fp16 on older GPUs, fp32 on the CPU (bf16 there is slow)."""
    import torch

    if device_name != "cuda":
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def load_tokenizer(source: str) -> Any:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
    except OSError as exc:
        raise _load_error(source, exc) from None
    if not tokenizer.chat_template:
        raise LocalModelError(
            f"{source} has no chat template: use an instruct/chat version of the model "
            "(its tokenizer_config.json or chat_template.jinja defines the template)."
        )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(source: str, device_name: str) -> Any:
    from transformers import AutoModelForCausalLM

    try:
        model: Any = AutoModelForCausalLM.from_pretrained(source, dtype=dtype_for(device_name))
    except OSError as exc:
        raise _load_error(source, exc) from None
    return model.to(device_name)


def count_params(source: str) -> int:
    """The model's parameter count from its config alone (built on the meta device, no weights)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        config = AutoConfig.from_pretrained(source)
    except OSError as exc:
        raise _load_error(source, exc) from None
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


def check_trainable_here(source: str, params: int, device_name: str, *, allow_cpu: bool) -> None:
    """Refuse a large model without a GPU: it would run for days, so say what to do instead."""
    if device_name == "cpu" and params > CPU_PARAM_LIMIT and not allow_cpu:
        raise LocalModelError(
            f"{source} has about {params / 1e9:.1f}B parameters and there is no GPU here: "
            "LoRA training on the CPU would take hours to days. Train on a machine with a "
            "CUDA GPU, pick a model of at most 1.5B parameters (e.g. Qwen2.5-0.5B-Instruct), "
            "or set LOCAL_ALLOW_CPU=true to train on the CPU anyway."
        )


def _load_error(source: str, exc: OSError) -> LocalModelError:
    if Path(source).is_dir():
        return LocalModelError(f"Could not load the model in {source}: {exc}")
    return not_found(source)
