"""`afina doctor`'s look at retraining: the provider, OpenAI's end of fine-tuning, the LoRA server.

The rules are tuning's own: the OpenAI provider's key and endpoint are the
openai backend's (`bot.backends.checks`), and LORA_SERVER_URL is read the way
promotion reads it (`tuning.local.lora_server.base_url`: with or without /v1,
one server).
"""

from __future__ import annotations

from datetime import date

from bot.backends.checks import openai_endpoint, openai_key
from bot.checks import Diagnosis, Status, show_url, url_problem, value
from bot.probe import request
from tuning.local.lora_server import base_url

# OpenAI stopped taking fine-tuning jobs from new organisations and stops for everyone then.
OPENAI_FINE_TUNING_ENDS = date(2027, 1, 6)


def checks(diagnosis: Diagnosis) -> None:
    s = diagnosis.settings
    provider = s.tuning_provider
    if provider == "examples":
        diagnosis.add("tuning", "ok", "examples (offline retrieval index; no training)")
    elif provider == "openai":
        diagnosis.add("tuning", "ok", f"openai fine-tuning of {s.tuning_base_model}")
        openai_key(diagnosis, "TUNING_PROVIDER=openai")
        diagnosis.add("tuning", *openai_deadline())
        if not diagnosis.has("model endpoint"):
            openai_endpoint(diagnosis, "")  # the key is checked where the jobs will go
    elif provider == "together":
        diagnosis.add("tuning", "ok", f"together: LoRA fine-tuning of {s.together_base_model}")
    else:
        diagnosis.add("tuning", "ok", "local (LoRA on this machine's GPU)")
    provider_checks(diagnosis)
    if s.lora_server_url:
        lora_server(diagnosis, s.lora_server_url)


def provider_checks(diagnosis: Diagnosis) -> None:
    """The hosted providers' own checks (their modules know their APIs)."""
    from tuning.providers import openai_checks, together_checks

    serving = getattr(diagnosis.active, "provider", None) == "together"
    reach, timeout = diagnosis.reach, diagnosis.timeout_s
    diagnosis.checks += openai_checks.checks(diagnosis.settings, reach=reach, timeout_s=timeout)
    diagnosis.checks += together_checks.checks(
        diagnosis.settings, reach=reach, timeout_s=timeout, serving=serving
    )


def openai_deadline(today: date | None = None) -> tuple[Status, str]:
    when = OPENAI_FINE_TUNING_ENDS.isoformat()
    if (today or date.today()) >= OPENAI_FINE_TUNING_ENDS:
        return (
            "fail",
            f"OpenAI stopped accepting fine-tuning jobs on {when}: set "
            "TUNING_PROVIDER=together (hosted) or TUNING_PROVIDER=local (your GPU)",
        )
    return (
        "warn",
        f"OpenAI stops accepting new fine-tuning jobs on {when}: consider "
        "TUNING_PROVIDER=together (hosted) or TUNING_PROVIDER=local (your GPU)",
    )


def lora_server(diagnosis: Diagnosis, url: str) -> None:
    problem = url_problem(url)
    if problem:
        diagnosis.add("lora server", "fail", f"LORA_SERVER_URL {problem}")
        return
    base = base_url(url)
    where = show_url(base)
    if not diagnosis.reach:
        diagnosis.add("lora server", "ok", f"{where} (not contacted)")
        return
    key = value(diagnosis.settings.openai_api_key)
    headers = {"authorization": f"Bearer {key}"} if key else {}
    answer = request(f"{base}/v1/models", timeout_s=diagnosis.timeout_s, headers=headers)
    if isinstance(answer, str):
        diagnosis.add("lora server", "fail", f"LORA_SERVER_URL {where} is unreachable: {answer}")
    elif answer.status in (401, 403):
        diagnosis.add(
            "lora server",
            "fail",
            f"{where} refused the request (HTTP {answer.status}): set OPENAI_API_KEY to its key",
        )
    elif answer.status != 200:
        diagnosis.add("lora server", "fail", f"{where} answered HTTP {answer.status}")
    else:
        diagnosis.add("lora server", "ok", f"{where} · reachable")
