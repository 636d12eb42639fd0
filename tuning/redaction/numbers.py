"""E-mail addresses, phone numbers, card numbers (Luhn) and IBANs (mod 97).

Card numbers must pass the Luhn check and IBANs the mod-97 check, so order
numbers and prices stay untouched; a run of 9 to 15 digits that is neither
(and not a date) is taken for a phone number.
"""

from __future__ import annotations

import re

from tuning.redaction.base import Hit

EMAIL = re.compile(r"[\w.+%-]+@(?P<domain>[\w-]+(?:\.[\w-]+)+)")
# 7 or more digits with at most one separator between them: where phones, cards and IBANs live.
DIGITS = re.compile(r"\d(?:[ ().\-/]?\d){6}")
_NUMBERS = re.compile(
    r"(?P<iban>\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b)"
    r"|(?P<number>(?<![\w+-])\+?\(?\d(?:[ ().\-/]{0,2}\d){6,18}(?!\w))"
)
_NOT_DIGIT = re.compile(r"\D")
_DATE = re.compile(r"^\(?\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\)?$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$")


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


def emails(text: str, hit: Hit) -> str:
    if "@" not in text:
        return text
    return EMAIL.sub(lambda m: hit("email", m.group(0)), text)


def numbers(text: str, hit: Hit) -> str:
    """IBANs, cards and phones: only texts with a long run of digits are scanned."""
    if DIGITS.search(text) is None:
        return text
    return _NUMBERS.sub(lambda m: _number(m, hit), text)


def _number(match: re.Match[str], hit: Hit) -> str:
    found = match.group(0)
    if match.group("iban"):
        return hit("iban", found) if iban_ok(found) else found
    digits = _NOT_DIGIT.sub("", found)
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return hit("card", found)
    if 9 <= len(digits) <= 15 and not _DATE.match(found.strip()):
        return hit("phone", found)
    return found
