"""Console page times on a database of 100,000 examples.

    .venv/bin/python -m bench.console                    # 100,000 examples, 20 loads a page
    .venv/bin/python -m bench.console --examples 20000 --repeat 10
    .venv/bin/python -m bench.console --database-url postgresql://…   # an empty database

Seeds a SQLite file in a temp folder (or the database given): the examples, 5,000
conversations with replies, feedback on a third of them, 20 runs with gate answers,
2,000 audit entries, 5,000 review-desk items (2,000 of them unanswered questions still
open, which the Unanswered page groups) and 300 import batches. Then a reviewer signs
in with a real link and every listing page is loaded through the real ASGI app
(Starlette's TestClient, in process: no network between), first page and deep pages,
searches and filters, and the pages of one item. Prints the first load (which also
compiles the page's template) and p50 and p95 of the loads after it; the target is
p95 ≤ 200 ms on this machine.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert
from starlette.testclient import TestClient

from bench.responder import question, word
from bot.app import Core, build_core
from bot.config import Settings
from bot.db import session_scope
from bot.desk.tables import ReviewItem
from bot.signin import console_link
from bot.store import console as store_console
from bot.tables import (
    AuditEntry,
    Conversation,
    Example,
    Feedback,
    ImportBatch,
    Message,
    Reply,
    TuningRun,
    utcnow,
)
from bot.text import content_hash, question_hash
from bot.web import create_app

TARGET_MS = 200.0
REVIEWER = "slack:UBENCH"


def seed_examples(core: Core, n: int, rng: random.Random, vocab: list[str]) -> None:
    now = utcnow() - timedelta(days=3)
    sources = ["imported"] * 6 + ["corrected"] * 2 + ["approved", "demo"]
    statuses = ["accepted"] * 8 + ["pending", "rejected"]
    batch = []
    with core.engine.begin() as conn:
        for i in range(n):
            q = question(rng, vocab)
            answer = f"Answer {i}: {q} — {' '.join(rng.choice(vocab) for _ in range(25))} 🌿"
            prompt = [{"role": "user", "content": q}]
            batch.append(
                {
                    "question": q,
                    "prompt": prompt,
                    "answer": answer,
                    "source": rng.choice(sources),
                    "status": rng.choice(statuses),
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


def seed_conversations(core: Core, n: int, rng: random.Random, vocab: list[str]) -> None:
    """`n` conversations of two questions each, answered, a third of them rated."""
    now = utcnow()
    with core.engine.begin() as conn:
        for c in range(n):
            channel = rng.choice(["telegram", "telegram", "slack", "playground"])
            at = now - timedelta(minutes=n - c)
            cid = conn.execute(
                insert(Conversation), {"channel": channel, "chat_id": f"{c}", "created_at": at}
            ).inserted_primary_key[0]
            for _ in range(2):
                q = question(rng, vocab)
                mid = conn.execute(
                    insert(Message),
                    {"conversation_id": cid, "role": "user", "text": q, "created_at": at},
                ).inserted_primary_key[0]
                prompt = [
                    {"role": "system", "content": f"Voice\n\nApproved:\nQ: {q}\nA: An answer"},
                    {"role": "user", "content": q},
                ]
                rid = conn.execute(
                    insert(Reply),
                    {
                        "conversation_id": cid,
                        "message_id": mid,
                        "channel": channel,
                        "chat_id": f"{c}",
                        "prompt": prompt,
                        "text": f"An answer to {q}",
                        "backend": "examples",
                        "model_id": "examples",
                        "created_at": at,
                    },
                ).inserted_primary_key[0]
                conn.execute(
                    insert(Message),
                    {
                        "conversation_id": cid,
                        "role": "assistant",
                        "text": "An answer",
                        "created_at": at,
                    },
                )
                if rng.random() < 0.33:
                    kind = rng.choice(["approve", "reject", "correct"])
                    conn.execute(
                        insert(Feedback),
                        {
                            "reply_id": rid,
                            "user_id": f"telegram:{c}",
                            "kind": kind,
                            "corrected_text": "Better" if kind == "correct" else None,
                            "created_at": at,
                        },
                    )


def seed_runs_and_audit(core: Core, runs: int, audit: int) -> None:
    curve = [[s, 2.0 / s] for s in range(1, 501)]
    with session_scope(core.engine) as session:
        for _ in range(runs):
            run = TuningRun(
                provider="local", state="promoted", metrics={"job": {"loss_per_step": curve}}
            )
            session.add(run)
            session.flush()
            rows = [
                {
                    "example_id": i,
                    "question": f"Q{i}",
                    "reference": "R",
                    "candidate_answer": "A",
                    "current_answer": "B",
                    "candidate": 0.5,
                    "current": 0.4,
                }
                for i in range(200)
            ]
            store_console.add_gate_answers(session, run_id=run.id or 0, rows=rows)
    with core.engine.begin() as conn:
        conn.execute(
            insert(AuditEntry),
            [
                {
                    "user_id": REVIEWER,
                    "action": "corrected",
                    "target": f"reply:{i}",
                    "detail": "taught",
                    "at": utcnow(),
                }
                for i in range(audit)
            ],
        )


def seed_desk_and_imports(
    core: Core, items: int, unanswered: int, batches: int, rng: random.Random, vocab: list[str]
) -> None:
    """Review items on the seeded replies: `unanswered` open unanswered questions (a few
    hundred topics asked several ways), the rest suggestions and 👎 answers, a tenth
    of them handled; and `batches` import batches."""
    now = utcnow()
    topics = [question(rng, vocab) for _ in range(unanswered // 4)]
    rows = []
    for i in range(items):
        at = now - timedelta(minutes=items - i)
        if i < unanswered:
            kind, text = "unanswered", rng.choice(topics) + rng.choice(["", "?", " please", "!"])
        else:
            kind, text = rng.choice(["suggestion", "rejected"]), question(rng, vocab)
        handled = i >= unanswered and rng.random() < 0.1
        rows.append(
            {
                "key": f"bench:{i}",
                "kind": kind,
                "reply_id": i + 1,
                "channel": rng.choice(["telegram", "slack"]),
                "chat_id": str(i),
                "asked_by": f"telegram:{i}",
                "raised_by": f"telegram:{i}",
                "question": text,
                "answer": "I don't know that one yet",
                "suggestion": "A better answer" if kind == "suggestion" else None,
                "status": "handled" if handled else "open",
                "action": "dismissed" if handled else None,
                "handled_by": REVIEWER if handled else None,
                "created_at": at,
            }
        )
    with core.engine.begin() as conn:
        conn.execute(insert(ReviewItem), rows)
        conn.execute(
            insert(ImportBatch),
            [
                {"name": f"faq-{b}.csv", "created_by": REVIEWER, "imported": 40, "created_at": now}
                for b in range(batches)
            ],
        )


def signed_in(client: TestClient, core: Core) -> None:
    path = console_link(core, REVIEWER).split("testserver", 1)[1]
    check = re.search(r'name="check" value="([^"]+)"', client.get(path).text)
    assert check is not None
    client.post(path, data={"check": check.group(1)})
    assert client.get("/console/").status_code == 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=20, help="Loads of each page.")
    parser.add_argument("--database-url", default="", help="An empty database (default: SQLite).")
    args = parser.parse_args()
    rng = random.Random(11)
    vocab = [word(rng) for _ in range(20_000)]

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(
            database_url=url,
            afina_home=Path(tmp),
            slack_reviewers=["UBENCH"],
            console_url="http://testserver/console",
        )
        core = build_core(settings)
        t0 = time.perf_counter()
        seed_examples(core, args.examples, rng, vocab)
        seed_conversations(core, args.conversations, rng, vocab)
        seed_runs_and_audit(core, 20, 2_000)
        seed_desk_and_imports(core, 5_000, 2_000, 300, rng, vocab)
        print(
            f"seeded {args.examples:,} examples, {args.conversations:,} conversations, "
            f"20 runs, 2,000 audit entries, 5,000 desk items (2,000 unanswered), "
            f"300 imports in {time.perf_counter() - t0:.1f} s"
        )
        common = question(rng, vocab).split()[2]  # a topic word: many matches
        rare = vocab[123]
        deep = args.examples // 50 // 2
        pages = {
            "home": "/console/",
            "review": "/console/review",
            "review page 50": "/console/review?page=50",
            "review suggestions on slack": "/console/review?kind=suggestion&channel=slack",
            "review handled": "/console/review?status=handled",
            "unanswered (1,000 grouped)": "/console/unanswered",
            "unanswered page 5": "/console/unanswered?page=5",
            "unanswered telegram": "/console/unanswered?channel=telegram",
            "import": "/console/import",
            "import page 5": "/console/import?page=5",
            "examples": "/console/examples",
            f"examples page {deep}": f"/console/examples?page={deep}",
            f"examples search '{common}'": f"/console/examples?q={common}",
            "examples search rare word": f"/console/examples?q={rare}",
            "examples search, no match": "/console/examples?q=zz%25_nothing",
            "examples pending + corrected": "/console/examples?status=pending&source=corrected",
            "example": f"/console/examples/{args.examples // 2}",
            "conversations": "/console/conversations",
            "conversations page 40": "/console/conversations?page=40",
            "conversations telegram": "/console/conversations?channel=telegram",
            "conversation": f"/console/conversations/{args.conversations // 2}",
            "runs": "/console/runs",
            "run (500-step curve)": "/console/runs/10",
            "playground": "/console/playground",
            "audit": "/console/audit",
            "audit page 30": "/console/audit?page=30",
        }
        worst = 0.0
        with TestClient(create_app(settings)) as client:
            signed_in(client, core)
            print(f"{'page':<36} {'first':>8} {'p50 ms':>8} {'p95 ms':>8}")
            for name, path in pages.items():
                t = time.perf_counter()  # the first load also compiles the page's template
                assert client.get(path).status_code == 200, path
                first = (time.perf_counter() - t) * 1000
                timings = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    response = client.get(path)
                    timings.append((time.perf_counter() - t) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                p95 = sorted(timings)[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
                worst = max(worst, p95)
                print(f"{name:<36} {first:8.1f} {statistics.median(timings):8.1f} {p95:8.1f}")
        core.engine.dispose()
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"worst p95 {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
