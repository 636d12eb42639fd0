"""Identity numbers and network addresses: DNI/NIF, NIE, CIF, passports, IPv4 and IPv6.

Spanish ids are redacted only when their control character is right (the mod-23
letter of a DNI/NIF or NIE, the control digit or letter of a CIF), so an order
number that happens to have the same shape survives 22 times in 23.

Passport numbers have no shape of their own (a UK or US passport is 9 digits,
a Spanish one three letters and six digits, "ORD123456" looks the same), so
they are redacted only after the word for passport in Spanish, English, French,
German, Italian or Portuguese ("pasaporte AAB123456", "passport no: 123456789"):
6 to 10 capital letters and digits with at least 5 digits.

IP addresses: every valid IPv4 dotted quad and IPv6 address (checked with
`ipaddress`), private ones included, except loopback and "any" (127.0.0.1,
::1, 0.0.0.0), which belong to no one. "1.2.3" (a version) and "10:30:00"
stay.
"""

from __future__ import annotations

import ipaddress
import re

from tuning.redaction.base import Hit
from tuning.redaction.numbers import DIGITS

LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"  # the DNI/NIE check letter is LETTERS[number % 23]
CIF_LETTERS = "JABCDEFGHI"  # a CIF control letter is CIF_LETTERS[control digit]
CIF_NEEDS_LETTER = frozenset("KPQRSNW")
CIF_NEEDS_DIGIT = frozenset("ABEH")

_DNI = re.compile(
    r"(?<![\w.\-/])(?P<num>\d{8}|\d{2}\.\d{3}\.\d{3})"
    r"(?:[ -]?(?P<up>[A-Z])|-?(?P<low>[a-z]))(?![\w@])"
)
# NIE (X, Y, Z) and the NIF of people without a DNI (K, L, M): a letter, 7 digits, a letter.
_NIE = re.compile(
    r"(?<![\w\-/])(?P<pre>[XYZKLM]|[xyz])[ -]?(?P<num>\d{7}|\d\.\d{3}\.\d{3})"
    r"[ -]?(?P<letter>[A-Za-z])(?![\w@])"
)
_CIF = re.compile(
    r"(?<![\w\-/])(?P<kind>[ABCDEFGHJNPQRSUVW])[ -]?(?P<num>\d{7})[ -]?(?P<control>[0-9A-J])"
    r"(?![\w@])"
)
_PASSPORT = re.compile(
    r"(?i:pasaporte|passport|passeport|reisepass|passaporto|passaporte)"
    r"(?:\s+(?i:n[º°o]\.?|n\.º|no\.?|núm\.?|número|number|nr\.?|num\.?|numéro|nummer))?"
    r"(?:\s*(?i::|=|#|is|es|est|ist|è|é))?\s*"
    r"(?P<id>[A-Z0-9]{6,10})(?![\w@])"
)
PASSPORT_WORDS = ("pasaporte", "passport", "passeport", "reisepass", "passaporto", "passaporte")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?!\w|\.\d)"
)
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[\d.]+)?(?![\w:])")


def dni_ok(number: str, letter: str) -> bool:
    return LETTERS[int(number.replace(".", "")) % 23] == letter.upper()


def nie_ok(prefix: str, number: str, letter: str) -> bool:
    lead = {"X": "0", "Y": "1", "Z": "2"}.get(prefix.upper(), "")  # K, L, M: the 7 digits alone
    return dni_ok(lead + number.replace(".", ""), letter)


def cif_ok(kind: str, number: str, control: str) -> bool:
    digits = [int(ch) for ch in number]
    total = sum(digits[1::2])
    for d in digits[0::2]:
        total += (2 * d) // 10 + (2 * d) % 10
    expected = (10 - total % 10) % 10
    if control.isdigit():
        return kind not in CIF_NEEDS_LETTER and int(control) == expected
    return kind not in CIF_NEEDS_DIGIT and control == CIF_LETTERS[expected]


def spanish_ids(text: str, hit: Hit) -> str:
    if DIGITS.search(text) is None:  # every one of them holds 7 or 8 digits
        return text
    text = _NIE.sub(lambda m: _nie(m, hit), text)
    text = _DNI.sub(lambda m: _dni(m, hit), text)
    return _CIF.sub(lambda m: _cif(m, hit), text)


def _dni(match: re.Match[str], hit: Hit) -> str:
    if dni_ok(match.group("num"), match.group("up") or match.group("low")):
        return hit("dni", match.group(0))
    return match.group(0)


def _nie(match: re.Match[str], hit: Hit) -> str:
    prefix = match.group("pre")
    if nie_ok(prefix, match.group("num"), match.group("letter")):
        return hit("nie" if prefix.upper() in "XYZ" else "dni", match.group(0))
    return match.group(0)


def _cif(match: re.Match[str], hit: Hit) -> str:
    if cif_ok(match.group("kind"), match.group("num"), match.group("control")):
        return hit("cif", match.group(0))
    return match.group(0)


def passports(text: str, hit: Hit) -> str:
    lower = text.lower()
    if not any(word in lower for word in PASSPORT_WORDS):
        return text
    return _PASSPORT.sub(lambda m: _passport(m, hit), text)


def _passport(match: re.Match[str], hit: Hit) -> str:
    found = match.group("id")
    if sum(ch.isdigit() for ch in found) < 5:
        return match.group(0)
    start = match.start("id") - match.start()
    return match.group(0)[:start] + hit("passport", found)


def ip_addresses(text: str, hit: Hit) -> str:
    if "." in text:
        text = _IPV4.sub(lambda m: _ip(m, hit), text)
    if text.count(":") >= 2:
        text = _IPV6.sub(lambda m: _ip(m, hit), text)
    return text


def _ip(match: re.Match[str], hit: Hit) -> str:
    """Any address but this machine's own and "any" (127.0.0.1, ::1, 0.0.0.0): nobody's."""
    found = match.group(0)
    try:
        address = ipaddress.ip_address(found)
    except ValueError:
        return found
    if address.is_loopback or address.is_unspecified:
        return found
    return hit("ip", found)
