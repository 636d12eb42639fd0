"""No configured secret in any log line: one filter, applied to every record as it is made.

Libraries log what they send: httpx logs every Bot API URL, and the Telegram
token is part of each; a driver or an SDK may quote a URL or a header in an
error. So each process, as it starts (`install(settings)`, from the CLI and from
every server process uvicorn starts), masks every configured secret in every
record: the tokens, the signing secret, every API key, the webhook secret and
the database password.

The filter runs in the record factory rather than on handlers: uvicorn (and any
library) may replace the handlers later, and a filter on a logger never sees the
records of its children. Message, arguments, a traceback and a stack all pass
through it before any handler formats them.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import SecretStr

from bot.config import Settings

MASK = "[secret]"
SHORTEST = 6  # a shorter "secret" would mask ordinary words in every line

_secrets: list[str] = []
_made_by: Callable[..., logging.LogRecord] | None = None


def configured_secrets(settings: Settings) -> list[str]:
    """Every secret in these settings: each `SecretStr`, and the database URL's password."""
    found = [
        value.get_secret_value()
        for name in type(settings).model_fields
        if isinstance(value := getattr(settings, name), SecretStr)
    ]
    if settings.database_url:
        found += _url_password(settings.database_url)
    return found


def _url_password(url: str) -> list[str]:
    """The password in a database URL, as written (percent-encoded) and as meant.

    urllib rather than SQLAlchemy's `make_url`: this runs before anything else in every
    command, and SQLAlchemy's import (0.3-0.4 s) would delay a channel's first call to
    its platform. A URL that does not parse has no password to mask: `bot.db` says it
    is not a URL, and shows none of it."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password, unquote(password)] if password else []


def mask(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with every secret replaced by `[secret]` (longest first, so none shows in part)."""
    for secret in _secrets if secrets is None else _ordered(secrets):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class SecretsFilter(logging.Filter):
    """Masks the installed secrets in a record: message, arguments, traceback, stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        message = record.getMessage()
        cleaned = mask(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask("".join(traceback.format_exception(record.exc_info[1])))
            record.exc_text = record.exc_text.rstrip()
            record.exc_info = None
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


_FILTER = SecretsFilter()


def install(settings: Settings, extra: Iterable[str] = ()) -> None:
    """Mask these settings' secrets (and `extra`) in every record this process makes from now on.

    Safe to call again: the secrets are replaced, the factory is wrapped once."""
    global _made_by
    _secrets[:] = _ordered([*configured_secrets(settings), *extra])
    if _made_by is None:
        _made_by = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_masked_record)


def _masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _made_by is not None
    record = _made_by(*args, **kwargs)
    _FILTER.filter(record)
    return record


def _ordered(secrets: Iterable[str]) -> list[str]:
    kept = {s for s in secrets if s and len(s) >= SHORTEST}
    return sorted(kept, key=len, reverse=True)


def uninstall() -> None:
    """Back to the record factory there was before `install` (tests run many "processes")."""
    global _made_by
    _secrets.clear()
    if _made_by is not None:
        logging.setLogRecordFactory(_made_by)
        _made_by = None
