"""Which examples a reply used, for the conversation and playground pages.

Every reply records them as it is made (`reply.used_examples`, `[{"id", "score"}]`,
best first: the examples that cleared the prompt threshold, or the one a transparent
answer named); their text is read from the examples themselves, so an example edited
since shows as it reads now, and one no longer stored shows as gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.store import browse as store_browse
from bot.tables import Reply


@dataclass(frozen=True)
class Used:
    question: str
    answer: str
    example_id: int | None  # None when no stored example has this id any more
    score: float | None = None


def _listed(reply: Reply) -> list[tuple[int, float | None]]:
    listed = []
    for item in reply.used_examples or []:
        try:
            score = item.get("score")
            listed.append((int(item["id"]), None if score is None else float(score)))
        except (KeyError, TypeError, ValueError):  # a hand-edited row must not break a page
            continue
    return listed


def examples_used(session: Session, replies: Sequence[Reply]) -> dict[int, list[Used]]:
    """Per reply id, the examples it used with their scores, as they read today."""
    found = {reply.id or 0: _listed(reply) for reply in replies}
    ids = sorted({example_id for listed in found.values() for example_id, _ in listed})
    texts = store_browse.examples_by_id(session, ids=ids)
    used: dict[int, list[Used]] = {}
    for reply_id, listed in found.items():
        used[reply_id] = [
            Used(*texts[example_id], example_id, score)
            if example_id in texts
            else Used("", "", None, score)
            for example_id, score in listed
        ]
    return used


def conversation_of(prompt: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A prompt without its system message: the turns the model saw."""
    return [m for m in prompt if m.get("role") != "system"]
