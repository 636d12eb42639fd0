"""Prompt-building speed with 100,000 accepted examples.

    .venv/bin/python -m bench.responder                 # 100,000 examples, 1,000 questions
    .venv/bin/python -m bench.responder --examples 20000 --questions 200

Builds a SQLite database in a temp folder, indexes it (`Knowledge.refresh`),
then times `Responder.build_prompt` plus the history query for each question,
and a brute-force scan over the same vectors for comparison, in the same run.
Targets (2-core machine): p50 ≤ 5 ms, p99 ≤ 20 ms, build ≤ 15 s, peak ≤ 1 GiB.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from bot import store
from bot.app import build_core
from bot.config import Settings
from bot.db import session_scope
from bot.retrieval import BruteForce
from bot.tables import Conversation, Example, Message, utcnow
from bot.text import content_hash, question_hash

TOPICS = [
    "serum",
    "shampoo bar",
    "cleanser",
    "refill pouch",
    "gift card",
    "sunscreen",
    "toner",
    "lip balm",
    "body butter",
    "face mask",
    "deodorant",
    "night cream",
    "eye contour",
]
ASKS = [
    "how much is the {t}",
    "is the {t} good for {s} skin",
    "¿el {t} sirve para piel {s}?",
    "can I return an opened {t}",
    "when will my {t} order {w} arrive",
    "ingredients of the {t} {w}",
    "¿cuánto dura el {t} {w}?",
    "do you ship the {t} to {w}",
    "is the {t} vegan",
]
SKINS = ["oily", "dry", "sensitive", "grasa", "seca", "mixta", "acne-prone"]


def word(rng: random.Random) -> str:
    return "".join(
        rng.choice("bcdfglmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4))
    )


def question(rng: random.Random, vocab: list[str]) -> str:
    template = rng.choice(ASKS)
    text = template.format(t=rng.choice(TOPICS), s=rng.choice(SKINS), w=rng.choice(vocab))
    return f"{text} {rng.choice(vocab)} {rng.choice(vocab)}"


def seed(core: object, n: int, rng: random.Random, vocab: list[str]) -> None:
    engine = core.engine  # type: ignore[attr-defined]
    now = utcnow() - timedelta(hours=1)  # an established knowledge base, not rows still settling
    batch = []
    with engine.begin() as conn:
        for i in range(n):
            q = question(rng, vocab)
            answer = f"Answer {i}: {q} 🌿"
            prompt = [{"role": "user", "content": q}]
            batch.append(
                {
                    "question": q,
                    "prompt": prompt,
                    "answer": answer,
                    "source": "imported",
                    "status": "accepted",
                    "content_hash": content_hash(prompt, answer) + str(i),
                    "question_hash": question_hash(q),
                    "conversation_key": f"bench:{i}",
                    "created_by": "bench",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 5000:
                conn.execute(insert(Example), batch)
                batch = []
        if batch:
            conn.execute(insert(Example), batch)


def seed_history(core: object, rng: random.Random, vocab: list[str]) -> list[int]:
    ids = []
    with session_scope(core.engine) as session:  # type: ignore[attr-defined]
        for c in range(20):
            conv = Conversation(channel="console", chat_id=f"bench-{c}")
            session.add(conv)
            session.flush()
            ids.append(conv.id or 0)
            for m in range(12):
                session.add(
                    Message(
                        conversation_id=conv.id or 0,
                        role="user" if m % 2 == 0 else "assistant",
                        text=question(rng, vocab),
                    )
                )
    return ids


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=1_000)
    parser.add_argument("--brute-questions", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    vocab = [word(rng) for _ in range(20_000)]

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}")
        core = build_core(settings, seed_demo=False)
        t0 = time.perf_counter()
        seed(core, args.examples, rng, vocab)
        conversations = seed_history(core, rng, vocab)
        print(f"seeded {args.examples:,} accepted examples in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        core.knowledge.refresh()
        build_s = time.perf_counter() - t0
        questions = [question(rng, vocab) for _ in range(args.questions)]

        timings = []
        for i, q in enumerate(questions):
            t = time.perf_counter()
            core.knowledge.refresh()  # what every answer does: pick up new corrections
            with session_scope(core.engine) as session:
                history = store.recent_turns(
                    session,
                    conversation_id=conversations[i % len(conversations)],
                    limit=settings.history_max_messages,
                )
            prompt = core.responder.build_prompt(q, history)
            timings.append((time.perf_counter() - t) * 1000)
            assert prompt[-1]["content"] == q

        brute = BruteForce(core.knowledge.index)
        brute_ms = []
        for q in questions[: args.brute_questions]:
            t = time.perf_counter()
            brute.search(q, settings.retrieval_k)
            brute_ms.append((time.perf_counter() - t) * 1000)
        agree = sum(
            [h.key for h in brute.search(q, 1)]
            == [h.key for h in core.knowledge.index.search(q, 1)]
            for q in questions[: args.brute_questions]
        )
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        core.engine.dispose()

    p50, p99 = statistics.median(timings), pct(timings, 99)
    b50 = statistics.median(brute_ms)
    print(f"index build:         {build_s:6.2f} s   (target ≤ 15 s)")
    print(f"prompt build p50:    {p50:6.2f} ms  (target ≤ 5 ms)")
    print(f"prompt build p99:    {p99:6.2f} ms  (target ≤ 20 ms)")
    print(f"peak memory (RSS):   {peak_mib:6.0f} MiB (target ≤ 1024 MiB)")
    print(f"brute-force p50:     {b50:6.1f} ms  over {len(brute_ms)} questions")
    print(
        f"p50 ratio indexed/brute: {p50 / b50:.4f}  ({b50 / p50:.0f}× faster); "
        f"top-1 agreement {agree}/{len(brute_ms)}"
    )


if __name__ == "__main__":
    main()
