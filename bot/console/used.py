"""Which examples a reply used, for the conversation and playground pages.

Today a reply stores only its prompt, whose system message lists the examples as
`Q: …` / `A: …` blocks after the voice (`bot.responder.Responder._system`); they
are read back from there and matched to stored examples by their exact text.
Phase 2 (issue 12's `reply.used_examples`, `[{"id", "score"}]`) reads the ids and
scores directly: `examples_used` is the one place to change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.store import browse as store_browse
from bot.tables import Reply

_BLOCK = re.compile(r"(?:^|\n)Q: (.*?)\nA: (.*?)(?=\nQ: |\Z)", re.DOTALL)


@dataclass(frozen=True)
class Used:
    question: str
    answer: str
    example_id: int | None  # None when no stored example has this text any more
    score: float | None = None  # known once replies record it (phase 2)


def blocks(prompt: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (question, answer) pairs listed in a prompt's system message."""
    system = next((str(m["content"]) for m in prompt if m.get("role") == "system"), "")
    start = system.find("\nQ: ")
    if start < 0:
        return []
    return [(q.strip(), a.strip()) for q, a in _BLOCK.findall(system[start:])]


def examples_used(session: Session, replies: Sequence[Reply]) -> dict[int, list[Used]]:
    """Per reply id, the examples its prompt held, with their ids where they still exist."""
    found = {reply.id or 0: blocks(reply.prompt) for reply in replies}
    pairs = sorted({pair for listed in found.values() for pair in listed})
    ids = store_browse.examples_by_text(session, pairs=pairs)
    return {
        reply_id: [Used(q, a, ids.get(q + "\x00" + a)) for q, a in listed]
        for reply_id, listed in found.items()
    }


def conversation_of(prompt: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A prompt without its system message: the turns the model saw."""
    return [m for m in prompt if m.get("role") != "system"]
