"""`afina doctor`'s line about where the `openai` provider's fine-tuning jobs go.

`TUNING_BASE_URL` / `TUNING_API_KEY` (default: the chat settings) may name any
service with OpenAI's `files` + `fine_tuning.jobs` API. With `reach`, the
doctor lists one job there (`GET /fine_tuning/jobs?limit=1`) and reports what
the endpoint answers: jobs listed, a refused key, or no fine-tuning API at all.
"""

from __future__ import annotations

from bot.checks import Check, mask, show_url, url_problem
from bot.config import Settings
from bot.probe import request
from tuning.providers.openai_endpoint import service_name, tuning_endpoint

NAME = "tuning endpoint"
OPENAI_V1 = "https://api.openai.com/v1"


def checks(settings: Settings, *, reach: bool, timeout_s: float) -> list[Check]:
    if settings.tuning_provider != "openai":
        return []
    base_url, secret, key_name = tuning_endpoint(settings)
    base = (base_url or OPENAI_V1).rstrip("/")
    problem = url_problem(base)
    if problem:
        setting = "TUNING_BASE_URL" if settings.tuning_base_url else "OPENAI_BASE_URL"
        return [Check(NAME, "fail", f"{setting} {problem}")]
    found = _serving(settings, base)
    key = secret.get_secret_value() if secret else ""
    where = show_url(base)
    if not reach:
        with_key = f" with {key_name} {mask(key)}" if key else ""
        return [
            Check(NAME, "ok", f"fine-tuning jobs go to {where}{with_key} (not contacted)"),
            *found,
        ]
    headers = {"authorization": f"Bearer {key}"} if key else {}
    answer = request(f"{base}/fine_tuning/jobs?limit=1", timeout_s=timeout_s, headers=headers)
    return [_answered(answer, where, key_name, service_name(base)), *found]


def _answered(answer: object, where: str, key_name: str, who: str) -> Check:
    if isinstance(answer, str):
        return Check(NAME, "fail", f"{where} is unreachable: {answer}")
    status = getattr(answer, "status", 0)
    if status in (401, 403):
        return Check(NAME, "fail", f"{where} answers, but {key_name} was refused (HTTP {status})")
    if status in (404, 405):
        return Check(
            NAME,
            "fail",
            f"{where} has no fine-tuning API (HTTP {status} on /fine_tuning/jobs): point "
            "TUNING_BASE_URL at a service that has one, or use TUNING_PROVIDER=together or local",
        )
    if status != 200:
        return Check(NAME, "fail", f"{where} answered HTTP {status} on /fine_tuning/jobs")
    payload = answer.json()  # type: ignore[attr-defined]
    jobs = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(jobs, list):
        return Check(NAME, "warn", f"{where} answers /fine_tuning/jobs, but not with a job list")
    seen = "lists your latest job" if jobs else "answers, no jobs yet"
    return Check(NAME, "ok", f"{where} · {who} fine-tuning API · {seen}")


def _serving(settings: Settings, tuning_base: str) -> list[Check]:
    """Tuned models are asked for at the chat endpoint: say so when the two differ."""
    chat = (settings.openai_base_url or OPENAI_V1).rstrip("/")
    if chat == tuning_base:
        return []
    return [
        Check(
            NAME,
            "warn",
            f"models tuned at {show_url(tuning_base)} are asked for at {show_url(chat)} "
            "(OPENAI_BASE_URL): make sure that endpoint serves them under their model id",
        )
    ]
