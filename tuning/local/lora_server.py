"""Loading LoRA adapters into a running OpenAI-compatible server (vLLM) at run time.

vLLM started with `--enable-lora` and `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`
accepts `POST /v1/load_lora_adapter {"lora_name", "lora_path"}`; from then on a
chat request with `model=<lora_name>` is answered by the base model plus that
adapter. So promoting a local version is one request, and the `openai` backend
serves it unchanged with the version's model id.

Rollback loads the older adapter again (a no-op when it is still loaded) and
unloads nothing: keeping recent adapters loaded keeps rollback instant, and
vLLM moves idle adapters off the GPU on its own (`--max-loras`).

The server reads `lora_path` from its own disk: the adapters folder must be
visible to it at the same path (same machine, or a shared volume).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from tuning.providers.base import ProviderError

logger = logging.getLogger(__name__)
ENABLE_HINT = (
    "start vLLM with --enable-lora and the environment variable "
    "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True"
)


def load_adapter(
    server_url: str, *, name: str, path: str, api_key: str | None = None, timeout: float = 60.0
) -> None:
    """Make `name` answerable on the server; loading an already loaded adapter is fine."""
    status, text = _post(
        server_url, "load_lora_adapter", {"lora_name": name, "lora_path": path}, api_key, timeout
    )
    if status == 200:
        logger.info("LoRA server loaded adapter %s from %s", name, path)
        return
    if status == 400 and "already been loaded" in text:
        logger.info("LoRA server already has adapter %s", name)
        return
    raise ProviderError(_explain(server_url, "load", name, status, text))


def unload_adapter(
    server_url: str, *, name: str, api_key: str | None = None, timeout: float = 60.0
) -> None:
    """Free an adapter on the server; one that is not loaded counts as unloaded."""
    status, text = _post(server_url, "unload_lora_adapter", {"lora_name": name}, api_key, timeout)
    if status == 200 or (status == 404 and "cannot be found" in text):
        return
    raise ProviderError(_explain(server_url, "unload", name, status, text))


def _post(
    server_url: str, route: str, payload: dict[str, str], api_key: str | None, timeout: float
) -> tuple[int, str]:
    url = f"{base_url(server_url)}/v1/{route}"
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProviderError(
            f"LoRA server at {base_url(server_url)} is unreachable ({reason}): "
            "check LORA_SERVER_URL and that the server is running."
        ) from None


def base_url(server_url: str) -> str:
    """`http://gpu:8000`, `http://gpu:8000/` and `http://gpu:8000/v1` all mean the same server."""
    url = server_url.rstrip("/")
    return url.removesuffix("/v1")


def _explain(server_url: str, verb: str, name: str, status: int, text: str) -> str:
    where = f"LoRA server at {base_url(server_url)}"
    if status in (404, 405) and _error_message(text) in ("Not Found", "Method Not Allowed"):
        return f"{where} has no /v1/{verb}_lora_adapter route (HTTP {status}): {ENABLE_HINT}."
    if status in (401, 403):
        return f"{where} refused the request (HTTP {status}): set OPENAI_API_KEY to its API key."
    detail = _error_message(text)
    return f"{where} could not {verb} adapter {name!r} (HTTP {status}): {detail}"


def _error_message(text: str) -> str:
    """vLLM errors are `{"error": {"message"}}` or `{"message"}`; missing routes `{"detail"}`."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return text.strip()[:300] or "no details"
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(body.get("detail"), str):  # the web framework's own errors
            return str(body["detail"])[:300]
    return text.strip()[:300]
