"""Personal data out before anything leaves the machine: emails, phones, cards, IBANs.

Card numbers must pass the Luhn check and IBANs the mod-97 check, so order
numbers and prices stay untouched. The shop's own addresses are not personal
data: e-mails at a domain that appears in the brand voice (and anything listed
in `REDACT_KEEP`) are kept, or the tuned model would forget where to send
people. Extra patterns come from `REDACT_PATTERNS`.

Most texts hold neither an `@` nor a long run of digits, so two cheap checks
decide whether the real patterns run at all: exporting a million rows must not
cost a million regex scans.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

KINDS = ("email", "phone", "card", "iban")
PLACEHOLDER = {
    "email": "[email]",
    "phone": "[phone]",
    "card": "[card]",
    "iban": "[iban]",
    "custom": "[redacted]",
}

_EMAIL = re.compile(r"[\w.+%-]+@(?P<domain>[\w-]+(?:\.[\w-]+)+)")
# 7 or more digits with at most one separator between them: where phones, cards and IBANs live.
_DIGITS = re.compile(r"\d(?:[ ().\-/]?\d){6}")
_NUMBERS = re.compile(
    r"(?P<iban>\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b)"
    r"|(?P<number>(?<![\w+])\+?\(?\d(?:[ ().\-/]{0,2}\d){6,18}(?!\w))"
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in moved))
    except ValueError:
        return False
    return number % 97 == 1


class Redactor:
    """Replaces personal data with placeholders and counts what it replaced, by kind."""

    def __init__(
        self,
        *,
        keep: Iterable[str] = (),
        patterns: Iterable[str] = (),
        voice: str = "",
    ) -> None:
        kept = {item.strip().lower() for item in keep if item.strip()}
        for match in _EMAIL.finditer(voice):
            kept.add(match.group("domain").lower())
        self.keep = frozenset(kept)
        self.patterns = [re.compile(p) for p in patterns]
        self.counts: Counter[str] = Counter()

    def may_touch(self, texts: list[str]) -> bool:
        """Whether any of these texts could hold something to redact (a cheap, sure test)."""
        if self.patterns:
            return True
        blob = "\n".join(texts)
        return "@" in blob or _DIGITS.search(blob) is not None

    def __call__(self, text: str) -> str:
        if "@" in text:
            text = _EMAIL.sub(self._email, text)
        if _DIGITS.search(text):
            text = _NUMBERS.sub(self._number, text)
        for pattern in self.patterns:
            text, n = pattern.subn(PLACEHOLDER["custom"], text)
            self.counts["custom"] += n
        return text

    def _email(self, match: re.Match[str]) -> str:
        address = match.group(0).lower()
        if address in self.keep or match.group("domain").lower() in self.keep:
            return match.group(0)
        self.counts["email"] += 1
        return PLACEHOLDER["email"]

    def _number(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if match.group("iban"):
            if iban_ok(found):
                self.counts["iban"] += 1
                return PLACEHOLDER["iban"]
            return found
        digits = re.sub(r"\D", "", found)
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            self.counts["card"] += 1
            return PLACEHOLDER["card"]
        if 9 <= len(digits) <= 15 and not _looks_like_date(found):
            self.counts["phone"] += 1
            return PLACEHOLDER["phone"]
        return found

    def summary(self) -> dict[str, int]:
        return {kind: self.counts.get(kind, 0) for kind in (*KINDS, "custom")}


_DATE = re.compile(r"^\(?\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\)?$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$")


def _looks_like_date(text: str) -> bool:
    return bool(_DATE.match(text.strip()))
