"""A clean start, the demo on request, and every lesson visible and undoable from the CLI."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db import make_engine
from bot.tables import Example, ExampleSource, ExampleStatus
from tests.support.cli import run

README = Path(__file__).resolve().parent.parent / "README.md"


def examples(url: str) -> list[Example]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = list(session.exec(select(Example).order_by(Example.id)).all())  # type: ignore[arg-type]
    engine.dispose()
    return found


def test_a_new_database_is_never_seeded(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    answer = run(capsys, "ask", "How much is shipping?")
    assert answer.code == 0
    assert "don't know" in answer.out and "35" not in answer.out
    assert examples(database_url) == []


def test_the_demo_loads_when_asked_and_leaves_when_told(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    loaded = run(capsys, "demo")
    assert loaded.code == 0, loaded.err
    assert re.search(r"Loaded \d+ demo examples", loaded.out)
    assert "€3.95" in run(capsys, "ask", "How much is shipping?").out
    removed = run(capsys, "demo", "--remove")
    assert removed.code == 0 and "demo examples out" in removed.out
    demo = [e for e in examples(database_url) if e.source == ExampleSource.demo]
    assert demo and {e.status for e in demo} == {ExampleStatus.rejected}
    assert "don't know" in run(capsys, "ask", "How much is shipping?").out
    assert re.search(r"Loaded [1-9]\d* demo examples", run(capsys, "demo").out)
    assert "€3.95" in run(capsys, "ask", "How much is shipping?").out


def test_the_demo_offer_never_waits_without_a_terminal(database_url: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("afina")), "demo", "--offer"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "`afina demo` loads a demo shop" in done.stdout
    assert examples(database_url) == []


def test_show_edit_and_delete_an_example(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    reply = run(capsys, "ask", "--json", "Do you rent bikes?").json()["reply_id"]
    run(capsys, "feedback", str(reply), "--fix", "Yes: €15 a day.")
    (example,) = examples(database_url)
    shown = run(capsys, "examples", "show", str(example.id))
    assert shown.code == 0, shown.err
    assert "Q: Do you rent bikes?" in shown.out and "A: Yes: €15 a day." in shown.out
    assert "accepted" in shown.out and "console:" in shown.out

    edited = run(capsys, "examples", "edit", str(example.id), "--answer", "Yes: €18 a day.")
    assert edited.code == 0, edited.err
    assert "«Do you rent bikes?» now answers: Yes: €18 a day." in edited.out
    assert "€18" in run(capsys, "ask", "Do you rent bikes?").out

    gone = run(capsys, "examples", "delete", str(example.id))
    assert gone.code == 0 and "taken back" in gone.out
    assert "don't know" in run(capsys, "ask", "Do you rent bikes?").out
    (after,) = examples(database_url)
    assert after.status == ExampleStatus.rejected and after.reviewed_by
    assert "rejected" in run(capsys, "examples", "--status", "rejected").out
    missing = run(capsys, "examples", "show", "999")
    assert missing.code == 1 and "No example with id 999" in missing.err


def test_review_rejects_an_accepted_example_too(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    reply = run(capsys, "ask", "--json", "Do you rent bikes?").json()["reply_id"]
    run(capsys, "feedback", str(reply), "--fix", "Yes: €15 a day.")
    (example,) = examples(database_url)
    rejected = run(capsys, "review", "--reject", str(example.id))
    assert rejected.code == 0, rejected.err
    assert f"#{example.id} «Do you rent bikes?» rejected" in rejected.out
    assert examples(database_url)[0].status == ExampleStatus.rejected


def test_conflicting_answers_to_one_question_are_listed(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    sheet = tmp_path / "faq.csv"
    sheet.write_text(
        "question,answer\n¿Hacéis envíos a Baleares?,Sí: 12 €.\n"
        "¿Hacéis envíos a Canarias?,No.\nhaceis envios a baleares??,No enviamos a islas.\n",
        encoding="utf-8",
    )
    assert run(capsys, "import", str(sheet)).code == 0
    listed = run(capsys, "review", "--conflicts")
    assert listed.code == 0, listed.err
    assert "1 conflicting pairs" in listed.out
    assert "Sí: 12 €." in listed.out and "No enviamos a islas." in listed.out
    assert "Canarias" not in listed.out


def test_the_readme_loop_works_as_written(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    """The README's loop, verbatim, on a fresh database: its `feedback` line corrects the
    reply number that the `ask` line before it printed."""
    block = README.read_text(encoding="utf-8").split("## The loop, offline, in four commands")[1]
    code = block.split("```sh")[1].split("```")[0]
    commands = [
        part.strip()
        for line in code.splitlines()
        if line.strip()
        for part in line.split("  # ")[0].split("&&")
    ]
    assert len(commands) == 5
    printed = ""
    for command in commands:
        args = shlex.split(command)
        assert args[0] == "afina"
        if args[1] == "feedback":
            assert re.findall(r"reply #(\d+)", printed)[-1] == args[2]
        result = run(capsys, *args[1:])
        assert result.code == 0, (command, result.err)
        printed = result.out
        if command.startswith('afina ask "¿'):
            assert "Zorblat Club is our free loyalty club" in printed
    assert "*" in printed  # `afina models`: the new version is the active one
