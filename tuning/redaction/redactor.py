"""The one pass that takes personal data and secrets out of a text, counting what it took.

Detectors run in a fixed order, each on what the earlier ones left: secrets
first (a Telegram token starts with a phone-like number), then e-mails,
street addresses (before their house number or postcode can look like
anything else), Spanish ids and passports, IP addresses (before "192.168.1.10"
reads as a phone), IBANs, cards and phones, people's names, and last the
operator's own `REDACT_PATTERNS`. Each item becomes a typed placeholder
(`[DNI]`, `[NAME]`, …) so the training text still reads naturally.

The shop's own data is not personal data: whatever the detectors find in the
brand voice (its e-mail domain, phone, address, CIF, the names it mentions) and
every `REDACT_KEEP` entry is kept, or the tuned model would forget where to
send people.

Speed: most rows hold nothing to redact, so `may_touch` decides with a few
cheap, sure tests on the whole row (an `@`, a long run of digits, a dotted
quad, a long token, a given name or a cue word, a street word) whether the
detectors run at all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tuning.redaction import addresses, ids, names, numbers
from tuning.redaction import secrets as secrets_

if TYPE_CHECKING:
    from bot.config import Settings

KINDS = (
    "email",
    "phone",
    "card",
    "iban",
    "dni",
    "nie",
    "cif",
    "passport",
    "ip",
    "address",
    "name",
    "secret",
)
PLACEHOLDER = {kind: f"[{kind.upper()}]" for kind in KINDS} | {"custom": "[REDACTED]"}

# Cheap, sure hints that a row may hold something; each detector below has one of them in
# its own gate, so a row with none of them is written as it is. Regexes are factored by
# first character: the engine then skips quickly over plain words.
_DIGIT_HINT = re.compile(
    r"\d(?:(?:[ ().\-/]?\d){6}"  # phones, cards, IBANs, Spanish ids, long numbers
    r"|\.\d{1,3}\.\d{1,3}\.\d"  # IPv4
    rf"|[A-Za-z]?,?[ \t]+(?:[{addresses.UP}]|{addresses.FR_TYPE}\b))"  # "12 Baker Street"
)
# In lower case: "pas" covers pasaporte, passport, passeport, Reisepass and password.
_WORD_HINTS = ("pas", "contraseña", *names.CUES, "s/n")
_LABEL_HINTS = secrets_.LABEL_WORDS  # only before a ":" or "=": "api_key=…", "token: …"


class Redactor:
    """Replaces personal data with placeholders and counts what it replaced, by kind."""

    def __init__(
        self,
        *,
        keep: Iterable[str] = (),
        patterns: Iterable[str] = (),
        voice: str = "",
        brand: str = "",
        secrets: Iterable[str] = (),
    ) -> None:
        keep = [item.strip() for item in keep if item.strip()]
        self.keep: set[str] = {_key(item) for item in keep}
        self.patterns = [re.compile(p) for p in patterns]
        self.counts: Counter[str] = Counter()
        self.secrets = secrets_.Secrets(secrets)
        self.names = names.Names(protect=[brand, voice, *keep])
        self._collecting = False
        self._learn(voice, *keep)

    @classmethod
    def for_settings(cls, settings: Settings, voice: str) -> Redactor:
        """The redactor of an export: the settings' keep list, patterns, brand and secrets."""
        configured = (
            settings.openai_api_key,
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
            settings.telegram_bot_token,
            settings.telegram_webhook_secret,
        )
        return cls(
            keep=settings.redact_keep,
            patterns=settings.redact_patterns,
            voice=voice,
            brand=settings.brand_name,
            secrets=[s.get_secret_value() for s in configured if s is not None],
        )

    def _learn(self, *texts: str) -> None:
        """Whatever the detectors find in the shop's own texts is the shop's: keep it."""
        self._collecting = True
        try:
            for text in texts:
                self._run(text)
        finally:
            self._collecting = False

    def may_touch(self, texts: list[str]) -> bool:
        """Whether any of these texts could hold something to redact (a cheap, sure test)."""
        if self.patterns:
            return True
        blob = "\n".join(texts)
        if (
            "@" in blob
            or _DIGIT_HINT.search(blob)  # most texts stop at one of these three
            or addresses.CAPITAL_NUMBER.search(blob)
            or names.TRIGGER.search(blob)
            or secrets_.TOKEN_HINT.search(blob)
            or self.secrets.configured_in(blob)
        ):
            return True
        lower = blob.lower()
        if _holds_any(lower, _WORD_HINTS):
            return True
        return ("=" in blob or ":" in blob) and _holds_any(lower, _LABEL_HINTS)

    def __call__(self, text: str) -> str:
        return self._run(text)

    def _run(self, text: str) -> str:
        hit = self._hit
        text = self.secrets(text, hit)
        text = numbers.emails(text, hit)
        text = addresses.addresses(text, hit)
        text = ids.spanish_ids(text, hit)
        text = ids.passports(text, hit)
        text = ids.ip_addresses(text, hit)
        text = numbers.numbers(text, hit)
        text = self.names(text, hit)
        for pattern in self.patterns:
            text = pattern.sub(lambda m: hit("custom", m.group(0)), text)
        return text

    def _hit(self, kind: str, found: str) -> str:
        key = _key(found)
        if self._collecting:
            self.keep.add(key)
            if kind == "email":
                self.keep.add(key.rsplit("@", 1)[-1])  # the shop's domain: all its addresses
            return found
        if key in self.keep or (kind == "email" and key.rsplit("@", 1)[-1] in self.keep):
            return found
        self.counts[kind] += 1
        return PLACEHOLDER[kind]

    def summary(self) -> dict[str, int]:
        return {kind: self.counts.get(kind, 0) for kind in (*KINDS, "custom")}


def _holds_any(text: str, words: tuple[str, ...]) -> bool:
    # A plain loop: on every row, it is measurably faster than any() over a generator.
    for word in words:  # noqa: SIM110
        if word in text:
            return True
    return False


def _key(text: str) -> str:
    """How kept items compare: case and spacing do not matter."""
    return " ".join(text.lower().split())
