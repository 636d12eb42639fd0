"""Keep the bot token out of what the error handler logs.

The token is part of every Bot API URL, and `telegram.error.InvalidToken` quotes
it. Every log record is masked by `bot.logsafe`; the error handler formats its
traceback itself, so it masks that text here first.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable

MASK = "[secret]"


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def describe_error(error: BaseException, secrets: Iterable[str]) -> str:
    """The error with its traceback, secrets masked."""
    return redact("".join(traceback.format_exception(error)).rstrip(), list(secrets))
