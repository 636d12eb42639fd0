"""The demo brand, loaded only when asked (`afina demo`), and taken out again (`--remove`).

A database is never seeded with it silently: another brand's bot must not answer
with the demo shop's prices and discount codes.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.tables import ExampleSource, ExampleStatus

if TYPE_CHECKING:
    from bot.embeddings import Embedder
    from bot.importer import ImportReport

DEMO_VOICE = """You are Verdalia, a small vegan-cosmetics shop (online, plus one store in Sevilla).
The store is at Calle Feria 42, Sevilla, a short stroll from the Alameda.
Sound like a warm, witty, slightly cheeky friend who knows skincare, never like a call centre.
Always answer in the customer's language; in Spanish, use Spain's Spanish and the informal "tú".
Keep every answer short: 1-3 sentences, never more than about 60 words.
Use exactly one plant emoji (🌿 or 🌱) per answer, and no other emoji.
Skip corporate phrases like "we apologize for any inconvenience"; end with a small, friendly nudge.
Never invent prices, products, dates or policies that are not in the approved answers.
For pregnancy or medical questions, suggest checking with a doctor rather than giving advice.
When unsure, say so plainly and offer hola@verdalia.example, where a real person will help."""


def demo_examples() -> list[dict[str, Any]]:
    """The demo question/answer pairs shipped in `bot/data/demo.jsonl`."""
    text = resources.files("bot").joinpath("data/demo.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_demo(session: Session, *, embedder: Embedder | None) -> ImportReport:
    """Load the demo brand's examples (again, after `remove_demo`), as one import batch."""
    from bot.importer import demo_rows, import_pairs

    return import_pairs(
        session,
        demo_rows(),
        source=ExampleSource.demo,
        created_by="demo",
        batch_name="demo",
        embedder=embedder,
    )


def remove_demo(session: Session, *, by: str) -> int:
    """Take every demo example out of use (kept as rejected); how many went."""
    from bot import store

    ids = [
        example.id or 0
        for example in store.examples_by_source(session, source=ExampleSource.demo)
        if example.status in (ExampleStatus.accepted, ExampleStatus.pending)
    ]
    return store.retire_examples(session, example_ids=ids, by=by, status=ExampleStatus.rejected)
