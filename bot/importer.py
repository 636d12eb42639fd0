"""Bringing existing answers in: OpenAI chat JSONL or a `question,answer` CSV.

Good lines are imported, bad ones are reported by line number and skipped;
duplicates of what is already stored are counted, not stored twice.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot import store
from bot.errors import BadInput
from bot.tables import ExampleSource, ExampleStatus
from bot.text import clean_message

MAX_CHARS = 32_000
ROLES = {"system", "user", "assistant"}


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


Pair = tuple[int, list[dict[str, Any]], str]  # line number, context turns, answer


def read_file(path: Path) -> Iterator[Pair | tuple[int, str]]:
    """Yield (line, context, answer) for good rows and (line, reason) for bad ones."""
    if not path.is_file():
        raise BadInput(f"{path} is not a file.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text.") from None
    if path.suffix.lower() == ".csv":
        yield from _csv_rows(text)
    elif path.suffix.lower() in {".jsonl", ".json", ".ndjson"}:
        yield from _jsonl_rows(text)
    else:
        raise BadInput(
            f"{path.name}: use a .jsonl (OpenAI chat format) or .csv (question,answer) file."
        )


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


def _csv_rows(text: str) -> Iterator[Pair | tuple[int, str]]:
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if number == 1 and [c.strip().lower() for c in row[:2]] == ["question", "answer"]:
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            yield number, "expected two non-empty columns: question,answer"
            continue
        yield number, [{"role": "user", "content": _clean(row[0])}], _clean(row[1])


def _clean(text: str) -> str:
    return clean_message(text, max_chars=MAX_CHARS).text


def import_pairs(
    session: Session,
    rows: Iterable[Pair | tuple[int, str]],
    *,
    source: ExampleSource = ExampleSource.imported,
    created_by: str = "import",
) -> ImportReport:
    report = ImportReport()
    for row in rows:
        if len(row) == 2:
            report.errors.append((row[0], row[1]))
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
        if store.find_example_by_hash(session, digest=example.content_hash) is not None:
            report.duplicates += 1
            continue
        store.save_example(session, example)
        report.imported += 1
    return report


def demo_rows() -> Iterator[Pair]:
    from bot.demo import demo_examples

    for number, pair in enumerate(demo_examples(), start=1):
        yield number, [{"role": "user", "content": pair["question"]}], pair["answer"]
