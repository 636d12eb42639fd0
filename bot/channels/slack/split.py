"""Cutting a long answer into Slack-sized messages at places a reader would cut it.

A break is looked for, in order of preference, at a paragraph, a line, the end
of a sentence, then a space, in the last part of the allowed window; only a
text with none of those is cut mid-word. A code block cut in two is closed at
the end of one message and reopened at the start of the next, so both render.
"""

from __future__ import annotations

import re

FENCE = "```"
_SENTENCE_END = re.compile(r"[.!?…;:](?=\s)")


def cut_point(text: str, limit: int, *, not_before: int = 0) -> int:
    """Where to end the first message: an index in (not_before, limit], at the cleanest break."""
    if len(text) <= limit:
        return len(text)
    window_start = max(not_before, limit // 2)
    window = text[:limit]
    for separator in ("\n\n", "\n"):
        found = window.rfind(separator, window_start)
        if found > not_before:
            return found + len(separator)
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window, window_start)]
    if sentence_ends and sentence_ends[-1] > not_before:
        return sentence_ends[-1] + 1  # keep the space with the first part
    space = window.rfind(" ", window_start)
    if space > not_before:
        return space + 1
    return max(limit, not_before + 1)


def open_fence(text: str) -> str | None:
    """The opening line of a code block left open at the end of `text` (``` or ```lang)."""
    opened: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(FENCE):
            opened = None if opened is not None else stripped
    return opened


def fence_fix(head: str) -> tuple[str, str]:
    """What closes a code block cut at `head`'s end, and what reopens it in the next message."""
    fence = open_fence(head)
    return ("\n" + FENCE, fence + "\n") if fence else ("", "")


def tail_after(reopen: str, tail: str) -> str:
    """The next message's start: the reopened code block, or the text without leading space."""
    return reopen + tail.lstrip("\n") if reopen else tail.lstrip()


def split_text(text: str, limit: int) -> list[str]:
    """The text as messages of at most `limit` characters (plus a closing fence when needed)."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        at = cut_point(rest, limit)
        close, reopen = fence_fix(rest[:at])
        head = rest[:at].rstrip() + close
        rest = tail_after(reopen, rest[at:])
        if head.strip():
            parts.append(head)
    if rest.strip() or not parts:
        parts.append(rest)
    return parts
