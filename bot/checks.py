"""What `afina doctor` is made of: one `Check` per line, and the masking every line goes through.

Each part of afina keeps its checks next to its own rules (the database in
`bot.db_checks`, model backends in `bot.backends.checks`, tuning in
`tuning.checks`, each channel in its `setup.py`, the schedule in `bot.cron`), so a
rule and its message exist once; `bot.doctor` only orders, masks and prints.
A part's checks take a `Diagnosis`, read its settings, add lines, and call
outside services only when `diagnosis.reach` (through `bot.probe`, which never
quotes a request or an exception).

Secrets never leave here whole: tokens and keys are shown as `xoxb-…a1b2`,
database passwords as `***`; `scrubbed` is the last guard on every message.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:  # annotations only: `afina --help` lists the channels without pydantic
    from pydantic import SecretStr

    from bot.config import Settings

Status = Literal["ok", "warn", "fail"]

DEFAULT_TIMEOUT_S = 3.0
# Known token prefixes say what kind of token it is and are not secret, so they stay visible.
_PUBLIC_PREFIXES = (
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxe-",
    "xapp-",
    "sk-proj-",
    "sk-svcacct-",
    "sk-admin-",
    "sk-",
)
_BOT_ID = re.compile(r"^(\d+):")  # a Telegram bot's id is public (it is in every link)


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis: what was looked at, how it went, what to do."""

    name: str
    status: Status
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Diagnosis:
    """The checks so far, and what every part's checks need to add theirs."""

    settings: Settings
    reach: bool = True  # False: no calls to outside services (the database is still checked)
    timeout_s: float = DEFAULT_TIMEOUT_S
    checks: list[Check] = field(default_factory=list)
    active: Any = None  # the active ModelVersion, once the database could be read

    def add(self, name: str, status: Status, message: str) -> None:
        self.checks.append(Check(name, status, message))

    def fails(self) -> int:
        return sum(c.status == "fail" for c in self.checks)

    def has(self, name: str, status: Status | None = None) -> bool:
        return any(c.name == name and status in (None, c.status) for c in self.checks)


def mask(secret: str) -> str:
    """`xoxb-…a1b2`: the kind of token and enough of its end to tell two apart, never more.

    The last four characters show only on long secrets, where they give nothing away."""
    prefix = next((p for p in _PUBLIC_PREFIXES if secret.startswith(p)), "")
    bot_id = _BOT_ID.match(secret)
    if not prefix and bot_id:
        prefix = bot_id.group(1) + ":"
    rest = secret[len(prefix) :]
    return f"{prefix}…{rest[-4:] if len(rest) >= 16 else ''}"


def mask_database_url(url: str) -> str:
    """The database URL with its password (and any password in the query) as `***`."""
    from bot.db import masked_url

    return masked_url(url)


def show_url(url: str) -> str:
    """A service URL without a password in it (`https://user:***@host/`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def scrubbed(check: Check, secrets: list[str]) -> Check:
    """The last guard: no secret in `secrets` (longest first) appears whole in the message."""
    message = check.message
    for secret in secrets:
        message = message.replace(secret, mask(secret))
    return Check(check.name, check.status, message)


def url_problem(value: str) -> str | None:
    """Why `value` is not a usable http(s) URL, or None."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host name"
    if value != value.strip():
        return "has spaces around it"
    return None


def token_problem(value: str) -> str | None:
    """Copy-paste slips that make any token fail: spaces, quotes, line breaks."""
    if any(ch.isspace() for ch in value):
        return "holds spaces or a line break (a copy-paste slip?)"
    if value[:1] in "\"'" or value[-1:] in "\"'":
        return "is wrapped in quotes: leave them out of the value"
    return None


def token_shape(
    diagnosis: Diagnosis, name: str, variable: str, value: str, prefix: str, kind: str
) -> None:
    """Fail when a token has a copy-paste slip, or is not the kind its prefix says."""
    problem = token_problem(value)
    if problem:
        diagnosis.add(name, "fail", f"{variable} ({mask(value)}) {problem}")
    elif not value.startswith(prefix):
        diagnosis.add(
            name, "fail", f"{variable} ({mask(value)}) is not {kind} (those start with {prefix})"
        )


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""
