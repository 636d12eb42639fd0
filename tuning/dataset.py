"""From stored examples to training files that are safe to send and that a provider accepts.

One streamed pass over a snapshot of accepted examples (ids up to a fixed
maximum, so a run and its restart read the same rows): redact personal data,
drop normalised duplicates, check every example against the provider's rules,
put each conversation on one side of a stable train / holdout split, and write
the SFT, DPO, messages and holdout files line by line. Nothing is loaded whole:
memory grows only with the dedupe set (8 bytes of hash per example) and, in an
incremental retrain, the replay sample.

The split hashes the conversation key with the seed, so a conversation is in
the holdout in every run (with the same seed) and never leaks into training,
however many examples arrive later.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session

from bot import store, tokens
from bot.config import Settings
from bot.text import content_hash
from tuning.dataset_report import Built, Report
from tuning.formats import Formats, Turns
from tuning.providers.base import Rules
from tuning.redact import Redactor

FILES = {
    "sft": "sft.jsonl",
    "dpo": "dpo.jsonl",
    "messages": "messages.jsonl",
    "dpo_trl": "dpo_trl.jsonl",
    "holdout": "holdout.jsonl",
    "report": "report.json",
}
ALL_FORMATS = frozenset({"sft", "dpo", "messages", "dpo_trl", "holdout"})
PROGRESS_EVERY = 2000

OPENAI_MIN_EXAMPLES = 10  # the fine-tuning API refuses smaller files


def rules_for(provider: str, settings: Settings) -> Rules:
    """The training-file rules of a provider, by name (no provider object needed)."""
    if provider == "examples":  # the retrieval index takes any well-formed example
        return Rules(min_examples=1, max_example_tokens=settings.tuning_max_example_tokens)
    minimum = settings.tuning_min_examples
    if provider == "openai":
        minimum = max(minimum, OPENAI_MIN_EXAMPLES)
    return Rules(min_examples=minimum, max_example_tokens=settings.tuning_max_example_tokens)


def holdout_side(key: str, *, seed: int, share: float) -> bool:
    """True when this conversation belongs to the holdout; the same answer in every run."""
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < share * 2**64


@dataclass(frozen=True)
class Incremental:
    """Train on what is new since the parent's snapshot, plus a replay sample of older rows.

    A row is new when its id is above the parent's snapshot, or when it was
    accepted (updated) after the parent's snapshot began, less a small overlap
    for rows that commit a little after their timestamp. Rows of that overlap
    that the parent did read are listed in `seen`, so they are not trained twice.
    """

    after_id: int  # rows with a larger id are new
    since: datetime  # rows updated at or after this are new too (approved later)
    replay_share: float
    seed: str  # makes the replay sample the same on a restart
    seen: frozenset[int] = frozenset()

    def is_new(self, example_id: int, updated_at: datetime) -> bool:
        if example_id > self.after_id:
            return True
        return updated_at >= self.since and example_id not in self.seen


@dataclass
class _Entry:
    """One accepted example after redaction, ready to be written."""

    example_id: int
    source: str
    conversation_key: str
    context: Turns
    answer: str
    rejected: str | None


class Builder:
    """Runs the one streamed pass; `write_*` helpers keep each file's lines in one place."""

    def __init__(
        self,
        settings: Settings,
        *,
        rules: Rules,
        method: str = "supervised",
        formats: Iterable[str] = ALL_FORMATS,
        incremental: Incremental | None = None,
        count_tokens: bool = True,
        recent_since: datetime | None = None,
    ) -> None:
        self.settings = settings
        self.recent_since = recent_since
        self.recent_ids: list[int] = []
        self.rules = rules
        self.method = method
        self.formats = frozenset(formats)
        self.incremental = incremental
        self.count_tokens = count_tokens
        system = settings.voice()
        self.render = Formats(system)
        self.system_tokens = tokens.count(system) + tokens.PER_MESSAGE + tokens.PER_REPLY
        self.redact = Redactor.for_settings(settings, system)
        self.report = Report(
            method=method,
            max_example_tokens=rules.max_example_tokens,
            min_examples=rules.min_examples,
        )
        self.seen: set[int] = set()
        self.sides: dict[str, bool] = {}
        self.reservoir: list[_Entry] = []
        self.replay_seen = 0
        self.random = random.Random(incremental.seed if incremental else settings.tuning_seed)

    # --- one row -----------------------------------------------------------
    def accept(self, row: Sequence[Any]) -> _Entry | None:
        """Redact, dedupe and validate one snapshot row; None when it is dropped."""
        example_id, prompt, answer, rejected, source, key, digest, _updated = row
        self.report.read += 1
        if isinstance(prompt, list):  # someone else's turn (named: `bot.asking`) never trains
            prompt = [t for t in prompt if not isinstance(t, dict) or not t.get("name")]
        problem = self._shape(prompt, answer)
        if problem:
            self.report.drop(problem, example_id)
            return None
        context: Turns = prompt
        texts = [turn["content"] for turn in prompt]
        texts.append(answer)
        if rejected:
            texts.append(rejected)
        if self.redact.may_touch(texts):  # a cheap test first: most rows hold nothing to redact
            context = [{"role": t["role"], "content": self.redact(t["content"])} for t in prompt]
            clean_answer = self.redact(answer)
            clean_rejected = self.redact(rejected) if rejected else None
            if clean_answer != answer or any(
                a["content"] != b["content"] for a, b in zip(context, prompt, strict=True)
            ):  # the stored hash is of the text before redaction
                digest = content_hash(context, clean_answer)
            answer, rejected = clean_answer, clean_rejected
            texts = [*(t["content"] for t in context), answer, rejected or ""]
        if not self._first(digest):
            self.report.drop("duplicate", example_id)
            return None
        if self._too_long(context, texts, answer, rejected):
            self.report.drop("too_long", example_id)
            return None
        return _Entry(example_id, source, key, context, answer, rejected)

    def _shape(self, prompt: Any, answer: Any) -> str | None:
        """Why the row breaks the provider's rules of form, or None."""
        if not isinstance(prompt, list) or not prompt:
            return "no_question"
        roles = self.rules.roles
        for turn in prompt:
            if not isinstance(turn, dict):
                return "bad_role"
            role, content = turn.get("role"), turn.get("content")
            if role not in roles or role == "system":
                return "bad_role"
            if not isinstance(content, str) or not content.strip():
                return "empty"
        if prompt[-1]["role"] != "user":
            return "no_question"
        if not isinstance(answer, str) or not answer.strip():
            return "empty"
        return None

    def _first(self, digest: str) -> bool:
        small = int(digest[:16], 16)  # 64 bits: collisions are negligible at our sizes
        if small in self.seen:
            return False
        self.seen.add(small)
        return True

    def _too_long(
        self, context: Turns, texts: list[str], answer: str, rejected: str | None
    ) -> bool:
        limit = self.rules.max_example_tokens
        framing = self.system_tokens + tokens.PER_MESSAGE * (len(context) + 1)
        # A token is at least one byte, and a character at most four: when that many bytes
        # fit, the tokens fit. Only examples near the limit are counted with tiktoken.
        room = limit - framing
        if 4 * sum(map(len, texts)) <= room or sum(len(t.encode()) for t in texts) <= room:
            return False
        longest = max(len(answer), len(rejected or ""))
        side = answer if len(answer) == longest else (rejected or "")
        return framing + sum(tokens.count(t["content"]) for t in context) + tokens.count(side) > (
            limit
        )

    def tokens_of(self, entry: _Entry) -> int:
        texts = [t["content"] for t in entry.context] + [entry.answer]
        if self.method == "dpo" and entry.rejected:
            texts.append(entry.rejected)
        framing = self.system_tokens + tokens.PER_MESSAGE * (len(entry.context) + 1)
        return framing + sum(tokens.count(t) for t in texts)

    # --- the pass ----------------------------------------------------------
    def build(
        self,
        session: Session,
        folder: Path,
        *,
        upto_id: int,
        progress: Callable[[int], None] | None = None,
    ) -> Built:
        folder.mkdir(parents=True, exist_ok=True)
        files = {kind: folder / FILES[kind] for kind in (*sorted(self.formats), "report")}
        capacity = self._reservoir_capacity(session, upto_id)
        handles: dict[str, TextIO] = {
            k: p.open("w", encoding="utf-8") for k, p in files.items() if k != "report"
        }
        try:
            for n, row in enumerate(store.snapshot_rows(session, upto_id=upto_id), start=1):
                if self.recent_since is not None and row[7] >= self.recent_since:
                    self.recent_ids.append(row[0])
                entry = self.accept(row)
                if entry is not None:
                    self._place(entry, row[7], handles, capacity)
                if progress is not None and n % PROGRESS_EVERY == 0:
                    progress(PROGRESS_EVERY)
            self._replay(handles)
        finally:
            for handle in handles.values():
                handle.close()
        if progress is not None:
            progress(self.report.read % PROGRESS_EVERY)
        self._check()
        self.report.redacted = self.redact.summary()
        files["report"].write_text(
            json.dumps(self.report.to_json(), indent=2, ensure_ascii=False), encoding="utf-8"
        )
        return Built(
            folder=folder,
            files=files,
            report=self.report,
            max_example_id=upto_id,
            recent_ids=self.recent_ids,
        )

    def _reservoir_capacity(self, session: Session, upto_id: int) -> int:
        inc = self.incremental
        if inc is None:
            return 0
        new = store.count_new_examples(
            session, upto_id=upto_id, after_id=inc.after_id, since=inc.since, seen=sorted(inc.seen)
        )
        return max(math.ceil(new * inc.replay_share), self.rules.min_examples)

    def _place(
        self, entry: _Entry, updated_at: datetime, handles: dict[str, TextIO], capacity: int
    ) -> None:
        if self._held_out(entry.conversation_key or f"example:{entry.example_id}"):
            self.report.holdout += 1
            if "holdout" in handles:
                handles["holdout"].write(
                    self.render.holdout(
                        example_id=entry.example_id,
                        source=entry.source,
                        conversation_key=entry.conversation_key,
                        context=entry.context,
                        answer=entry.answer,
                        rejected=entry.rejected,
                    )
                    + "\n"
                )
            return
        if self.method == "dpo" and not entry.rejected:
            return  # only corrections make preference pairs
        inc = self.incremental
        if inc is None or inc.is_new(entry.example_id, updated_at):
            self.report.new += 1 if inc is not None else 0
            self._write(entry, handles)
            return
        self._keep_for_replay(entry, capacity)

    def _held_out(self, key: str) -> bool:
        """`holdout_side`, remembered: a conversation's rows usually sit close together."""
        side = self.sides.get(key)
        if side is None:
            if len(self.sides) > 50_000:
                self.sides.clear()
            side = holdout_side(
                key, seed=self.settings.tuning_seed, share=self.settings.tuning_holdout_share
            )
            self.sides[key] = side
        return side

    def _keep_for_replay(self, entry: _Entry, capacity: int) -> None:
        """Reservoir sampling: every older row has the same chance, in bounded memory."""
        self.replay_seen += 1
        if len(self.reservoir) < capacity:
            self.reservoir.append(entry)
            return
        slot = self.random.randrange(self.replay_seen)
        if slot < capacity:
            self.reservoir[slot] = entry

    def _replay(self, handles: dict[str, TextIO]) -> None:
        inc = self.incremental
        if inc is None or not self.reservoir:
            return
        want = round(self.report.new * inc.replay_share)
        want = max(want, self.rules.min_examples - self.report.new)  # top up to the minimum
        chosen = self.random.sample(self.reservoir, min(want, len(self.reservoir)))
        for entry in sorted(chosen, key=lambda e: e.example_id):
            self.report.replay += 1
            self._write(entry, handles)

    def _write(self, entry: _Entry, handles: dict[str, TextIO]) -> None:
        self.report.train += 1
        if "sft" in handles:
            handles["sft"].write(self.render.sft(entry.context, entry.answer) + "\n")
        if "messages" in handles:
            handles["messages"].write(self.render.messages(entry.context, entry.answer) + "\n")
        if entry.rejected and entry.rejected.strip() != entry.answer.strip():
            self.report.pairs += 1
            for kind, render in (("dpo", self.render.dpo), ("dpo_trl", self.render.dpo_trl)):
                if kind in handles:  # OpenAI's preference shape, and TRL's
                    handles[kind].write(render(entry.context, entry.answer, entry.rejected) + "\n")
        if self.count_tokens and (self.method != "dpo" or entry.rejected):
            self.report.train_tokens += self.tokens_of(entry)

    def _check(self) -> None:
        if self.incremental is not None and self.report.new == 0:
            self.report.problems.append(
                "Nothing new to train on since the active model's run: no accepted examples "
                "arrived. `afina train --full` retrains on everything."
            )
            return
        have = self.report.trained_rows
        need = self.rules.min_examples
        if have < need:
            what = "corrections with the bot's original answer" if self.method == "dpo" else ""
            what = what or "training examples"
            self.report.problems.append(
                f"Too few {what}: {have} after the checks above, the provider needs at "
                f"least {need}. Teach the bot more (👍 / ✏️) or import examples, then retry."
            )


def build_dataset(
    session: Session,
    settings: Settings,
    folder: Path,
    *,
    rules: Rules,
    method: str = "supervised",
    upto_id: int | None = None,
    incremental: Incremental | None = None,
    formats: Iterable[str] = ALL_FORMATS,
    count_tokens: bool = True,
    recent_since: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Built:
    """Write the dataset files for a snapshot (all accepted examples up to `upto_id`)."""
    upto = store.max_example_id(session) if upto_id is None else upto_id
    builder = Builder(
        settings,
        rules=rules,
        method=method,
        formats=formats,
        incremental=incremental,
        count_tokens=count_tokens,
        recent_since=recent_since,
    )
    return builder.build(session, folder, upto_id=upto, progress=progress)


def read_report(folder: Path) -> Report:
    data = json.loads((folder / FILES["report"]).read_text(encoding="utf-8"))
    return Report(**data)
