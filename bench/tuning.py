"""Speed and cost of retraining: a million-row export, and ten weekly retrains.

    .venv/bin/python -m bench.tuning                 # everything (about two minutes)
    .venv/bin/python -m bench.tuning --rows 200000   # a smaller export
    .venv/bin/python -m bench.tuning --db /tmp/x.db  # keep the generated database for next time

1. Export: 1,000,000 accepted examples stored in SQLite are exported to SFT
   JSONL by `tuning.dataset.build_dataset` (redaction, dedupe, validation,
   split, streamed writing). The baseline is a bare loop over the very same
   rows, from the same query, that writes `json.dumps` of each row's messages.
   Each runs in a fresh process, so the peak memory printed is the export's own
   (ru_maxrss of that process). Targets: ratio ≥ 0.5×, peak ≤ 300 MiB.
2. Retrains: ten weekly cycles with 200 new accepted examples a week, run
   through the real run machinery and OpenAI provider against the fake OpenAI
   server of the tests, once incremental (continue from the active model with
   new examples plus a replay sample) and once full. Tokens are those of the
   training files sent, counted with tiktoken. Target: incremental ≤ 0.3× full.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = [
    "How much is shipping to {city}?",
    "¿Cuánto tarda un pedido a {city}?",
    "Is the {product} suitable for sensitive skin?",
    "¿El {product} es vegano y cruelty-free?",
    "Can I return the {product} if I opened it?",
    "Do you have the {product} in a refill pack?",
    "My {product} arrived broken, what do I do?",
    "¿Tenéis tienda física en {city}?",
]
ANSWERS = [
    "Free over €35 🌿 Below that it's €3.95 in mainland Spain and €6.95 to the rest of the EU. "
    "Need a little push to 35? A shampoo bar does the trick.",
    "A {city} tarda de 3 a 5 días laborables 🌱 Te mandamos el seguimiento por email en cuanto "
    "sale de Sevilla. ¿Te ayudo con algo más?",
    "Yes, the {product} is fragrance-free and dermatologist-tested 🌿 Patch-test it on your wrist "
    "first, just in case. Want a sample with your next order?",
    "Sí: todo lo que vendemos es 100 % vegano y sin crueldad animal 🌱 El {product} también, "
    "claro. ¿Quieres que te recomiende algo para acompañarlo?",
]
CITIES = ["Lyon", "Berlin", "Sevilla", "Porto", "Milano", "Gent", "Madrid", "Wien"]
PRODUCTS = ["shampoo bar", "facial oil", "lip balm", "sunscreen", "body butter", "deodorant"]
PII = ["Write to me at ana.garcia{n}@gmail.com", "Call me on +34 612 345 {n:03d}"]


def text_for(n: int, rng: random.Random) -> tuple[list[dict[str, str]], str, str | None]:
    city, product = rng.choice(CITIES), rng.choice(PRODUCTS)
    question = rng.choice(QUESTIONS).format(city=city, product=product) + f" (ref {n})"
    if n % 100 == 0:
        question += ". " + rng.choice(PII).format(n=n % 1000)
    answer = rng.choice(ANSWERS).format(city=city, product=product)
    prompt = [{"role": "user", "content": question}]
    if n % 7 == 0:  # some answers continue a conversation
        prompt = [
            {"role": "user", "content": "Hola!"},
            {"role": "assistant", "content": "¡Hola! 🌿 ¿En qué te ayudo?"},
            *prompt,
        ]
    rejected = "I'm not sure, sorry." if n % 10 == 0 else None
    return prompt, answer, rejected


def _values(table: str, texts: list[str]) -> str:
    rows = ", ".join(f"({i}, '{t.replace(chr(39), chr(39) * 2)}')" for i, t in enumerate(texts))
    return f"CREATE TEMP TABLE {table}(i INTEGER PRIMARY KEY, t TEXT); INSERT INTO {table} " + (
        f"VALUES {rows};"
    )


def _fill(table: str, n: int) -> str:
    """SQL for template number `x % n` with its {city} and {product} filled in."""
    city = f"(SELECT t FROM c WHERE i = x % {len(CITIES)})"
    product = f"(SELECT t FROM p WHERE i = (x / 3) % {len(PRODUCTS)})"
    template = f"(SELECT t FROM {table} WHERE i = x % {n})"
    return f"replace(replace({template}, '{{city}}', {city}), '{{product}}', {product})"


def generate(db: Path, rows: int) -> None:
    """A migrated SQLite database with `rows` accepted examples, generated inside SQLite.

    Inserting a million rows from Python takes longer than the export it feeds,
    so SQLite writes them itself from the same templates `text_for` uses: one
    row in 7 continues a conversation, one in 10 is a correction with the bot's
    original, one in 100 holds an e-mail address or a phone number. Hashes grow
    with the id, so the unique index is appended to, not shuffled.
    """
    from bot.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    engine.dispose()
    sql = f"""
    {_values("q", QUESTIONS)}
    {_values("a", ANSWERS)}
    {_values("c", CITIES)}
    {_values("p", PRODUCTS)}
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {rows}),
    texts AS (
        SELECT x,
            {_fill("q", len(QUESTIONS))} || ' (ref ' || x || ')' || CASE
                WHEN x % 200 = 0 THEN '. Write to me at ana.garcia' || x || '@gmail.com'
                WHEN x % 100 = 0 THEN '. Call me on +34 612 345 ' || printf('%03d', x % 1000)
                ELSE '' END AS q,
            {_fill("a", len(ANSWERS))} AS a
        FROM n
    )
    INSERT INTO example (question, prompt, answer, rejected_answer, source, status,
        content_hash, question_hash, conversation_key, created_by, created_at, updated_at)
    SELECT q,
        CASE WHEN x % 7 = 0 THEN json_array(
                json_object('role', 'user', 'content', 'Hola!'),
                json_object('role', 'assistant', 'content', '¡Hola! 🌿 ¿En qué te ayudo?'),
                json_object('role', 'user', 'content', q))
            ELSE json_array(json_object('role', 'user', 'content', q)) END,
        a,
        CASE WHEN x % 10 = 0 THEN 'I''m not sure, sorry.' END,
        CASE WHEN x % 10 = 0 THEN 'corrected' ELSE 'approved' END,
        'accepted',
        printf('%016x', x) || substr(hex(randomblob(24)), 1, 48),
        printf('%016x', x),
        'slack:C1:' || (x / 3),
        'bench', '2026-01-05 10:00:00.000000', '2026-01-05 10:00:00.000000'
    FROM texts;
    """
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.executescript(sql)
    conn.commit()
    conn.close()


# --- the two timed passes, each in its own process ------------------------------


def child_settings(db: Path, home: Path) -> Any:
    from bot.config import Settings

    return Settings(database_url=f"sqlite:///{db}", afina_home=home)


def run_baseline(db: Path, out: Path) -> dict[str, Any]:
    from bot import store
    from bot.db import make_engine, session_scope

    settings = child_settings(db, out.parent)
    system = {"role": "system", "content": settings.voice()}
    engine = make_engine(settings.resolved_database_url)
    started = time.perf_counter()
    n = 0
    with session_scope(engine) as session, out.open("w", encoding="utf-8") as handle:
        upto = store.max_example_id(session)
        for row in store.snapshot_rows(session, upto_id=upto):
            messages = [system, *row[1], {"role": "assistant", "content": row[2]}]
            handle.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
            n += 1
    return {"rows": n, "seconds": time.perf_counter() - started}


def run_export(db: Path, out: Path) -> dict[str, Any]:
    from bot.db import make_engine, session_scope
    from tuning.dataset import build_dataset, rules_for

    settings = child_settings(db, out.parent)
    engine = make_engine(settings.resolved_database_url)
    started = time.perf_counter()
    with session_scope(engine) as session:
        built = build_dataset(
            session,
            settings,
            out,
            rules=rules_for("openai", settings),
            formats={"sft"},
            count_tokens=False,
        )
    seconds = time.perf_counter() - started
    report = built.report
    return {
        "rows": report.read,
        "seconds": seconds,
        "train": report.train,
        "holdout": report.holdout,
        "dropped": report.dropped,
        "redacted": report.redacted,
        "tokens": report.train_tokens,
    }


def child(kind: str, db: Path, out: Path) -> None:
    result = run_baseline(db, out) if kind == "baseline" else run_export(db, out)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def in_child(kind: str, db: Path, out: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.tuning", "--child", kind, "--db", str(db), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,  # where `bench` and `tests` are found
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def export_bench(db: Path, rows: int, work: Path) -> None:
    if not db.exists():
        print(f"generating {rows:,} examples in {db} (kept for the next run) …", flush=True)
        started = time.perf_counter()
        generate(db.with_suffix(".tmp"), rows)
        db.with_suffix(".tmp").rename(db)
        print(f"  done in {time.perf_counter() - started:.1f} s")
    base = in_child("baseline", db, work / "baseline.jsonl")
    export = in_child("export", db, work / "export")
    base_rate = base["rows"] / base["seconds"]
    rate = export["rows"] / export["seconds"]
    print(f"\nExport of {export['rows']:,} stored examples to SFT JSONL")
    print(f"  bare json.dumps loop: {base_rate:,.0f} rows/s ({base['seconds']:.1f} s)")
    print(
        f"  afina export:         {rate:,.0f} rows/s ({export['seconds']:.1f} s): "
        f"{export['train']:,} train, {export['holdout']:,} holdout, dropped {export['dropped']}, "
        f"redacted {export['redacted']}"
    )
    ratio = rate / base_rate
    verdict = "ok" if ratio >= 0.5 else "BELOW TARGET"
    print(f"  ratio to the bare loop: {ratio:.2f}× (target ≥ 0.5×: {verdict})")
    peak = export["peak_mib"]
    verdict = "ok" if peak <= 300 else "ABOVE TARGET"
    print(f"  peak memory of the export process: {peak:.0f} MiB (target ≤ 300 MiB: {verdict})")
    print(f"  (peak of the bare loop's process: {base['peak_mib']:.0f} MiB)")


# --- ten weekly retrains ---------------------------------------------------------


def retrain_bench(work: Path, weeks: int = 10, per_week: int = 200) -> None:
    from bot.app import build_core
    from bot.config import Settings
    from bot.db import session_scope
    from bot.importer import import_pairs
    from tests.support.openai_server import FakeOpenAI
    from tuning.runs import Runs

    fake = FakeOpenAI().start()
    totals: dict[str, list[int]] = {"incremental": [], "full": []}
    sizes: dict[str, list[int]] = {"incremental": [], "full": []}
    try:
        for mode in totals:
            settings = Settings(
                database_url=f"sqlite:///{work / mode}.db",
                afina_home=work / mode,
                openai_api_key="sk-bench",
                openai_base_url=fake.base_url,
                tuning_poll_interval_s=0.001,
                eval_max_items=20,  # the gate's cost is not what this measures
            )
            core = build_core(settings)
            runs = Runs(core)
            rng = random.Random(11)  # the same weeks for both modes
            for week in range(weeks):
                pairs = []
                for i in range(per_week):
                    prompt, answer, _ = text_for(week * per_week + i + 1, rng)
                    pairs.append((i + 1, prompt, answer))
                with session_scope(core.engine) as session:
                    import_pairs(session, pairs, created_by=f"week{week + 1}")
                run, _ = runs.start(provider="openai", full=mode == "full")
                final = runs.follow(run.id or 0)
                if final.state != "promoted":
                    raise SystemExit(f"{mode} week {week + 1}: {final.state}: {final.error}")
                totals[mode].append(int(final.metrics["estimated_tokens"]))
                sizes[mode].append(final.n_train)
            core.engine.dispose()
    finally:
        fake.stop()
    print(f"\n{weeks} weekly retrains, {per_week} new accepted examples a week")
    print("  week   incremental (examples / tokens)   full (examples / tokens)")
    for week in range(weeks):
        print(
            f"  {week + 1:>4}   {sizes['incremental'][week]:>6} / {totals['incremental'][week]:>8,}"
            f"          {sizes['full'][week]:>6} / {totals['full'][week]:>9,}"
        )
    inc, full = sum(totals["incremental"]), sum(totals["full"])
    ratio = inc / full
    verdict = "ok" if ratio <= 0.3 else "ABOVE TARGET"
    print(f"  tokens trained over {weeks} cycles: incremental {inc:,}, full {full:,}")
    print(f"  incremental / full: {ratio:.2f}× (target ≤ 0.3×: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="examples to export")
    parser.add_argument(
        "--db", type=Path, help="SQLite file to reuse (default: one per row count in the temp dir)"
    )
    parser.add_argument("--skip-export", action="store_true", help="only the retrain cycles")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.out)
        return
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="afina-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_export:
            cached = Path(tempfile.gettempdir()) / f"afina-bench-{args.rows}.db"
            export_bench(args.db or cached, args.rows, work)
        retrain_bench(work)


if __name__ == "__main__":
    main()
