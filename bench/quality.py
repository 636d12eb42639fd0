"""Does what a reviewer teaches carry over to other wordings, and does the bot never bluff?

    .venv/bin/python -m bench.quality                         # bench/data/quality.json
    .venv/bin/python -m bench.quality --data other.json       # another set, same shape
    .venv/bin/python -m bench.quality --calibrate             # also search the thresholds

Each fact is taught through the real path: its question is asked (`Responder.answer`,
what `afina ask` runs), then a reviewer corrects the reply (`bot.feedback.give`, what
`afina feedback --fix` runs). Then every paraphrase and near miss is asked in a new
conversation, and the stored reply says what happened (`reply.outcome`,
`reply.used_examples`). Printed beside today's lexical index (before issue 12: words only,
unseen words dropped, one threshold) in the same run:

- paraphrases answered with the right taught answer (as its own, or naming the question);
- near misses answered with any taught answer: as its own, transparently, and the two
  together (the strict figure);
- top-1 / top-3: the right example ranked first / in the first three (the few-shot prompt
  of a real model), and "in prompt": among the examples that clear the prompt threshold;

each split by kind and language, for the facts of the calibration half (even positions),
the held-out half (odd positions) and all. `--calibrate` picks thresholds on the
calibration half only (confident near misses ≤ 10%, then the best right-answer rate less
strict near misses) and prints them with the figures they give on both halves.
Targets on the whole set: right ≥ 75% of paraphrases, ≥ 60% in the other language,
near misses answered ≤ 10%, top-3 ≥ 90%.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Core, build_core
from bot.backends.examples import CANDIDATES
from bot.config import Settings
from bot.db import session_scope
from bot.feedback import give
from bot.matching import Known, Thresholds, judge, thresholds_for
from bot.messages import Incoming
from bot.retrieval import Index
from bot.tables import FeedbackKind, Reply, ReplyOutcome

DATA = Path(__file__).parent / "data" / "quality.json"
TEACHER = "console:bench"
LEGACY_ANSWER, LEGACY_PROMPT = 0.45, 0.35  # the examples backend and prompt bar before


@dataclass
class Query:
    text: str
    kind: str  # a paraphrase kind, or "near_miss"
    lang: str
    half: str  # "calibration" | "held-out"
    fact: int | None  # index of the fact it should get; None for a near miss


@dataclass
class Result:
    outcome: str
    used: int | None  # fact index of the example answered from
    candidates: list[Known] = field(default_factory=list)  # the backend's view, best first
    in_prompt: list[int] = field(default_factory=list)  # fact indexes in the prompt


def other(lang: str) -> str:
    return "en" if lang == "es" else "es"


def load(path: Path) -> tuple[list[dict[str, Any]], list[Query]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    facts = data["facts"]
    position = {fact["id"]: i for i, fact in enumerate(facts)}
    queries: list[Query] = []
    for i, fact in enumerate(facts):
        half = "calibration" if i % 2 == 0 else "held-out"
        for p in fact["paraphrases"]:
            lang = other(fact["lang"]) if p["kind"] == "other_language" else fact["lang"]
            queries.append(Query(p["text"], p["kind"], p.get("lang", lang), half, i))
    for j, miss in enumerate(data["near_misses"]):
        near = position.get(miss.get("near") or "", j)
        lang = miss.get("lang") or ("es" if miss["text"].lstrip().startswith("¿") else "en")
        half = "calibration" if near % 2 == 0 else "held-out"
        queries.append(Query(miss["text"], "near_miss", lang, half, None))
    return facts, queries


def teach(core: Core, facts: list[dict[str, Any]]) -> dict[int, int]:
    """Ask each fact's question, then correct the reply as a reviewer: example id → fact."""
    taught: dict[int, int] = {}
    for i, fact in enumerate(facts):
        reply = core.responder.answer(
            Incoming(
                channel="console", chat_id=f"teach-{i}", user_id="bench", text=fact["question"]
            )
        )
        with session_scope(core.engine) as session:
            outcome = give(
                session,
                core.settings,
                reply_id=reply.reply_id,
                user=TEACHER,
                kind=FeedbackKind.correct,
                corrected_text=fact["answer"],
                knowledge=core.knowledge,
            )
        taught[outcome.example_id or 0] = i
        if "replaces" in outcome.message:
            print(f"  ! teaching {fact['id']!r}: {outcome.message}")
    return taught


def ask_all(core: Core, queries: list[Query], taught: dict[int, int]) -> list[Result]:
    results = []
    prompt_bar = thresholds_for(core.settings, dense=core.knowledge.has_vectors).prompt
    for n, query in enumerate(queries):
        reply = core.responder.answer(
            Incoming(channel="console", chat_id=f"ask-{n}", user_id="bench", text=query.text)
        )
        with session_scope(core.engine) as session:
            row = session.get(Reply, reply.reply_id)
            assert row is not None
            used = taught.get(int(row.used_examples[0]["id"])) if row.used_examples else None
            outcome = str(row.outcome)
        candidates = core.knowledge.closest(query.text, k=max(CANDIDATES, 3))
        in_prompt = [
            taught[c.example_id]
            for c in candidates[: core.settings.retrieval_k]
            if c.score >= prompt_bar and c.example_id in taught
        ]
        results.append(Result(outcome, used, candidates, in_prompt))
    return results


def legacy(facts: list[dict[str, Any]], queries: list[Query]) -> list[Result]:
    """Today's lexical index before issue 12: unseen query words dropped, one threshold."""

    class Before(Index):
        def _weigh(self, feats: dict[str, float], *, grow: bool = False) -> dict[int, float]:
            if not grow:
                feats = {t: v for t, v in feats.items() if t in self.vocab}
            return super()._weigh(feats, grow=grow)

    index = Before()
    index.build((i, fact["question"]) for i, fact in enumerate(facts))
    results = []
    for query in queries:
        hits = index.search(query.text, 4)
        known = [
            Known(h.key, facts[h.key]["question"], facts[h.key]["answer"], h.score) for h in hits
        ]
        best = hits[0] if hits and hits[0].score >= LEGACY_ANSWER else None
        outcome = ReplyOutcome.answered if best else ReplyOutcome.abstained
        results.append(
            Result(
                outcome.value,
                best.key if best else None,
                known,
                [h.key for h in hits if h.score >= LEGACY_PROMPT],
            )
        )
    return results


# --- figures -------------------------------------------------------------------------


def pct(hits: int, total: int) -> str:
    return f"{100 * hits / total:5.1f}% ({hits}/{total})" if total else "   —"


@dataclass
class Figures:
    right_own: int = 0
    right_named: int = 0
    paraphrases: int = 0
    other_lang_right: int = 0
    other_lang: int = 0
    top1: int = 0
    top3: int = 0
    in_prompt: int = 0
    miss_own: int = 0
    miss_named: int = 0
    misses: int = 0

    @property
    def right(self) -> int:
        return self.right_own + self.right_named


def figures(
    queries: Iterable[Query], results: Iterable[Result], taught_ids: dict[int, int]
) -> Figures:
    f = Figures()
    for query, result in zip(queries, results, strict=True):
        if query.fact is None:
            f.misses += 1
            f.miss_own += result.outcome == ReplyOutcome.answered
            f.miss_named += result.outcome == ReplyOutcome.transparent
            continue
        f.paraphrases += 1
        right = result.used == query.fact and result.outcome in ("answered", "transparent")
        f.right_own += right and result.outcome == "answered"
        f.right_named += right and result.outcome == "transparent"
        ranked = [taught_ids.get(c.example_id, c.example_id) for c in result.candidates]
        f.top1 += ranked[:1] == [query.fact]
        f.top3 += query.fact in ranked[:3]
        f.in_prompt += query.fact in result.in_prompt
        if query.kind == "other_language":
            f.other_lang += 1
            f.other_lang_right += right
    return f


def report(name: str, queries: list[Query], results: list[Result], ids: dict[int, int]) -> Figures:
    print(f"\n=== {name}")
    whole = figures(queries, results, ids)
    for half in ("calibration", "held-out", "all"):
        chosen = [i for i, q in enumerate(queries) if half == "all" or q.half == half]
        f = figures([queries[i] for i in chosen], [results[i] for i in chosen], ids)
        print(
            f"  {half:11} paraphrases right {pct(f.right, f.paraphrases)} "
            f"[own {f.right_own}, named {f.right_named}] · other language "
            f"{pct(f.other_lang_right, f.other_lang)} · near misses answered "
            f"{pct(f.miss_own, f.misses)}, named {pct(f.miss_named, f.misses)}, strict "
            f"{pct(f.miss_own + f.miss_named, f.misses)} · top-1 {pct(f.top1, f.paraphrases)} "
            f"top-3 {pct(f.top3, f.paraphrases)} in prompt {pct(f.in_prompt, f.paraphrases)}"
        )
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, q in enumerate(queries):
        groups[("kind", q.kind)].append(i)
        groups[("lang", q.lang)].append(i)
    for (axis, value), chosen in sorted(groups.items()):
        f = figures([queries[i] for i in chosen], [results[i] for i in chosen], ids)
        if f.paraphrases:
            print(
                f"    {axis} {value:15} right {pct(f.right, f.paraphrases)} "
                f"top-1 {pct(f.top1, f.paraphrases)} top-3 {pct(f.top3, f.paraphrases)}"
                + (
                    f" · near misses strict {pct(f.miss_own + f.miss_named, f.misses)}"
                    if f.misses
                    else ""
                )
            )
        else:
            print(
                f"    {axis} {value:15} near misses answered {pct(f.miss_own, f.misses)} "
                f"strict {pct(f.miss_own + f.miss_named, f.misses)}"
            )
    return whole


def targets(f: Figures) -> None:
    checks = [
        ("right answer ≥ 75% of paraphrases", f.right >= 0.75 * f.paraphrases),
        ("≥ 60% in the other language", f.other_lang_right >= 0.6 * f.other_lang),
        ("near misses answered (as its own) ≤ 10%", f.miss_own <= 0.1 * f.misses),
        ("near misses answered at all (strict) ≤ 10%", f.miss_own + f.miss_named <= 0.1 * f.misses),
        ("top-3 ≥ 90%", f.top3 >= 0.9 * f.paraphrases),
    ]
    for text, ok in checks:
        print(f"  {'✓' if ok else '✗'} {text}")


# --- calibration ---------------------------------------------------------------------


def rejudge(results: list[Result], thresholds: Thresholds, ids: dict[int, int]) -> list[Result]:
    out = []
    for r in results:
        verdict = judge(r.candidates, thresholds)
        used = ids.get(verdict.best.example_id) if verdict.best else None
        prompt = [ids.get(c.example_id, -1) for c in r.candidates if c.score >= thresholds.prompt]
        out.append(Result(verdict.outcome.value, used, r.candidates, prompt))
    return out


def calibrate(queries: list[Query], results: list[Result], ids: dict[int, int]) -> Thresholds:
    """Thresholds chosen on the calibration half only.

    `answer` and `margin`: the most paraphrases answered as the bot's own while at most
    10% of near misses are. `prompt`: the highest bar that still gets 75% of paraphrases
    the right answer (own or named), so as few near misses as possible get a named
    answer; where 75% is out of reach, the bar with the most right answers less strict
    near misses.
    """
    chosen = [i for i, q in enumerate(queries) if q.half == "calibration"]
    cq, cr = [queries[i] for i in chosen], [results[i] for i in chosen]
    grid = sorted({round(r.candidates[0].score, 3) for r in cr if r.candidates})
    best_own: tuple[int, float, float] | None = None
    for answer in grid:
        for margin in (0.0, 0.005, 0.01, 0.02, 0.03, 0.04):
            t = Thresholds(prompt=min(grid), answer=answer, margin=margin)
            f = figures(cq, rejudge(cr, t, ids), ids)
            if f.miss_own <= 0.1 * f.misses and (best_own is None or f.right_own > best_own[0]):
                best_own = (f.right_own, answer, margin)
    assert best_own is not None
    _, answer, margin = best_own
    fallback: tuple[float, float] | None = None
    for prompt in sorted((p for p in grid if p <= answer), reverse=True):
        f = figures(cq, rejudge(cr, Thresholds(prompt, answer, margin), ids), ids)
        if f.right >= 0.75 * f.paraphrases:
            return Thresholds(prompt, answer, margin)
        value = f.right / f.paraphrases - (f.miss_own + f.miss_named) / f.misses
        if fallback is None or value > fallback[0]:
            fallback = (value, prompt)
    return Thresholds(fallback[1] if fallback else answer, answer, margin)


def run(
    backend: str, facts: list[dict[str, Any]], queries: list[Query]
) -> tuple[list[Result], dict[int, int], Core]:
    folder = Path(tempfile.mkdtemp(prefix="afina-quality-"))
    settings = Settings(
        database_url=f"sqlite:///{folder / 'quality.db'}",
        afina_home=folder,
        embeddings_backend=backend,
        model_backend="examples",
        system_prompt="You are Pedalea's assistant, a bike shop in Valencia.",
    )
    core = build_core(settings)
    started = time.perf_counter()
    ids = teach(core, facts)
    taught_s = time.perf_counter() - started
    started = time.perf_counter()
    results = ask_all(core, queries, ids)
    asked_s = time.perf_counter() - started
    print(
        f"[{backend}] taught {len(ids)} facts in {taught_s:.1f} s; asked {len(queries)} "
        f"questions in {asked_s:.1f} s ({1000 * asked_s / len(queries):.0f} ms each)"
    )
    return results, ids, core


def dump(path: Path, queries: list[Query], results: list[Result], ids: dict[int, int]) -> None:
    rows = [
        {
            "text": q.text,
            "kind": q.kind,
            "lang": q.lang,
            "half": q.half,
            "fact": q.fact,
            "outcome": r.outcome,
            "candidates": [[ids.get(c.example_id, -1), round(c.score, 5)] for c in r.candidates],
        }
        for q, r in zip(queries, results, strict=True)
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=0), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--calibrate", action="store_true", help="also search the thresholds")
    parser.add_argument("--backends", default="local,none", help="embeddings backends to run")
    parser.add_argument("--dump", type=Path, help="write every question's candidates here (JSON)")
    args = parser.parse_args()
    facts, queries = load(args.data)
    n_para = sum(q.fact is not None for q in queries)
    print(
        f"{args.data.name}: {len(facts)} facts, {n_para} paraphrases, "
        f"{len(queries) - n_para} near misses"
    )

    identity = {i: i for i in range(len(facts))}
    report(
        "today: lexical index before issue 12 (words only, unseen words dropped)",
        queries,
        legacy(facts, queries),
        identity,
    )
    whole = None
    for backend in args.backends.split(","):
        results, ids, core = run(backend, facts, queries)
        t = thresholds_for(core.settings, dense=core.knowledge.has_vectors)
        label = "dense + words" if backend != "none" else "words only, unseen words count"
        f = report(f"{backend}: {label} · thresholds {t}", queries, results, ids)
        if backend == args.backends.split(",")[0]:
            whole = f
        if args.dump:
            dump(args.dump.with_suffix(f".{backend}.json"), queries, results, ids)
        if args.calibrate:
            tuned = calibrate(queries, results, ids)
            report(
                f"{backend}: calibrated on the calibration half · {tuned}",
                queries,
                rejudge(results, tuned, ids),
                ids,
            )
        core.engine.dispose()
    if whole is not None:
        print(f"\ntargets ({args.backends.split(',')[0]}, whole set):")
        targets(whole)


if __name__ == "__main__":
    main()
