"""Credentials people paste into a chat: API tokens, keys, JWTs, private keys, passwords.

Each has a prefix no ordinary word has (`xoxb-`, `sk-proj-`, `AKIA`, `ghp_`,
`eyJ…`, `-----BEGIN … PRIVATE KEY-----`), so a few substring tests decide
whether any pattern runs at all. A password is redacted after `password:` /
`contraseña=` (any value), or after "my password is" / "mi contraseña es" when
the value holds a digit or a symbol ("is wrong" stays). The values of the
secrets in the settings are redacted wherever they appear, whatever their shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tuning.redaction.base import Hit

# Every token below holds one of these; a text with none of them is not scanned.
# ("sk-", "sk_live_", "hooks.slack", "xoxb-", "AKIA", "ghp_", "eyJ", "123:AA", PEM), written
# with few and rare first letters so the scan is quick.
TOKEN_HINT = re.compile(r"k(?:[-_]|s\.slack)|x(?:ox|app)|A(?:KIA|SIA|Iza)|_|yJ|:AA|-----")
# ...and every labelled password or key one of these (in lower case).
PASSWORD_WORDS = ("passw", "contraseña")
LABEL_WORDS = ("pwd", "secret", "api", "token")  # with a ":" or "=" after them
_TOKENS = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"
    r"|(?<![\w-])(?:"
    r"xox[abeoprs]-[A-Za-z0-9-]{11,}"  # Slack bot, user, app-level and refresh tokens
    r"|xapp-[A-Za-z0-9-]{11,}"
    r"|sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}"  # OpenAI (and lookalikes)
    r"|[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"  # JWT
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|\d{5,12}:AA[A-Za-z0-9_-]{30,}"  # Telegram bot tokens
    r")"
    r"|https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"
)
_ASSIGNED = re.compile(
    r"(?i:password|passwd|pwd|contraseña|secret|client_secret|api[_ -]?key|access[_ ]token"
    r"|aws_secret_access_key)"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"',;]{4,})"
)
_SAID = re.compile(
    r"(?i:my password is|the password is|mi contraseña es|la contraseña es)\s+"
    r"(?P<value>[^\s,;]{4,}?)(?=[.,;!?)]*(?:\s|$))"
)
_PHRASE_END = re.compile(r"[.!?)]*[ \t]*(?:$|\n)")


class Secrets:
    """Finds credentials by shape, plus the exact values of the configured ones."""

    def __init__(self, configured: Iterable[str] = ()) -> None:
        # Short values would match ordinary words; every real token is longer than 8.
        self.configured = sorted({s for s in configured if len(s) >= 8}, key=len, reverse=True)

    def __call__(self, text: str, hit: Hit) -> str:
        for value in self.configured:
            if value in text:
                text = text.replace(value, hit("secret", value))
        if TOKEN_HINT.search(text):
            text = _TOKENS.sub(lambda m: hit("secret", m.group(0)), text)
        lower = text.lower()
        if any(word in lower for word in PASSWORD_WORDS + LABEL_WORDS):
            text = _ASSIGNED.sub(lambda m: _said(m, hit), text)
            text = _SAID.sub(lambda m: _said(m, hit), text)
        return text

    def configured_in(self, text: str) -> bool:
        for value in self.configured:  # noqa: SIM110 (a plain loop: it runs on every row)
            if value in text:
                return True
        return False


def _said(match: re.Match[str], hit: Hit) -> str:
    """A value of letters only must end the phrase: "my password is wrong, …" and "password:
    reset it here" are sentences, "password: hunter." is a password."""
    if match.group("value").isalpha() and not _PHRASE_END.match(match.string, match.end()):
        return match.group(0)
    return _keep_label(match, hit)


def _keep_label(match: re.Match[str], hit: Hit) -> str:
    """`password: hunter22` → `password: [SECRET]`: the sentence stays readable."""
    start = match.start("value") - match.start()
    return match.group(0)[:start] + hit("secret", match.group("value"))
