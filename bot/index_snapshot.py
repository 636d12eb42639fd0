"""A copy of the in-memory index on disk, so a new process is ready in a fraction of a second.

Building the index from the database reads every accepted example and every
vector and weighs every word: about 10 s at 100,000 examples on a 2-core
machine, paid by every `afina ask`. After building it from the database, a
process saves what it built under `AFINA_HOME/index/` (one file per database
and embedder); the next process loads that file instead, then reads from the
database, exactly as before every answer, only the examples changed since the
file's watermark. So a new or changed example is still findable by the very
next question in every process: the file only saves re-reading what did not
change.

The file is used only while it still describes this database: the examples it
covered (their count, the highest id, and that row's creation stamp) must be
unchanged, so a hard delete, or a new database at the same path, sends the
process back to the database. Examples that had no vectors when it was saved
have theirs looked up again (another process may have embedded them since).

The file is a pickle (the index holds numpy arrays and dicts) with the arrays'
bytes beside it, which a process maps instead of reading (see `_write`): it is
written atomically (so a mapped file is never changed under a reader), readable
by its owner only, and lives in the owner's own AFINA_HOME, like the database
itself. Any problem reading it means "no file": the database is always the truth.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import mmap
import os
import pickle
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.tables import Example

logger = logging.getLogger(__name__)

FORMAT = 6  # 2: examples as columns, dense index without positions; 3: no scipy matrix;
# 4: the arrays out of the pickle, mapped (see `_write`); 5: answers undecoded (bot.example_table);
# 6: the dense matrix stored by dimension (`bot.dense`)
MIN_EXAMPLES = 2000  # below this a load from the database is already quick


@dataclass(frozen=True)
class Stamp:
    """What the examples table looked like: enough to tell the same rows from others."""

    count: int
    max_id: int
    max_created: datetime | None


def stamp_on(connection: Connection, *, upto_id: int | None = None) -> Stamp:
    """The count of examples (up to `upto_id`), the highest id, and that row's creation time."""
    query = select(func.count(), func.max(col(Example.id))).select_from(Example)
    # Counting the whole table reads its smallest index (SQLite: ~3 ms at 50,000 rows);
    # counting up to an id walks the table itself (~90 ms), so it is done only when rows
    # were added past that id.
    count, max_id = connection.execute(query).one()
    if upto_id is not None and max_id is not None and max_id > upto_id:
        count, max_id = connection.execute(query.where(col(Example.id) <= upto_id)).one()
    created = None
    if max_id is not None:
        created = connection.execute(
            select(col(Example.created_at)).where(col(Example.id) == max_id)
        ).scalar()
    return Stamp(int(count or 0), int(max_id or 0), created)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: for loading the whole index at once.

    A first load makes a few hundred thousand objects (strings, tuples, dicts) that all
    live on and form no cycles, and every few hundred of them the collector would scan
    the growing heap again: with it on, unpickling a 50,000-example snapshot took twice
    as long. A caller that already paused it (the CLI at start-up) keeps it paused."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def path_for(home: Path, database_url: str, embedder: str | None) -> Path:
    """One file per database and embedder (their names hashed: no secret in a file name)."""
    key = hashlib.sha256(f"{database_url}\n{embedder or 'none'}".encode()).hexdigest()[:20]
    return home / "index" / f"{key}.pickle"


def save(path: Path, state: dict[str, Any]) -> None:
    """Write atomically; a failure is logged and forgotten (the database stays the truth)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".index-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                _write(out, {"format": FORMAT, **state})
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except OSError as exc:
        logger.warning("could not save the index snapshot in %s: %s", path.parent, exc)


# The file: MAGIC, the pickle's length and its buffers' count, each buffer's (offset, length),
# the pickle, then the buffers (the numpy arrays' bytes, pickle protocol 5 "out of band"),
# each at a multiple of 64 bytes. The arrays load as views of the file mapped copy-on-write:
# nothing read until used, and nothing copied (the dense matrix alone is 150 MB at 100,000).
MAGIC = b"afina-index\n\0\0\0\0"
_HEAD = struct.Struct("<QQ")


def _write(out: BinaryIO, state: dict[str, Any]) -> None:
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(state, protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    at = len(MAGIC) + _HEAD.size * (1 + len(raws)) + len(data)
    places = []
    for raw in raws:
        at = -(-at // 64) * 64
        places.append((at, raw.nbytes))
        at += raw.nbytes
    out.write(MAGIC + _HEAD.pack(len(data), len(raws)))
    out.writelines(_HEAD.pack(*place) for place in places)
    out.write(data)
    for (offset, _), raw in zip(places, raws, strict=True):
        out.write(bytes(offset - out.tell()))
        out.write(raw)


def _read(source: BinaryIO) -> Any:
    if source.read(len(MAGIC)) != MAGIC:
        return None  # an older format (a plain pickle): read the database, as for any other
    mapped = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_COPY)  # writable, privately
    view = memoryview(mapped)
    at = len(MAGIC)
    size, count = _HEAD.unpack_from(view, at)
    places = [_HEAD.unpack_from(view, at + _HEAD.size * (1 + i)) for i in range(count)]
    start = at + _HEAD.size * (1 + count)
    if start + size > len(view) or any(o + n > len(view) for o, n in places):
        raise ValueError("torn index snapshot")
    buffers = [view[offset : offset + length] for offset, length in places]
    return pickle.loads(view[start : start + size], buffers=buffers)


def load(path: Path, connection: Connection, *, embedder: str | None) -> dict[str, Any] | None:
    """The saved state, when it still describes this database; else None."""
    try:
        with path.open("rb") as source:
            state = _read(source)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a torn or foreign file is no file at all
        logger.warning("ignoring the index snapshot %s: %s", path.name, type(exc).__name__)
        return None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        return None
    if state.get("embedder") != embedder:
        return None
    saved: Stamp = state["stamp"]
    if stamp_on(connection, upto_id=saved.max_id) != saved:
        logger.info("the index snapshot no longer matches the database; reading it again")
        return None
    return state
