"""The redactor's old address: `from tuning.redact import Redactor` keeps working.

The code lives in the `tuning.redaction` package, one module per kind of data.
"""

from tuning.redaction import KINDS, PLACEHOLDER, Redactor, iban_ok, luhn_ok

__all__ = ["KINDS", "PLACEHOLDER", "Redactor", "iban_ok", "luhn_ok"]
