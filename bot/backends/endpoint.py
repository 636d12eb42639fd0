"""Where OpenAI-compatible chat requests go, without loading the `openai` client.

Apart from `bot.backends.openai_chat` because every start reports the setup
(`bot.doctor.log_startup_report`), which needs the URL but not the client: importing
`openai` there cost a channel about half a second before its first call to the platform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings

OPENAI_API_URL = "https://api.openai.com/v1"


def base_url(settings: Settings) -> str:
    """Where requests go: OPENAI_BASE_URL, else OpenAI's own API."""
    return (settings.openai_base_url or OPENAI_API_URL).rstrip("/")
