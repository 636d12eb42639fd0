"""Together AI's REST API, the few calls a fine-tuning run needs, over `httpx`.

Paths and shapes are Together's OpenAPI spec (togethercomputer/openapi) and
what its official SDK sends (togethercomputer/together-py): files go up the
SDK's way, `POST /files` (multipart `purpose`, `file_name`, `file_type`) →
302 to a presigned URL → `PUT` of the bytes there, without our key →
`POST /files/{id}/preprocess`. Every failure becomes a `ProviderError` that
says what to do; a 429, a 5xx or no answer at all is marked `retry`, so the
run keeps its state and tries the same step again on the next poll.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx

from bot.config import Settings
from tuning.providers.base import ProviderError

logger = logging.getLogger(__name__)

TIMEOUT_S = 30.0
UPLOAD_TIMEOUT_S = 600.0  # a big training file on a slow uplink
CHUNK = 1 << 20


def message_of(response: httpx.Response) -> str:
    """Together's error text: `{"error": {"message"}}`, or `{"message"}` on some paths."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if body.get("message"):
            return str(body["message"])
    return response.reason_phrase


class TogetherAPI:
    """One authenticated client for one base URL (`TOGETHER_BASE_URL`, …/v1)."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None):
        key = settings.together_api_key.get_secret_value() if settings.together_api_key else ""
        self.has_key = bool(key)
        self.base_url = settings.together_base_url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base_url,
            headers={"authorization": f"Bearer {key}", "user-agent": "afina"},
            timeout=TIMEOUT_S,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    # --- one request ---------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        files: Any = None,
        timeout: float | None = None,
        allow: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """The response (2xx, or a status listed in `allow`), else a `ProviderError`."""
        if not self.has_key:
            raise ProviderError("Set TOGETHER_API_KEY to train with Together AI.")
        try:
            response = self.http.request(
                method,
                path,
                json=json,
                params=params,
                files=files,
                timeout=timeout or TIMEOUT_S,
                follow_redirects=False,  # a redirect is the upload URL; never resend the key
            )
        except httpx.TimeoutException:
            raise ProviderError(
                f"Together did not answer in time while {doing}.", retry=True
            ) from None
        except httpx.HTTPError as exc:
            logger.debug("Together request failed: %s", type(exc).__name__)
            raise ProviderError(
                f"Together could not be reached while {doing}.", retry=True
            ) from None
        if response.is_success or response.status_code in allow:
            return response
        raise refusal(response, doing)

    def json(self, method: str, path: str, *, doing: str, **kwargs: Any) -> Any:
        response = self.call(method, path, doing=doing, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ProviderError(
                f"Together answered {doing} with something that is not JSON.", retry=True
            ) from None

    # --- files ---------------------------------------------------------------------
    def files(self) -> list[dict[str, Any]]:
        data = self.json("GET", "/files", doing="listing uploaded files")
        return list(data.get("data") or []) if isinstance(data, dict) else []

    def upload(self, path: Path, name: str) -> str:
        """Upload a JSONL training file under `name`; returns its file id."""
        doing = f"uploading {name}"
        fields = {
            "purpose": (None, "fine-tune"),
            "file_name": (None, name),
            "file_type": (None, "jsonl"),
        }
        started = self.call("POST", "/files", doing=doing, files=fields, allow=frozenset({302}))
        signed = started.headers.get("location")
        file_id = started.headers.get("x-together-file-id")
        if started.status_code != 302 or not signed or not file_id:
            raise ProviderError(f"Together did not hand out an upload address while {doing}.")
        try:
            with path.open("rb") as handle:
                # Streamed, with its length: presigned storage URLs refuse chunked uploads.
                size = str(path.stat().st_size)
                stored = httpx.put(
                    signed,
                    content=iter(lambda: handle.read(CHUNK), b""),
                    headers={"content-length": size},
                    timeout=UPLOAD_TIMEOUT_S,
                )
        except httpx.HTTPError:
            raise ProviderError(f"The upload of {name} was interrupted.", retry=True) from None
        if not stored.is_success:
            raise ProviderError(
                f"Together's storage refused {name} (HTTP {stored.status_code}).",
                retry=stored.status_code >= 500,
            )
        self.json("POST", f"/files/{file_id}/preprocess", doing=doing)
        return file_id

    # --- fine-tunes ----------------------------------------------------------------
    def fine_tunes(self) -> list[dict[str, Any]]:
        data = self.json("GET", "/fine-tunes", doing="listing fine-tuning jobs")
        return list(data.get("data") or []) if isinstance(data, dict) else []

    def fine_tune(self, job_id: str) -> dict[str, Any]:
        data = self.json("GET", f"/fine-tunes/{job_id}", doing=f"checking job {job_id}")
        if not isinstance(data, dict):
            raise ProviderError(f"Together answered job {job_id} without a job.", retry=True)
        return data

    def events(self, job_id: str) -> list[dict[str, Any]]:
        data = self.json("GET", f"/fine-tunes/{job_id}/events", doing=f"reading job {job_id}")
        return list(data.get("data") or []) if isinstance(data, dict) else []

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        data = self.json("POST", "/fine-tunes", doing="starting the fine-tuning job", json=body)
        if not isinstance(data, dict) or not data.get("id"):
            raise ProviderError("Together accepted the job without naming it.")
        return data

    def cancel(self, job_id: str) -> None:
        self.call("POST", f"/fine-tunes/{job_id}/cancel", doing=f"cancelling job {job_id}")

    def limits(self, model: str) -> dict[str, Any] | None:
        """The model's fine-tuning limits, or None when Together does not tune it."""
        response = self.call(
            "GET",
            "/fine-tunes/models/limits",
            doing=f"looking up {model}",
            params={"model_name": model},
            allow=frozenset({400, 404}),
        )
        if not response.is_success:
            return None
        data = response.json()
        return data if isinstance(data, dict) else {}

    def supported(self) -> list[str]:
        data = self.json("GET", "/fine-tunes/models/supported", doing="listing tunable models")
        return [str(m) for m in (data.get("models") or [])] if isinstance(data, dict) else []

    # --- serving ---------------------------------------------------------------------
    def ask(self, model: str) -> httpx.Response:
        """One token from `model` on Together's OpenAI-compatible chat endpoint."""
        return self.call(
            "POST",
            "/chat/completions",
            doing=f"asking {model}",
            json={"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1},
            allow=frozenset({400, 403, 404}),
        )


def refusal(response: httpx.Response, doing: str) -> ProviderError:
    """A non-2xx answer as one sentence a person can act on (the key never appears)."""
    status = response.status_code
    detail = f"HTTP {status}: {message_of(response)}"
    if status == 401:
        return ProviderError(
            f"Together rejected the API key while {doing}: check TOGETHER_API_KEY."
        )
    if status == 402:
        return ProviderError(
            f"Together refused {doing}: the account is out of credit or over its spending "
            "limit (HTTP 402). Add credit at https://api.together.ai/settings/billing."
        )
    if status == 429 or status >= 500:
        return ProviderError(f"Together is busy ({detail}) while {doing}.", retry=True)
    return ProviderError(f"Together refused {doing} ({detail}).")
