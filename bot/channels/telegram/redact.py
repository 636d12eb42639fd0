"""Keep the bot token out of logs.

The token is part of every Bot API URL, so httpx's request log lines carry it,
and `telegram.error.InvalidToken` quotes it. A filter rewrites any record
(message, arguments and traceback) that contains a secret.
"""

from __future__ import annotations

import logging
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


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = describe_error(record.exc_info[1], self.secrets)
            record.exc_info = None
        return True


def protect(logger: logging.Logger | logging.Handler, secrets: Iterable[str]) -> None:
    """Attach a redacting filter once per secret set (a logger, or a handler for all records)."""
    wanted = sorted(s for s in secrets if s)
    for existing in logger.filters:
        if isinstance(existing, RedactSecrets) and sorted(existing.secrets) == wanted:
            return
    logger.addFilter(RedactSecrets(wanted))


def protect_handlers(secrets: Iterable[str]) -> None:
    """Mask secrets in everything the root logger's handlers write (call from entry points)."""
    wanted = list(secrets)
    for handler in logging.getLogger().handlers:
        protect(handler, wanted)
