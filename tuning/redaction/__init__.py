"""Personal data and secrets out of every text before it leaves the machine.

`Redactor` is the entry point (see `redactor.py` for the order and the speed
rules); each kind of data has its own module: `numbers` (e-mails, phones,
cards, IBANs), `ids` (DNI/NIF, NIE, CIF, passports, IP addresses), `secrets`,
`addresses` and `names`. README's "What leaves the machine" lists exactly what
is redacted and what is not.
"""

from tuning.redaction.numbers import iban_ok, luhn_ok
from tuning.redaction.redactor import KINDS, PLACEHOLDER, Redactor

__all__ = ["KINDS", "PLACEHOLDER", "Redactor", "iban_ok", "luhn_ok"]
