"""Where OpenAI fine-tuning jobs go and with which key, without loading the `openai` client.

Apart from `openai_ft` because the checks every start reports (`tuning.checks`) need
these, not the client: importing `openai` there cost each process about half a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pydantic import SecretStr

    from bot.config import Settings


def tuning_endpoint(settings: Settings) -> tuple[str | None, SecretStr | None, str]:
    """Where fine-tuning jobs go, with which key, and the setting that names that key."""
    base = settings.tuning_base_url or settings.openai_base_url
    if settings.tuning_api_key:
        return base, settings.tuning_api_key, "TUNING_API_KEY"
    return base, settings.openai_api_key, "OPENAI_API_KEY"


def service_name(base_url: str | None) -> str:
    """`OpenAI` for OpenAI itself, else the host the jobs go to (`x.openai.azure.com`)."""
    host = urlsplit(base_url).hostname if base_url else None
    return "OpenAI" if host in (None, "api.openai.com") else host
