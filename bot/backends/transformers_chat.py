"""Answers from a Hugging Face model in this process: `LOCAL_BASE_MODEL` plus a LoRA adapter.

For small models on a CPU (or one GPU) without running a server. The `model`
the responder asks for is a local version's model id (or an adapter folder);
its adapter is loaded beside the others on first use and switched per request,
so rollback is instant. Asking for `LOCAL_BASE_MODEL` itself answers with the
base model. Generation is greedy and holds a lock: one answer at a time, which
is all a CPU can do well anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.backends import hf
from bot.backends.base import ChatMessages, Completion, ModelError, OnDelta
from bot.config import Settings

logger = logging.getLogger(__name__)
AdapterLookup = Callable[[str], str | None]


class TransformersChat:
    name = "transformers"

    def __init__(self, settings: Settings, *, find_adapter: AdapterLookup | None = None) -> None:
        self.settings = settings
        self.find_adapter = find_adapter
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self._device = "cpu"
        self._adapters: dict[str, str] = {}  # model id → adapter name inside the PEFT model

    def complete(
        self, messages: ChatMessages, *, model: str, on_delta: OnDelta | None = None
    ) -> Completion:
        try:
            with self._lock:
                return self._complete(messages, model, on_delta)
        except hf.LocalModelError as exc:
            raise ModelError(exc.message) from None

    def _complete(self, messages: ChatMessages, model: str, on_delta: OnDelta | None) -> Completion:
        self._load_base()
        adapter = self._adapter_name(model)
        inputs = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self._device)
        prompt_length = int(inputs["input_ids"].shape[1])
        with self._using(adapter):
            output = self._model.generate(
                **inputs,
                max_new_tokens=self._room_for_answer(prompt_length),
                do_sample=False,
                # Greedy: drop the model's own sampling defaults instead of warning about them.
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=self._tokenizer.pad_token_id,
                streamer=_streamer(self._tokenizer, on_delta) if on_delta else None,
            )
        answer = output[0][prompt_length:]
        return Completion(
            text=self._tokenizer.decode(answer, skip_special_tokens=True).strip(),
            model_id=model,
            prompt_tokens=prompt_length,
            completion_tokens=int(answer.shape[0]),
        )

    def _room_for_answer(self, prompt_length: int) -> int:
        """MAX_ANSWER_TOKENS, or less where the prompt fills most of the model's window.

        The responder trims prompts with a tiktoken count, not this model's tokenizer, so
        a small model's window can still be overrun; generating past it gives garbage."""
        window = getattr(self._model.config, "max_position_embeddings", None)
        if not window:
            return self.settings.max_answer_tokens
        room = int(window) - prompt_length
        if room < 16:
            raise hf.LocalModelError(
                f"The prompt takes {prompt_length} of the model's {window} tokens, leaving no "
                "room for an answer: lower PROMPT_TOKEN_BUDGET or HISTORY_MAX_MESSAGES."
            )
        return min(self.settings.max_answer_tokens, room)

    def _load_base(self) -> None:
        if self._model is not None:
            return
        hf.require_extra()
        source = hf.base_model_source(self.settings.local_base_model)
        self._device = hf.device()
        self._tokenizer = hf.load_tokenizer(source)
        model = hf.load_model(source, self._device)
        model.eval()
        self._model = model
        logger.info("loaded %s on %s for in-process answers", source, self._device)

    def _adapter_name(self, model: str) -> str | None:
        """The PEFT adapter that answers as `model`, loading it on first use; None = base model."""
        if not model or model == self.settings.local_base_model:
            return None
        if model in self._adapters:
            return self._adapters[model]
        path = self._adapter_path(model)
        # PEFT names adapters as module keys, which may not hold dots: number them instead.
        name = f"adapter{len(self._adapters) + 1}"
        from peft import PeftModel

        if isinstance(self._model, PeftModel):
            self._model.load_adapter(str(path), adapter_name=name)
        else:
            self._model = PeftModel.from_pretrained(self._model, str(path), adapter_name=name)
        self._model.eval()
        self._adapters[model] = name
        logger.info("loaded adapter %s from %s", model, path)
        return name

    def _adapter_path(self, model: str) -> Path:
        """A folder given directly, the version's artifact path, or one in the adapters dir."""
        given = Path(model).expanduser()
        candidates = [given]
        if self.find_adapter is not None and (stored := self.find_adapter(model)):
            candidates.append(Path(stored))
        folder = self.settings.adapters_dir
        candidates += [folder / model / "adapter", folder / model]
        for candidate in candidates:
            if (candidate / "adapter_config.json").is_file():
                return candidate
        raise hf.LocalModelError(
            f"No LoRA adapter for model {model!r}: not its stored artifact path and not in "
            f"{folder}. Train one with `afina train --provider local`, or set "
            "LOCAL_OUTPUT_DIR to where the adapters are."
        )

    def _using(self, adapter: str | None) -> Any:
        """A context in which the model answers with `adapter` (None: the bare base model)."""
        import contextlib

        from peft import PeftModel

        if not isinstance(self._model, PeftModel):
            return contextlib.nullcontext()
        if adapter is None:
            return self._model.disable_adapter()
        self._model.set_adapter(adapter)
        return contextlib.nullcontext()


def _streamer(tokenizer: Any, on_delta: OnDelta) -> Any:
    """Hand each finished piece of text to `on_delta`, in this thread, as generation goes."""
    from transformers import TextStreamer

    class Deltas(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if text:
                on_delta(text)

    return Deltas(tokenizer, skip_prompt=True, skip_special_tokens=True)
