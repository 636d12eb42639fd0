"""Importing the files people have: Spanish Excel CSV, FAQ pages, dry runs, batches and undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db import make_engine
from bot.tables import Example, ExampleStatus, ImportBatch
from tests.support.cli import run


def examples(url: str) -> list[Example]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = list(session.exec(select(Example).order_by(Example.id)).all())  # type: ignore[arg-type]
    engine.dispose()
    return found


def test_a_semicolon_csv_from_excel_imports_questions_and_answers(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    sheet = tmp_path / "faq.csv"
    sheet.write_text(
        "Pregunta;Respuesta\n¿Enviáis a Italia?;Sí, en 3–5 días\n¿Abrís los domingos?;No\n",
        encoding="utf-8-sig",
    )
    result = run(capsys, "import", str(sheet))
    assert result.code == 0, result.err
    assert "Imported 2 examples as batch #1" in result.out
    assert "afina import --undo 1" in result.out
    rows = examples(database_url)
    assert [(e.question, e.answer) for e in rows] == [
        ("¿Enviáis a Italia?", "Sí, en 3–5 días"),
        ("¿Abrís los domingos?", "No"),
    ]
    assert {e.import_batch_id for e in rows} == {1}
    assert run(capsys, "ask", "enviais a italia?").out.count("3–5 días") == 1  # live at once


def test_a_csv_whose_columns_are_not_questions_and_answers_is_refused(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    sheet = tmp_path / "contacts.csv"
    sheet.write_text("name,email,phone\nAna,ana@example.com,600000000\n", encoding="utf-8")
    result = run(capsys, "import", str(sheet))
    assert result.code == 1
    assert result.err.strip().count("\n") == 0  # one line
    assert "(name, email, phone) are not a question and an answer" in result.err
    assert examples(database_url) == []


def test_a_markdown_faq_and_bad_entries_reported_by_line(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    page = tmp_path / "faq.md"
    page.write_text(
        "# Preguntas frecuentes\n\n## ¿Hacéis envíos a Canarias?\nSí, en 5–7 días.\n\n"
        "## ¿Tenéis tienda?\n\n## Do you rent bikes?\nYes, €15 a day.\n",
        encoding="utf-8",
    )
    result = run(capsys, "import", str(page))
    assert result.code == 0, result.err
    assert "faq.md:6: skipped: the question '¿Tenéis tienda?' has no answer" in result.out
    assert [e.question for e in examples(database_url)] == [
        "¿Hacéis envíos a Canarias?",
        "Do you rent bikes?",
    ]


def test_q_and_a_lines_in_a_text_file(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    page = tmp_path / "faq.txt"
    page.write_text(
        "Q: Do you ship to Italy?\nA: Yes, 3–5 days.\nTracking by email.\n\n"
        "Pregunta: ¿Abrís en agosto?\nRespuesta: Solo por las mañanas.\n",
        encoding="utf-8",
    )
    assert run(capsys, "import", str(page)).code == 0
    assert [(e.question, e.answer) for e in examples(database_url)] == [
        ("Do you ship to Italy?", "Yes, 3–5 days.\nTracking by email."),
        ("¿Abrís en agosto?", "Solo por las mañanas."),
    ]


def test_a_dry_run_shows_what_would_come_in_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    sheet = tmp_path / "faq.csv"
    sheet.write_text("question,answer\nDo you ship to Italy?,Yes\n,no question\n", encoding="utf-8")
    result = run(capsys, "import", "--dry-run", str(sheet))
    assert result.code == 0, result.err
    assert "+ Q: Do you ship to Italy?" in result.out
    assert "faq.csv:3: skipped" in result.out
    assert "Would import 1 examples" in result.out and "Nothing was stored" in result.out
    assert examples(database_url) == []
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert session.exec(select(ImportBatch)).all() == []
    engine.dispose()


def test_an_import_is_undone_as_a_batch(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    first = tmp_path / "one.csv"
    first.write_text("question,answer\nDo you ship to Italy?,Yes: 3–5 days.\n", encoding="utf-8")
    second = tmp_path / "two.csv"
    second.write_text("question,answer\nDo you rent bikes?,Yes: €15 a day.\n", encoding="utf-8")
    assert run(capsys, "import", str(first)).code == 0
    assert run(capsys, "import", str(second)).code == 0
    assert "3–5 days" in run(capsys, "ask", "Do you ship to Italy?").out

    undone = run(capsys, "import", "--undo", "1")
    assert undone.code == 0, undone.err
    assert "1 examples taken out" in undone.out
    statuses = {e.question: e.status for e in examples(database_url)}
    assert statuses == {
        "Do you ship to Italy?": ExampleStatus.rejected,
        "Do you rent bikes?": ExampleStatus.accepted,
    }
    assert "3–5 days" not in run(capsys, "ask", "Do you ship to Italy?").out
    listed = run(capsys, "import", "--batches")
    assert "#1 one.csv · 1 examples" in listed.out and "undone by console:" in listed.out
    assert "#2 two.csv" in listed.out
    again = run(capsys, "import", "--undo", "1")
    assert again.code == 1 and "already undone" in again.err
