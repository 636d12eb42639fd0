"""Answers from any OpenAI-compatible chat API (OpenAI, vLLM, Ollama, llama.cpp, Azure).

Retries are the client's own (bounded by `OPENAI_MAX_RETRIES`, honouring
`retry-after`), with a per-request timeout; once they are spent the error
becomes a `ModelError` that the responder turns into a polite fallback.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import openai
from pydantic import SecretStr

from bot import tokens
from bot.backends.base import ChatMessages, Completion, ModelError, OnDelta
from bot.backends.endpoint import OPENAI_API_URL
from bot.backends.endpoint import base_url as base_url
from bot.config import Settings

logger = logging.getLogger(__name__)


def make_client(settings: Settings) -> openai.OpenAI:
    """A client for the chat settings (OPENAI_BASE_URL, OPENAI_API_KEY)."""
    return client_for(settings, settings.openai_base_url, settings.openai_api_key)


def client_for(
    settings: Settings, base_url: str | None, api_key: SecretStr | None
) -> openai.OpenAI:
    """A client for this endpoint and this key only (no other key is ever sent there)."""
    key = api_key.get_secret_value() if api_key else None
    return openai.OpenAI(
        # Local servers (Ollama, vLLM) accept any key; the client insists on one.
        api_key=key or "not-needed",
        base_url=(base_url or OPENAI_API_URL).rstrip("/"),
        timeout=settings.openai_timeout_s,
        max_retries=settings.openai_max_retries,
    )


class OpenAIChat:
    name = "openai"

    def __init__(self, settings: Settings, client: openai.OpenAI | None = None) -> None:
        self.settings = settings
        self.client = client or make_client(settings)

    def warm_up(self) -> None:
        """What the first request would load (`bot.warmup`): the client's chat resource and
        the response types it parses, imported lazily by the library. No request is made."""
        from openai.types.chat import ChatCompletion, ChatCompletionChunk  # noqa: F401

        _ = self.client.chat.completions

    def complete(
        self, messages: ChatMessages, *, model: str, on_delta: OnDelta | None = None
    ) -> Completion:
        try:
            if on_delta is None:
                return self._whole(messages, model)
            return self._streamed(messages, model, on_delta)
        except openai.APIStatusError as exc:
            raise ModelError(f"model endpoint answered HTTP {exc.status_code}") from None
        except openai.APITimeoutError:
            raise ModelError("model endpoint timed out") from None
        except openai.APIConnectionError:
            raise ModelError("model endpoint unreachable") from None
        except openai.OpenAIError as exc:
            raise ModelError(f"model error: {type(exc).__name__}") from None

    def _whole(self, messages: ChatMessages, model: str) -> Completion:
        response = self.client.chat.completions.create(
            model=model,
            messages=cast(Any, messages),
            max_completion_tokens=self.settings.max_answer_tokens,
            temperature=self.settings.temperature,
        )
        if not response.choices:
            raise ModelError("model returned no choices")
        text = response.choices[0].message.content or ""
        usage = response.usage
        return Completion(
            text=text,
            model_id=response.model or model,
            prompt_tokens=usage.prompt_tokens if usage else tokens.count_messages(messages),
            completion_tokens=usage.completion_tokens if usage else tokens.count(text),
        )

    def _streamed(self, messages: ChatMessages, model: str, on_delta: OnDelta) -> Completion:
        stream = self.client.chat.completions.create(
            model=model,
            messages=cast(Any, messages),
            max_completion_tokens=self.settings.max_answer_tokens,
            temperature=self.settings.temperature,
            stream=True,
            stream_options={"include_usage": True},
        )
        parts: list[str] = []
        served = model
        prompt_tokens = completion_tokens = 0
        for chunk in stream:
            served = chunk.model or served
            if chunk.usage:
                prompt_tokens = chunk.usage.prompt_tokens
                completion_tokens = chunk.usage.completion_tokens
            for choice in chunk.choices:
                piece = choice.delta.content if choice.delta else None
                if piece:
                    parts.append(piece)
                    on_delta(piece)
        text = "".join(parts)
        return Completion(
            text=text,
            model_id=served,
            prompt_tokens=prompt_tokens or tokens.count_messages(messages),
            completion_tokens=completion_tokens or tokens.count(text),
        )
