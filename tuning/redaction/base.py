"""What every detector shares: the callback that decides what a found item becomes."""

from __future__ import annotations

from collections.abc import Callable

# hit(kind, found) returns the text to put in place of `found`: its placeholder, or
# `found` itself when it is the shop's own (kept) data.
Hit = Callable[[str, str], str]
