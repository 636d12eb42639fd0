"""Issue 12's "done when", as a person does it on a fresh database, through `make run`'s path.

`make run` (scripts/run) with no channel configured runs `afina demo --offer` and
then `afina chat`: the same two commands here, as processes, with the chat's
lines piped in. Teach a fact with `/fix`, ask it in other words and in the
other language, ask a near miss, then take the lesson back with
`afina examples delete` and ask again. The real bundled embedder answers.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import AFINA

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "run"
ANSWER = "Yes: balance bikes from 2 years old, and 16 to 24 inch bikes up to 12, from 149 euros."
DONT_KNOW = ("I don't know that one yet", "Eso todavía no lo sé")


def afina(env: dict[str, str], *args: str, lines: list[str] | None = None) -> str:
    done = subprocess.run(
        [AFINA, *args],
        env=env,
        input="".join(f"{line}\n" for line in lines or []),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def answers(chat_output: str) -> list[str]:
    """What the bot said, one entry per question, as the terminal shows it."""
    return [part.strip() for part in re.findall(r"afina › (.*)", chat_output)]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh clone's settings: nothing but a home of its own (default SQLite, offline)."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AFINA", "DATABASE"))}
    keep = {k: v for k, v in keep.items() if k not in {"EMBEDDINGS_BACKEND", "MODEL_BACKEND"}}
    return keep | {"AFINA_HOME": str(tmp_path / "home")}


def test_teach_in_the_chat_then_other_words_other_language_a_near_miss_and_take_it_back(
    env: dict[str, str],
) -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    assert "afina demo --offer" in script and "exec .venv/bin/afina chat" in script

    offered = afina(env, "demo", "--offer")  # no terminal: a hint, and nothing loaded
    assert "afina demo" in offered

    said = afina(
        env,
        "chat",
        lines=[
            "Do you sell kids' bikes?",
            f"/fix {ANSWER}",
            "/new",
            "Have you got bikes for children?",
            "/new",
            "¿Vendéis bicis para niños?",
            "/new",
            "Do you sell child seats for bikes?",
            "/quit",
        ],
    )
    first, other_words, other_language, near_miss = answers(said)
    assert first.startswith(DONT_KNOW)  # a fresh database knows nothing, and says so
    [taught] = re.findall(r"learned #(\d+) «Do you sell kids' bikes\?»", said)
    assert other_words == ANSWER
    assert other_language == ANSWER
    assert near_miss.startswith(DONT_KNOW)

    afina(env, "examples", "delete", taught)
    [after] = answers(afina(env, "chat", lines=["Have you got bikes for children?", "/quit"]))
    assert after.startswith(DONT_KNOW)
