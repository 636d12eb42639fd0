"""Reading the files people already have: spreadsheets saved as CSV, and FAQ pages.

- CSV with `,`, `;` (Excel in Spain) or tabs, sniffed from the first lines. A
  header row names the columns (`question`/`answer`, `pregunta`/`respuesta`, in
  any case, with or without accents); without one, rows of two cells whose first
  cell reads like a question are pairs. Anything else is refused with one line
  that says what the columns look like, before a single row is stored.
- Markdown or text FAQs: `## question` headings with the answer below, or
  `Q:` / `A:` lines (also `P:`/`R:`, `Pregunta:`/`Respuesta:`).

Rows come out as `(line, context turns, answer)` for good ones and
`(line, reason)` for bad ones, in file order, so they can be reported as met.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from bot.errors import BadInput
from bot.text import fold

Pair = tuple[int, list[dict[str, Any]], str]  # line number, context turns, answer
Bad = tuple[int, str]
Row = Pair | Bad

QUESTION_NAMES = {"question", "questions", "pregunta", "preguntas", "q", "p", "prompt"}
ANSWER_NAMES = {"answer", "answers", "respuesta", "respuestas", "a", "r", "response", "reply"}
DELIMITERS = ",;\t"


def _pair(number: int, question: str, answer: str) -> Pair:
    return number, [{"role": "user", "content": question}], answer


def _looks_like_question(cell: str) -> bool:
    return "?" in cell or "¿" in cell


def _dialect(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:  # one column, or too little to tell: count on the first line
        first = text.splitlines()[0] if text.strip() else ""
        return max(DELIMITERS, key=first.count)


def csv_rows(text: str, name: str) -> Iterator[Row]:
    """Question/answer pairs from CSV text; `BadInput` when its columns are not Q and A."""
    delimiter = _dialect(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise BadInput(f"{name} is empty.")
    header = [fold(cell.strip()) for cell in rows[0][1]]
    q_col = next((i for i, cell in enumerate(header) if cell in QUESTION_NAMES), None)
    a_col = next((i for i, cell in enumerate(header) if cell in ANSWER_NAMES), None)
    body = rows[1:]
    if q_col is None or a_col is None:
        pairs = [row for _, row in rows if len(row) >= 2]
        questions = sum(_looks_like_question(row[0]) for row in pairs)
        if len(pairs) < len(rows) or questions * 2 < len(rows):
            columns = ", ".join(cell.strip()[:30] for cell in rows[0][1]) or "(none)"
            raise BadInput(
                f"{name}: its columns ({columns}) are not a question and an answer; "
                "name them in the first row: question,answer (or pregunta;respuesta)."
            )
        q_col, a_col, body = 0, 1, rows
    for number, row in body:
        question = row[q_col].strip() if q_col < len(row) else ""
        answer = row[a_col].strip() if a_col < len(row) else ""
        if not question or not answer:
            yield number, "expected a question and an answer"
            continue
        yield _pair(number, question, answer)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_QA_LINE = re.compile(
    r"^\s*(?:\*\*)?(q|p|question|pregunta|a|r|answer|respuesta)\s*[:.)-]\s*(?:\*\*)?\s*(.*)$",
    re.IGNORECASE,
)
_QUESTION_TAGS = {"q", "p", "question", "pregunta"}


def faq_rows(text: str, name: str) -> Iterator[Row]:
    """Pairs from a Markdown FAQ (`## question`) or `Q:` / `A:` lines."""
    lines = text.splitlines()
    if any(_tag(line) in _QUESTION_TAGS for line in lines):
        yield from _qa_lines(lines)
    elif any(_heading_level(line) >= 2 for line in lines):
        yield from _headings(lines)
    else:
        raise BadInput(
            f"{name}: found no questions; write each as a `## question` heading with the "
            "answer below it, or as `Q:` / `A:` lines."
        )


def _tag(line: str) -> str:
    match = _QA_LINE.match(line)
    return fold(match.group(1)) if match else ""


def _heading_level(line: str) -> int:
    match = _HEADING.match(line)
    return len(match.group(1)) if match else 0


def _headings(lines: list[str]) -> Iterator[Row]:
    question, start = "", 0
    answer: list[str] = []
    for number, line in enumerate([*lines, "## "], start=1):
        level = _heading_level(line)
        if level:
            if question:
                yield _finish(start, question, answer)
            match = _HEADING.match(line)
            heading = match.group(2).strip() if match else ""
            # A top-level heading is the page's title, not a question.
            question, start, answer = (heading, number, []) if level >= 2 else ("", 0, [])
        elif question:
            answer.append(line)


def _qa_lines(lines: list[str]) -> Iterator[Row]:
    question, start = "", 0
    answer: list[str] | None = None
    for number, line in enumerate([*lines, "Q: "], start=1):
        tag = _tag(line)
        match = _QA_LINE.match(line)
        rest = match.group(2).strip() if match else ""
        if tag in _QUESTION_TAGS:
            if question:
                yield _finish(start, question, answer or [])
            question, start, answer = rest, number, None
        elif tag:
            if not question or answer is not None:
                yield number, "an answer with no question before it"
            else:
                answer = [rest]
        elif answer is not None:
            answer.append(line)
        elif question and line.strip():
            question = f"{question} {line.strip()}"  # a question over two lines


def _finish(number: int, question: str, answer: list[str]) -> Row:
    text = "\n".join(answer).strip()
    if not text:
        return number, f"the question {question[:60]!r} has no answer"
    return _pair(number, question, text)
