"""A "don't know" that names the nearest taught question, and the "yes" that takes it up.

When the offline backend holds an answer back but one taught question is still
clearly the nearest, its "don't know" names that question (never its answer):
"The nearest I was taught is “Do you have gift cards?”: say yes if that's what
you mean." A short yes in reply ("yes", "sí, eso", "yes please") gets that
question's answer, and a reviewer's 👍 on it adds the question the person first
asked as another wording of the example, as a 👍 on any taught answer to other
words does (`bot.feedback`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.text import words

NEAREST_EN = " The nearest I was taught is “{question}”: say yes if that's what you mean."
NEAREST_ES = " Lo más cercano que me han enseñado es «{question}»: dime que sí si es eso."
_NAMED = re.compile(
    r"The nearest I was taught is “(.+?)”: say yes|me han enseñado es «(.+?)»: dime"
)
_YES = frozenset(words("yes yeah yep yup sure exactly correct right sí sip eso exacto vale claro"))
# What may stand around a yes: "yes please", "sí, eso es", "that's the one".
_AROUND_YES = frozenset(words("please that's it is es por favor porfa gracias thanks the one"))


def pointer(question: str, *, spanish: bool) -> str:
    """The sentence a "don't know" adds to name the nearest taught question."""
    return (NEAREST_ES if spanish else NEAREST_EN).format(question=question)


def says_yes(text: str) -> bool:
    """ "Yes", "sí, eso", "yes please": a short message that only agrees."""
    said = words(text)
    return (
        0 < len(said) <= 4
        and any(w in _YES for w in said)
        and all(w in _YES or w in _AROUND_YES for w in said)
    )


def confirmed(turns: Sequence[dict[str, Any]]) -> tuple[str, str] | None:
    """(the question named, the question first asked) when the last turn says yes to the
    reply before it that named one; None otherwise. `turns`: user and assistant turns
    (someone else's, named turns, are left out: a message the person replies to)."""
    turns = [turn for turn in turns if not turn.get("name")]
    if not turns or turns[-1]["role"] != "user" or not says_yes(str(turns[-1]["content"])):
        return None
    if len(turns) < 3 or turns[-2]["role"] != "assistant" or turns[-3]["role"] != "user":
        return None
    found = _NAMED.search(str(turns[-2]["content"]))
    if found is None:
        return None
    return found[1] or found[2], str(turns[-3]["content"])
