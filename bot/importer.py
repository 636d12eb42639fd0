"""Bringing existing answers in: OpenAI chat JSONL, CSV, or a Markdown / text FAQ.

Good lines are imported, bad ones are reported by line number as they are met
and skipped; duplicates of what is already stored are counted, not stored twice.
Every import is a batch (`importbatch`): it goes live at once, and
`afina import --undo BATCH` takes all of it out again. The new examples are
embedded in the same go, so no answering process has to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot import store, vectors
from bot.embeddings import Embedder
from bot.errors import BadInput
from bot.faq_import import Pair, csv_rows, faq_rows
from bot.tables import Example, ExampleSource, ExampleStatus, ImportBatch, utcnow
from bot.text import clean_message

MAX_CHARS = 32_000
ROLES = {"system", "user", "assistant"}


FAQ_SUFFIXES = {".md", ".markdown", ".txt", ".text"}


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)  # new (or, dry, would-be) ones
    batch_id: int | None = None


def read_file(path: Path) -> Iterator[Pair | tuple[int, str]]:
    """Yield (line, context, answer) for good rows and (line, reason) for bad ones."""
    if not path.is_file():
        raise BadInput(f"{path} is not a file.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text.") from None
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv"}:
        rows: Iterable[Pair | tuple[int, str]] = list(csv_rows(text, path.name))  # refuse first
    elif suffix in {".jsonl", ".json", ".ndjson"}:
        rows = _jsonl_rows(text)
    elif suffix in FAQ_SUFFIXES:
        rows = list(faq_rows(text, path.name))
    else:
        raise BadInput(
            f"{path.name}: use a .csv (question,answer), a Markdown or text FAQ (.md, .txt) "
            "or a .jsonl (OpenAI chat format) file."
        )
    for row in rows:
        yield row if len(row) == 2 else (row[0], _clean_turns(row[1]), _clean(row[2]))


def _jsonl_rows(text: str) -> Iterator[Pair | tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON ({exc.msg})"
            continue
        yield _from_messages(number, record)


def _from_messages(number: int, record: Any) -> Pair | tuple[int, str]:
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list) or not messages:
        return number, 'expected an object with a "messages" list'
    turns: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return number, "every message needs a role of system, user or assistant"
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            return number, f"a {message.get('role')} message has no text content"
        if message["role"] != "system":
            turns.append({"role": message["role"], "content": _clean(content)})
    if len(turns) < 2 or turns[-1]["role"] != "assistant" or turns[-2]["role"] != "user":
        return number, "the conversation must end with a user message and the assistant's answer"
    return number, turns[:-1], turns[-1]["content"]


def _clean_turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**turn, "content": _clean(str(turn["content"]))} for turn in turns]


def _clean(text: str) -> str:
    return clean_message(text, max_chars=MAX_CHARS).text


def import_pairs(
    session: Session,
    rows: Iterable[Pair | tuple[int, str]],
    *,
    source: ExampleSource = ExampleSource.imported,
    created_by: str = "import",
    batch_name: str | None = None,
    embedder: Embedder | None = None,
    dry_run: bool = False,
    on_error: Callable[[int, str], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store the good rows as accepted examples of one batch (nothing stored when `dry_run`).

    `on_error(line, reason)` hears of each bad line as it is met; `progress(n)` of
    each `n` rows read and, with an `embedder`, of each `n` examples embedded.
    """
    report = ImportReport()
    batch = None
    if not dry_run:
        batch = store.add_import_batch(
            session, ImportBatch(name=(batch_name or created_by)[:255], created_by=created_by)
        )
        report.batch_id = batch.id
    seen: set[str] = set()
    for row in rows:
        if progress is not None:
            progress(1)
        if len(row) == 2:
            report.errors.append((row[0], row[1]))
            if on_error is not None:
                on_error(row[0], row[1])
            continue
        number, context, answer = row
        example = store.new_example(
            prompt=context,
            answer=answer,
            source=source,
            status=ExampleStatus.accepted,
            conversation_key=f"{created_by}:{number}",
            created_by=created_by,
            reviewed_by=created_by,
        )
        existing = store.find_example_by_hash(session, digest=example.content_hash)
        if example.content_hash in seen or (existing is not None and not _revive(existing)):
            report.duplicates += 1
            continue
        seen.add(example.content_hash)
        if existing is not None:  # a demo example taken out by `afina demo --remove`
            example = existing
        if not dry_run:
            example.status = ExampleStatus.accepted
            example.import_batch_id = batch.id if batch else None
            store.save_example(session, example)
        report.examples.append(example)
        report.imported += 1
    if batch is not None:
        batch.imported = report.imported
        session.add(batch)
        session.flush()
        if embedder is not None and report.examples:
            texts = [vectors.ExampleTexts(e.id or 0, e.question, e.answer) for e in report.examples]
            vectors.store_vectors(session.connection(), embedder, texts, progress=progress)
    return report


def _revive(existing: Example) -> bool:
    """Loading the demo again brings back the demo examples `--remove` took out."""
    return existing.source == ExampleSource.demo and existing.status == ExampleStatus.rejected


def undo_batch(session: Session, *, batch_id: int, by: str) -> int:
    """Take every example of an import out of use (kept as rejected); how many went."""
    batch = store.get_import_batch(session, batch_id=batch_id)
    if batch.undone_at is not None:
        raise BadInput(f"Import batch {batch_id} was already undone by {batch.undone_by}.")
    ids = [e.id or 0 for e in store.examples_of_batch(session, batch_id=batch_id)]
    taken = store.retire_examples(session, example_ids=ids, by=by, status=ExampleStatus.rejected)
    batch.undone_by, batch.undone_at = by, utcnow()
    session.add(batch)
    session.flush()
    return taken


def demo_rows() -> Iterator[Pair]:
    from bot.demo import demo_examples

    for number, pair in enumerate(demo_examples(), start=1):
        yield number, [{"role": "user", "content": pair["question"]}], pair["answer"]
