"""Does what a reviewer teaches carry over to other wordings, and does the bot never bluff?

    .venv/bin/python -m bench.quality                  # quality.json, then the two held out
    .venv/bin/python -m bench.quality --calibrate      # also search the thresholds
    .venv/bin/python -m bench.quality --data a.json --holdout b.json,c.json   # other sets

Each fact is taught through the real path: its question is asked (`Responder.answer`,
what `afina ask` runs), then a reviewer corrects the reply (`bot.feedback.give`, what
`afina feedback --fix` runs). Then every paraphrase and near miss is asked in a new
conversation, and the stored reply says what happened (`reply.outcome`,
`reply.used_examples`). Printed beside today's lexical index (before issue 12: words only,
unseen words dropped, one threshold) in the same run, for each set:

- paraphrases given the right taught answer: as the bot's own ("own"), naming the
  question it answers ("named": "Si te refieres a «…»: …"), and the two together;
- paraphrases given another fact's answer, own or named (as much a bluff as a near miss
  answered);
- near misses given any taught answer: own, named, and the two together. A named answer
  to a near miss is still a taught answer to a question nobody taught, so the target
  counts it ("any"); for paraphrases both figures are printed and the target counts a
  right named answer too (the person gets the answer and sees which question it is);
- top-1 / top-3: the right example ranked first / in the first three (the few-shot prompt
  of a real model), and "in prompt": among the examples that clear the prompt threshold;
- of the paraphrases given "don't know", those whose reply names their own taught
  question as the nearest one (the person can ask it as taught);

each split by kind and language (and near misses by kind where the set names them).

Then a new team's first lessons: only 3 facts of the set taught (2 draws), every
paraphrase asked. A question about a fact not taught yet must get no taught answer,
own or named: with so little taught, the runner-up is about something else and
leading it proves nothing (`Thresholds.unrelated`).
Three sets: `bench/data/quality.json` (Pedalea, a bike shop) calibrates; the held-out
`bench/data/quality_holdout.json` (Marea, a bookshop: other facts, other kinds of near
misses, written before any tuning) and `bench/data/quality_third.json` (Patitas Felices,
a pet shop, written by an engineer who saw neither the other sets nor the rules) only
check. `--calibrate` picks the thresholds on the first set and prints what they give on
all three. Targets on each set: right ≥ 75% of
paraphrases, ≥ 60% in the other language, near misses given any taught answer ≤ 10%,
top-3 ≥ 90%.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Core, build_core
from bot.backends.examples import CANDIDATES
from bot.config import Settings
from bot.db import session_scope
from bot.feedback import give
from bot.foreign import lift, swap_gain, translations, word_lifts
from bot.matching import CALIBRATED, Known, Thresholds, judge, thresholds_for
from bot.messages import Incoming
from bot.retrieval import Index
from bot.tables import FeedbackKind, Reply, ReplyOutcome

DATA = Path(__file__).parent / "data" / "quality.json"
HOLDOUT = Path(__file__).parent / "data" / "quality_holdout.json"
THIRD = Path(__file__).parent / "data" / "quality_third.json"
TEACHER = "console:bench"
LEGACY_ANSWER, LEGACY_PROMPT = 0.45, 0.35  # the examples backend and prompt bar before


@dataclass
class Query:
    text: str
    kind: str  # a paraphrase kind, or "near_miss"
    lang: str
    half: str  # "calibration" | "held-out": the set it comes from
    fact: int | None  # index of the fact it should get; None for a near miss
    miss_kind: str = ""  # for a near miss, what makes it one, where the set says


@dataclass
class Result:
    outcome: str
    used: int | None  # fact index of the example answered from
    candidates: list[Known] = field(default_factory=list)  # the backend's view, best first
    in_prompt: list[int] = field(default_factory=list)  # fact indexes in the prompt
    lift: float = 0.0  # what the best candidate gains without one foreign word
    swap: float = 0.0  # ... and with its one foreign word swapped for the taught one
    pointed: int | None = None  # abstained: the fact whose question the "don't know" names
    word_lifts: dict[str, float] = field(default_factory=dict)  # each foreign word's lift
    closeness: dict[str, float] = field(default_factory=dict)  # ... and its translation's

    def lift_at(self, translation: float) -> float:
        """The lift with another translation bar (`bot.foreign.lift`)."""
        weighed = (
            gain
            for word, gain in self.word_lifts.items()
            if self.closeness.get(word, -1.0) < translation
        )
        return max(weighed, default=0.0)


def other(lang: str) -> str:
    return "en" if lang == "es" else "es"


def load(path: Path, half: str) -> tuple[list[dict[str, Any]], list[Query], str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    facts = data["facts"]
    queries: list[Query] = []
    for i, fact in enumerate(facts):
        for p in fact["paraphrases"]:
            lang = other(fact["lang"]) if p["kind"] == "other_language" else fact["lang"]
            queries.append(Query(p["text"], p["kind"], p.get("lang", lang), half, i))
    for miss in data["near_misses"]:
        lang = miss.get("lang") or ("es" if miss["text"].lstrip().startswith("¿") else "en")
        queries.append(Query(miss["text"], "near_miss", lang, half, None, miss.get("kind", "")))
    voice = data.get("system_prompt", "You are Pedalea's assistant, a bike shop in Valencia.")
    return facts, queries, voice


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
    bars = thresholds_for(core.settings, dense=core.knowledge.has_vectors)
    prompt_bar = bars.prompt
    for n, query in enumerate(queries):
        reply = core.responder.answer(
            Incoming(channel="console", chat_id=f"ask-{n}", user_id="bench", text=query.text)
        )
        with session_scope(core.engine) as session:
            row = session.get(Reply, reply.reply_id)
            assert row is not None
            used = taught.get(int(row.used_examples[0]["id"])) if row.used_examples else None
            outcome = str(row.outcome)
            said = row.text
        candidates = core.knowledge.closest(query.text, k=max(CANDIDATES, 3))
        pointed = None  # what the person reads: the nearest taught question, named
        if outcome == "abstained" and candidates and candidates[0].question in said:
            pointed = taught.get(candidates[0].example_id)
        in_prompt = [
            taught[c.example_id]
            for c in candidates[: core.settings.retrieval_k]
            if c.score >= prompt_bar and c.example_id in taught
        ]
        result = Result(outcome, used, candidates, in_prompt, pointed=pointed)
        if candidates:
            best = candidates[0]
            result.word_lifts = word_lifts(query.text, best, core.knowledge)
            result.closeness = translations(
                query.text, best, list(result.word_lifts), core.knowledge
            )
            result.lift = lift(query.text, best, core.knowledge, translation=bars.translation)
            result.swap = swap_gain(query.text, best, core.knowledge)
        results.append(result)
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
    abstained: int = 0  # paraphrases given "don't know"
    pointed_right: int = 0  # ... that named their own taught question as the nearest
    wrong: int = 0  # paraphrases given another fact's answer (own or named): a bluff too

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
        f.wrong += result.used != query.fact and result.outcome in ("answered", "transparent")
        ranked = [taught_ids.get(c.example_id, c.example_id) for c in result.candidates]
        f.top1 += ranked[:1] == [query.fact]
        f.top3 += query.fact in ranked[:3]
        f.in_prompt += query.fact in result.in_prompt
        f.abstained += result.outcome == "abstained"
        f.pointed_right += result.outcome == "abstained" and result.pointed == query.fact
        if query.kind == "other_language":
            f.other_lang += 1
            f.other_lang_right += right
    return f


def line(f: Figures) -> str:
    return (
        f"paraphrases right {pct(f.right, f.paraphrases)} [own {pct(f.right_own, f.paraphrases)},"
        f" named {f.right_named}] · another fact's answer {pct(f.wrong, f.paraphrases)}"
        f" · other language {pct(f.other_lang_right, f.other_lang)}"
        f" · near misses given a taught answer {pct(f.miss_own + f.miss_named, f.misses)}"
        f" [own {f.miss_own}, named {f.miss_named}] · top-1 {pct(f.top1, f.paraphrases)}"
        f" top-3 {pct(f.top3, f.paraphrases)} in prompt {pct(f.in_prompt, f.paraphrases)}"
        f" · don't-knows naming the right question {pct(f.pointed_right, f.abstained)}"
    )


def report(name: str, queries: list[Query], results: list[Result], ids: dict[int, int]) -> Figures:
    print(f"\n=== {name}")
    whole = figures(queries, results, ids)
    print(f"  {line(whole)}")
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, q in enumerate(queries):
        groups[("kind", q.kind)].append(i)
        groups[("lang", q.lang)].append(i)
        if q.miss_kind:
            groups[("near miss", q.miss_kind)].append(i)
    for (axis, value), chosen in sorted(groups.items()):
        f = figures([queries[i] for i in chosen], [results[i] for i in chosen], ids)
        if f.paraphrases:
            print(
                f"    {axis} {value:15} right {pct(f.right, f.paraphrases)} "
                f"own {pct(f.right_own, f.paraphrases)} "
                f"top-1 {pct(f.top1, f.paraphrases)} top-3 {pct(f.top3, f.paraphrases)}"
                + (
                    f" · near misses given one {pct(f.miss_own + f.miss_named, f.misses)}"
                    if f.misses
                    else ""
                )
            )
        else:
            print(
                f"    {axis} {value:15} near misses given a taught answer "
                f"{pct(f.miss_own + f.miss_named, f.misses)} (own {f.miss_own})"
            )
    return whole


def targets(f: Figures) -> None:
    checks = [
        ("right answer (own or named) ≥ 75% of paraphrases", f.right >= 0.75 * f.paraphrases),
        (
            "  ... as the bot's own ≥ 75% (stricter, not the target)",
            f.right_own >= 0.75 * f.paraphrases,
        ),
        ("≥ 60% in the other language", f.other_lang_right >= 0.6 * f.other_lang),
        ("near misses given any taught answer ≤ 10%", f.miss_own + f.miss_named <= 0.1 * f.misses),
        ("top-3 ≥ 90%", f.top3 >= 0.9 * f.paraphrases),
    ]
    for text, ok in checks:
        print(f"  {'✓' if ok else '✗'} {text}")


# --- calibration ---------------------------------------------------------------------


def rejudge(results: list[Result], thresholds: Thresholds, ids: dict[int, int]) -> list[Result]:
    out = []
    for r in results:
        verdict = judge(
            r.candidates,
            thresholds,
            lift=lambda _, r=r: r.lift_at(thresholds.translation),  # type: ignore[misc]
            swap=lambda _, r=r: r.swap,  # type: ignore[misc]
        )
        used = ids.get(verdict.best.example_id) if verdict.best else None
        prompt = [ids.get(c.example_id, -1) for c in r.candidates if c.score >= thresholds.prompt]
        pointed = ids.get(verdict.nearest.example_id) if verdict.nearest else None
        out.append(
            Result(
                verdict.outcome.value,
                used,
                r.candidates,
                prompt,
                r.lift_at(thresholds.translation),
                r.swap,
                pointed,
                r.word_lifts,
                r.closeness,
            )
        )
    return out


def calibrate(queries: list[Query], results: list[Result], ids: dict[int, int]) -> Thresholds:
    """Thresholds chosen on one set: the most paraphrases with the right answer, counting
    one given as the bot's own twice (once as right, once as own: a named answer is worth
    less), while at most 10% of near misses get any taught answer. Ties go to the higher
    bar (fewer examples shown to a real model). The translation bar is searched first,
    with the other bars as committed (ties to the lower bar: more translations read as
    such, at the same near misses), then the others with it."""
    committed = CALIBRATED["local"]
    translation = _best(
        queries,
        results,
        ids,
        # Lowest first, so a tie keeps the bar that reads the most words as translations.
        (replace(committed, translation=t) for t in (0.84, 0.86, 0.87, 0.88, 0.89, 0.9, 1.1)),
    ).translation
    grid = (
        Thresholds(bar, answer, margin, most, named, swap, translation, committed.unrelated)
        for bar in (0.81, 0.80, 0.79, 0.78)
        for answer in (bar, 0.82, 0.84)
        for margin in (0.0, 0.005, 0.01, 0.015, 0.02)
        for most in (-0.005, 0.0, 0.0025, 0.005, 0.0075, 0.01, 0.015)
        for named in (-1.0, -0.005, 0.0, 0.0025, 0.005)
        for swap in (1.0, 0.03, 0.025, 0.02, 0.015)
        if answer >= bar and named <= most
    )
    return _best(queries, results, ids, grid)


def _best(
    queries: list[Query], results: list[Result], ids: dict[int, int], tried: Iterable[Thresholds]
) -> Thresholds:
    best: tuple[tuple[int, int], Thresholds] | None = None
    for t in tried:
        f = figures(queries, rejudge(results, t, ids), ids)
        if f.miss_own + f.miss_named > 0.1 * f.misses:
            continue
        value = (f.right + f.right_own, f.right)
        if best is None or value > best[0]:
            best = (value, t)
    assert best is not None
    return best[1]


def run(
    backend: str, facts: list[dict[str, Any]], queries: list[Query], voice: str
) -> tuple[list[Result], dict[int, int], Core]:
    folder = Path(tempfile.mkdtemp(prefix="afina-quality-"))
    settings = Settings(
        database_url=f"sqlite:///{folder / 'quality.db'}",
        afina_home=folder,
        embeddings_backend=backend,
        model_backend="examples",
        system_prompt=voice,
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


# --- a new team's first lessons --------------------------------------------------------

FIRST_TAUGHT = 3  # facts a new team has taught
FIRST_DRAWS = 2


@dataclass
class FirstLessons:
    untaught: int = 0  # paraphrases of facts not taught: each must get "don't know"
    own: int = 0  # ... given a taught answer as the bot's own
    named: int = 0  # ... or naming the question
    taught: int = 0  # paraphrases of the facts taught
    right: int = 0  # ... given their answer (own or named)

    def add(self, queries: list[Query], results: list[Result]) -> None:
        for query, result in zip(queries, results, strict=True):
            given = result.outcome in ("answered", "transparent")
            if query.fact is None:
                self.untaught += 1
                self.own += result.outcome == "answered"
                self.named += result.outcome == "transparent"
            else:
                self.taught += 1
                self.right += given and result.used == query.fact

    def line(self) -> str:
        return (
            f"questions on facts not taught given a taught answer "
            f"{pct(self.own + self.named, self.untaught)} [own {self.own}, named {self.named}]"
            f" · paraphrases of the taught facts right {pct(self.right, self.taught)}"
        )


def first_lessons(
    backend: str, facts: list[dict[str, Any]], queries: list[Query], voice: str
) -> tuple[FirstLessons, FirstLessons]:
    """(today's lexical index, this backend) with only FIRST_TAUGHT facts taught, each of
    FIRST_DRAWS draws (seeded, so every run draws the same)."""
    draw = random.Random(12)
    before, now = FirstLessons(), FirstLessons()
    for _ in range(FIRST_DRAWS):
        chosen = sorted(draw.sample(range(len(facts)), FIRST_TAUGHT))
        asked = [
            replace(q, fact=chosen.index(q.fact) if q.fact in chosen else None)
            for q in queries
            if q.fact is not None
        ]
        taught = [facts[i] for i in chosen]
        before.add(asked, legacy(taught, asked))
        results, _ids, core = run(backend, taught, asked, voice)
        now.add(asked, results)
        core.engine.dispose()
    return before, now


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
    parser.add_argument("--data", type=Path, default=DATA, help="the set that calibrates")
    parser.add_argument(
        "--holdout",
        default=f"{HOLDOUT},{THIRD}",
        help="the sets that check, comma-separated ('' for none)",
    )
    parser.add_argument("--calibrate", action="store_true", help="also search the thresholds")
    parser.add_argument("--backends", default="local,none", help="embeddings backends to run")
    parser.add_argument("--dump", type=Path, help="write every question's candidates here (JSON)")
    args = parser.parse_args()
    sets = [(args.data, "calibration")] + [
        (Path(name), "held-out") for name in args.holdout.split(",") if name
    ]
    backends = args.backends.split(",")
    tuned: Thresholds | None = None
    summary: list[tuple[str, Figures]] = []
    kept: list[tuple[str, list[Query], list[Result], dict[int, int]]] = []
    for path, half in sets:
        facts, queries, voice = load(path, half)
        n_para = sum(q.fact is not None for q in queries)
        print(
            f"\n##### {path.name} ({half}): {len(facts)} facts, {n_para} paraphrases, "
            f"{len(queries) - n_para} near misses"
        )
        identity = {i: i for i in range(len(facts))}
        report(
            "today: lexical index before issue 12 (words only, unseen words dropped)",
            queries,
            legacy(facts, queries),
            identity,
        )
        for backend in backends:
            results, ids, core = run(backend, facts, queries, voice)
            t = thresholds_for(core.settings, dense=core.knowledge.has_vectors)
            label = "dense + words" if backend != "none" else "words only, unseen words count"
            f = report(f"{backend}: {label} · {t}", queries, results, ids)
            if backend == backends[0]:
                summary.append((f"{path.name} ({half})", f))
                kept.append((path.name, queries, results, ids))
            if args.dump:
                dump(args.dump.with_suffix(f".{path.stem}.{backend}.json"), queries, results, ids)
            core.engine.dispose()
        before, now = first_lessons(backends[0], facts, queries, voice)
        print(f"\n=== first lessons: {FIRST_TAUGHT} facts taught ({FIRST_DRAWS} draws)")
        print(f"  today: {before.line()}")
        print(f"  {backends[0]}: {now.line()}")
        if args.calibrate and half == "calibration":
            tuned = calibrate(*kept[-1][1:])
    if tuned is not None:
        print(f"\n##### calibrated on {sets[0][0].name} · {tuned}")
        for name, queries, results, ids in kept:
            report(
                f"{backends[0]} on {name}, calibrated", queries, rejudge(results, tuned, ids), ids
            )
    for name, f in summary:
        print(f"\ntargets ({backends[0]}, {name}):")
        targets(f)


if __name__ == "__main__":
    main()
