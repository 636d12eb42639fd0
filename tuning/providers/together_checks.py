"""`afina doctor`'s lines about Together AI: the key, the base URL, and whether the model tunes.

Asked when `TUNING_PROVIDER=together` or when the active version is a Together
model (it is served with `TOGETHER_API_KEY`). With `reach`, one request:
`GET /fine-tunes/models/limits?model_name=TOGETHER_BASE_MODEL`, which needs the
key and says whether Together fine-tunes that model (404 when it does not). It
never asks a model to answer, so a diagnosis costs nothing.
"""

from __future__ import annotations

from urllib.parse import quote

from bot.checks import Check, mask, show_url, token_problem, url_problem
from bot.config import Settings
from bot.probe import request

NAME = "together"
KEYS_PAGE = "https://api.together.ai/settings/api-keys"


def checks(
    settings: Settings, *, reach: bool, timeout_s: float, serving: bool = False
) -> list[Check]:
    """One line per thing to fix about Together; `serving` when the active version is there."""
    training = settings.tuning_provider == "together"
    if not training and not serving:
        return []
    needed_by = "TUNING_PROVIDER=together" if training else "the active Together version"
    key = settings.together_api_key.get_secret_value() if settings.together_api_key else ""
    base = settings.together_base_url.rstrip("/")
    if not key:
        return [Check(NAME, "fail", f"{needed_by} needs TOGETHER_API_KEY ({KEYS_PAGE})")]
    problem = token_problem(key)
    if problem:
        return [Check(NAME, "fail", f"TOGETHER_API_KEY ({mask(key)}) {problem}")]
    problem = url_problem(base)
    if problem:
        return [Check(NAME, "fail", f"TOGETHER_BASE_URL {problem}")]
    kind = [_training_type(settings)] if training else []
    if not reach:
        model = settings.together_base_model
        return [Check(NAME, "ok", f"TOGETHER_API_KEY {mask(key)} · {model} (not contacted)"), *kind]
    return [_limits(settings, base, key, timeout_s), *kind]


def _limits(settings: Settings, base: str, key: str, timeout_s: float) -> Check:
    model = settings.together_base_model
    where = show_url(base)
    answer = request(
        f"{base}/fine-tunes/models/limits?model_name={quote(model, safe='')}",
        timeout_s=timeout_s,
        headers={"authorization": f"Bearer {key}"},
    )
    if isinstance(answer, str):
        return Check(NAME, "fail", f"{where} is unreachable: {answer}")
    if answer.status in (401, 403):
        return Check(
            NAME,
            "fail",
            f"{where} answers, but TOGETHER_API_KEY was refused (HTTP {answer.status})",
        )
    if answer.status in (400, 404):
        return Check(
            NAME,
            "fail",
            f"Together does not fine-tune {model} (TOGETHER_BASE_MODEL): "
            f"{base}/fine-tunes/models/supported lists the models it does",
        )
    if answer.status != 200:
        return Check(NAME, "fail", f"{where} answered HTTP {answer.status}")
    limits = answer.json() if isinstance(answer.json(), dict) else {}
    rank = (limits.get("lora_training") or {}).get("max_rank")
    detail = f" (LoRA rank up to {rank})" if rank else ""
    return Check(NAME, "ok", f"{where} · TOGETHER_API_KEY {mask(key)} · tunes {model}{detail}")


def _training_type(settings: Settings) -> Check:
    if settings.together_training_type == "full":
        return Check(
            NAME,
            "warn",
            "TOGETHER_TRAINING_TYPE=full: Together serves full fine-tunes only on a dedicated "
            "endpoint, billed by the hour; afina never starts one, so each run stops before "
            "the gate until you do (lora is served per token on supported models)",
        )
    return Check(NAME, "ok", "LoRA fine-tuning, served serverless where Together supports it")
