"""Counting cl100k tokens without loading tiktoken: the same count, for a twentieth of the cost.

Every answer stores its token counts, and a one-question process (`afina ask`) paid 0.3-0.5 s
for them: importing tiktoken (and `regex`), reading the 100,000-token table into a dict,
and building tiktoken's own copy of it. Counting needs neither copy: this module keeps the
table as one file of flat arrays (a hash table of the tokens' bytes, read in a millisecond)
and runs tiktoken's own algorithm on it: the text split by the same pattern, then each
piece that is not a token itself merged pair by lowest rank, as `_byte_pair_merge` in
tiktoken's `src/lib.rs` does.

The pattern is rewritten for the standard `re` (which has no `\\p{L}`), with each
character class spelled out; that is exact only for characters whose class is the same
in every Unicode version and in both libraries, so `count` answers None for any text
with a character outside `SAFE` (Latin scripts, punctuation, currency, emoji and the
like: what a Spanish or English shop's customers write), or with a piece of 100 bytes or
more (tiktoken switches algorithm there): `bot.tokens` then asks tiktoken itself.
`tests/test_tokens_offline.py` checks every character of `SAFE` against tiktoken.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from array import array
from collections.abc import Callable, Mapping
from pathlib import Path

# The bundled encoding's pattern; another one means no fast counts (see `build`).
PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++"""
    r"""[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
MAGIC = b"afina-bpe-1\n"  # then the crc32 of the rest, then the arrays
LONGEST = 100  # pieces this long tiktoken merges with another algorithm: not ours
NONE = 1 << 32  # "no such token": above every rank

# Characters counted here, as ranges. Left out: control characters but tab and newlines,
# U+017F "ſ" (case-insensitively an "s" to one engine and maybe not the other), and every
# script whose letters newer Unicode versions still add to.
SAFE = (
    (0x09, 0x0A),
    (0x0D, 0x0D),
    (0x20, 0x7E),
    (0xA0, 0x17E),
    (0x180, 0x24F),
    (0x2000, 0x206F),  # general punctuation: dashes, quotes, spaces, zero-width joiner
    (0x20A0, 0x20CF),  # currency: €
    (0x2190, 0x21FF),  # arrows
    (0x2600, 0x27BF),  # symbols and dingbats: ✅ ✏
    (0xFE00, 0xFE0F),  # variation selectors (the emoji form of ✏️)
    (0x1F000, 0x1FAFF),  # emoji
)
# Unicode's White_Space inside SAFE: what `\s` means to tiktoken's regex engine.
SPACE = "\t\n\r \xa0\u2000-\u200a\u2028\u2029\u202f\u205f"


def _class(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


def _ranges(keep: Callable[[str], bool]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for low, high in SAFE:
        for code in range(low, high + 1):
            if keep(chr(code)):
                if found and found[-1][1] == code - 1:
                    found[-1] = (found[-1][0], code)
                else:
                    found.append((code, code))
    return found


def _pattern() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The split pattern for `re`, and a pattern finding any character outside SAFE."""
    letters = _class(_ranges(lambda c: unicodedata.category(c).startswith("L")))
    numbers = _class(_ranges(lambda c: unicodedata.category(c).startswith("N")))
    s, ln = SPACE, letters + numbers
    split = re.compile(
        rf"""'(?i:[sdmt]|ll|ve|re)|[^\r\n{ln}]?+[{letters}]++|[{numbers}]{{1,3}}+"""
        rf"""| ?[^{s}{ln}]++[\r\n]*+|[{s}]++\Z|[{s}]*[\r\n]|[{s}]+(?![^{s}])|[{s}]"""
    )
    outside = re.compile(f"[^{_class(list(SAFE))}]")
    return split, outside


class Table:
    """The ranks of cl100k's tokens, looked up in flat arrays (no dict of 100,000 entries)."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(MAGIC):
            raise ValueError("not a token table")
        view = memoryview(data)[len(MAGIC) + 4 :]
        if zlib.crc32(view) != int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "little"):
            raise ValueError("damaged token table")
        head = view[:8].cast("I")
        n, slots = head[0], head[1]
        at = 8
        self._slots = view[at : at + 4 * slots].cast("I")
        at += 4 * slots
        self._offsets = view[at : at + 4 * (n + 1)].cast("I")
        at += 4 * (n + 1)
        self._ranks = view[at : at + 4 * n].cast("I")
        at += 4 * n
        self._blob = bytes(view[at:])
        if len(self._blob) != self._offsets[n]:
            raise ValueError("torn token table")
        self._mask = slots - 1
        self._split, self._outside = _pattern()

    def rank(self, piece: bytes) -> int:
        """The token's rank, or NONE when these bytes are no token."""
        slots, offsets, blob, mask = self._slots, self._offsets, self._blob, self._mask
        slot = zlib.crc32(piece) & mask
        while entry := slots[slot]:
            start, end = offsets[entry - 1], offsets[entry]
            if end - start == len(piece) and blob[start:end] == piece:
                return int(self._ranks[entry - 1])
            slot = (slot + 1) & mask
        return NONE

    def count(self, text: str) -> int | None:
        """How many tokens tiktoken's `encode_ordinary` makes of `text`; None: ask tiktoken."""
        if self._outside.search(text):
            return None
        total = 0
        rank = self.rank
        for match in self._split.finditer(text):
            piece = match.group().encode()
            if len(piece) == 1 or rank(piece) != NONE:
                total += 1
            elif len(piece) >= LONGEST:
                return None
            else:
                total += self._merged(piece)
        return total

    def _merged(self, piece: bytes) -> int:
        """tiktoken's `_byte_pair_merge`: merge the lowest-ranked adjacent pair (leftmost
        first) until no pair is a token; the number of parts left."""
        rank = self.rank
        starts = list(range(len(piece) + 1))
        ranks = [rank(piece[i : i + 2]) for i in range(len(piece) - 1)] + [NONE, NONE]
        while True:
            best = min(ranks[:-1])
            if best == NONE:
                return len(starts) - 1
            i = ranks.index(best)
            if i > 0:
                ranks[i - 1] = (
                    rank(piece[starts[i - 1] : starts[i + 2]]) if i + 2 < len(starts) else NONE
                )
            ranks[i] = rank(piece[starts[i] : starts[i + 3]]) if i + 3 < len(starts) else NONE
            del starts[i + 1]
            del ranks[i + 1]


def build(made: Mapping[str, object]) -> bytes | None:
    """The table file for an encoding (tiktoken's constructor arguments); None when its
    pattern is not the one this module rewrote."""
    if made.get("pat_str") != PATTERN:
        return None
    ranks = made["mergeable_ranks"]
    assert isinstance(ranks, dict)
    tokens = sorted(ranks.items(), key=lambda item: item[1])
    slots = 1 << max(10, (2 * len(tokens)).bit_length())
    table = array("I", bytes(4 * slots))
    offsets = array("I", [0])
    blob = bytearray()
    for entry, (token, _) in enumerate(tokens, start=1):
        blob += token
        offsets.append(len(blob))
        slot = zlib.crc32(token) & (slots - 1)
        while table[slot]:
            slot = (slot + 1) & (slots - 1)
        table[slot] = entry
    head = array("I", [len(tokens), slots])
    ranked = array("I", [r for _, r in tokens])
    body = head.tobytes() + table.tobytes() + offsets.tobytes() + ranked.tobytes() + blob
    return MAGIC + zlib.crc32(body).to_bytes(4, "little") + body


def load(path: Path) -> Table | None:
    try:
        return Table(path.read_bytes())
    except (OSError, ValueError, TypeError, IndexError):
        return None
