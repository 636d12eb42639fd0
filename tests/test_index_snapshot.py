"""The index snapshot under AFINA_HOME: a quick start that never hides a change.

Each `Knowledge` here is what one process holds; lessons are added and taken back
through the CLI, as a reviewer would, between one process and the next.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db import make_engine
from bot.embeddings import LocalE5
from bot.example_table import ExampleTable, columns
from bot.index_snapshot import MAGIC, path_for
from bot.knowledge import Knowledge
from bot.tables import Example
from bot.vectors import ExampleTexts
from tests.support.cli import run


def faq(tmp_path: Path, name: str, rows: list[tuple[str, str]]) -> str:
    path = tmp_path / name
    path.write_text("question,answer\n" + "".join(f"{q},{a}\n" for q, a in rows))
    return str(path)


def process(database_url: str, snapshot: Path) -> Knowledge:
    """A new process's knowledge, after its first look (as before its first answer)."""
    knowledge = Knowledge(make_engine(database_url), snapshot=snapshot, snapshot_min=1)
    knowledge.refresh()
    return knowledge


def best(knowledge: Knowledge, question: str) -> str | None:
    found = knowledge.closest(question, k=1, min_score=0.3)
    return found[0].answer if found else None


def example_id(database_url: str, answer: str) -> int:
    with Session(make_engine(database_url)) as session:
        return session.exec(select(Example.id).where(Example.answer == answer)).one() or 0


@pytest.fixture
def snapshot(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("EMBEDDINGS_BACKEND", "none")  # words only: this is about the file
    return path_for(tmp_path / "home", database_url, None)


def test_the_next_process_starts_from_the_snapshot_and_sees_every_change_since(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
    snapshot: Path,
) -> None:
    path = snapshot
    first = [("Do you ship to Italy?", "Yes in 3 days."), ("Do you sell maps?", "No maps.")]
    assert run(capsys, "import", faq(tmp_path, "a.csv", first)).code == 0
    process(database_url, path)
    assert path.is_file()
    saved = path.stat().st_mtime_ns

    # Between the two processes: a new lesson, and one taken back.
    later = [("Do you repair tents?", "Tent repairs take a week.")]
    assert run(capsys, "import", faq(tmp_path, "b.csv", later)).code == 0
    taken_back = example_id(database_url, "No maps.")
    assert run(capsys, "examples", "delete", str(taken_back)).code == 0

    second = process(database_url, path)
    assert path.stat().st_mtime_ns == saved  # started from the file, not from every row
    assert best(second, "Do you repair tents?") == "Tent repairs take a week."
    assert best(second, "Do you sell maps?") is None
    assert best(second, "Do you ship to Italy?") == "Yes in 3 days."


def test_a_new_database_at_the_same_place_is_read_afresh(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
    snapshot: Path,
) -> None:
    path = snapshot
    if not database_url.startswith("sqlite"):
        pytest.skip("replacing the database file is a SQLite story")
    assert run(capsys, "import", faq(tmp_path, "a.csv", [("Do you sell maps?", "No.")])).code == 0
    process(database_url, path)
    Path(database_url.removeprefix("sqlite:///")).unlink()
    rows = [("Do you rent kayaks?", "Yes from 9 to 5.")]
    assert run(capsys, "import", faq(tmp_path, "b.csv", rows)).code == 0

    fresh = process(database_url, path)
    assert best(fresh, "Do you sell maps?") != "No."
    assert best(fresh, "Do you rent kayaks?") == "Yes from 9 to 5."


def test_a_torn_snapshot_is_no_snapshot(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
    snapshot: Path,
) -> None:
    path = snapshot
    assert run(capsys, "import", faq(tmp_path, "a.csv", [("Do you sell maps?", "No.")])).code == 0
    process(database_url, path)
    path.write_bytes(path.read_bytes()[:100])
    assert best(process(database_url, path), "Do you sell maps?") == "No."
    assert path.stat().st_size > 100  # read afresh, and saved again


def test_with_vectors_the_arrays_are_mapped_from_the_file_and_changes_still_count(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EMBEDDINGS_BACKEND", "local")
    embedder = LocalE5()
    path = path_for(tmp_path / "home", database_url, embedder.tag)
    rows = [
        ("Do you ship to Italy?", "Yes in 3 days."),
        ("Can I pay with a gift card?", "Gift cards work at checkout."),
    ]
    assert run(capsys, "import", faq(tmp_path, "a.csv", rows)).code == 0
    first = Knowledge(make_engine(database_url), embedder, snapshot=path, snapshot_min=1)
    first.refresh()
    assert len(first.dense) == 2 and path.is_file()
    saved = path.stat().st_mtime_ns

    corrected = example_id(database_url, "Yes in 3 days.")
    assert run(capsys, "examples", "edit", str(corrected), "--answer", "Italy: 2 days.").code == 0
    later = Knowledge(make_engine(database_url), embedder, snapshot=path, snapshot_min=1)
    later.refresh()
    assert path.stat().st_mtime_ns == saved  # started from the file
    assert not later.index.keys.flags.owndata  # a view of the mapped file, not a copy
    assert best(later, "Do you deliver to Italy?") == "Italy: 2 days."
    assert best(later, "could I use a gift voucher to pay") == "Gift cards work at checkout."
    assert (
        run(capsys, "import", faq(tmp_path, "b.csv", [("Do you rent kayaks?", "Yes.")])).code == 0
    )
    later.refresh()  # rows added to arrays that came from the file (copy-on-write)
    assert best(later, "Do you rent kayaks?") == "Yes."
    assert path.stat().st_mtime_ns == saved  # ...and the file itself untouched


def test_a_snapshot_in_an_older_format_is_read_past_without_a_warning(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    database_url: str,
    tmp_path: Path,
    snapshot: Path,
) -> None:
    assert run(capsys, "import", faq(tmp_path, "a.csv", [("Do you sell maps?", "No.")])).code == 0
    snapshot.parent.mkdir(parents=True)
    snapshot.write_bytes(pickle.dumps({"format": 3, "examples": {}}))
    with caplog.at_level(logging.WARNING):
        assert best(process(database_url, snapshot), "Do you sell maps?") == "No."
    assert not caplog.records
    assert snapshot.read_bytes().startswith(MAGIC)  # saved again, in today's format


def test_the_examples_kept_as_columns_read_back_as_they_were_saved() -> None:
    saved = {
        1: ExampleTexts(1, "¿Envíos a Canarias?", "Sí, en 5 días 🌿", ("¿Enviáis a Canarias?",)),
        2: ExampleTexts(2, "Do you sell maps?", "", ()),
        3: ExampleTexts(3, "Gift cards?", "Yes: ✅ at checkout — 10 € and up.", ()),
    }
    table = ExampleTable(columns(saved))
    assert dict(table) == saved and len(table) == 3 and 2 in table
    table[2] = ExampleTexts(2, "Do you sell maps?", "No maps.", ())  # a correction
    table[4] = ExampleTexts(4, "New?", "Yes.", ())  # a new lesson
    del table[1]  # one taken back
    assert 1 not in table and table.get(1) is None
    assert [table[key].answer for key in table] == [
        "No maps.",
        "Yes: ✅ at checkout — 10 € and up.",
        "Yes.",
    ]
