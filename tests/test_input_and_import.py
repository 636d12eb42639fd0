"""Bad input gets a clear message and leaves stored data intact; imports report bad lines."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from bot.db import make_engine, session_scope
from bot.messages import Incoming
from bot.tables import Example, Message, ModelVersion
from tests.support.cli import run


def count(url: str, model: type) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        n = session.exec(select(func.count()).select_from(model)).one()
    engine.dispose()
    return int(n)


def test_control_characters_are_stripped(core: Any) -> None:
    reply = core.responder.answer(
        Incoming(channel="console", chat_id="c", user_id="ana", text="\x1b[31mhola\x00 ¿envío?\x07")
    )
    with Session(core.engine) as session:
        stored = session.exec(select(Message).where(Message.role == "user")).one()
    assert stored.text == "[31mhola ¿envío?"
    assert reply.reply_id


def test_long_message_is_truncated_with_a_notice(make_settings: Any) -> None:
    from bot.app import build_core

    core = build_core(make_settings(max_message_chars=100))
    reply = core.responder.answer(
        Incoming(channel="console", chat_id="c", user_id="a", text="x " * 500)
    )
    assert reply.notice and "100 characters" in reply.notice
    with Session(core.engine) as session:
        stored = session.exec(select(Message).where(Message.role == "user")).one()
    assert len(stored.text) <= 100
    core.engine.dispose()


def test_import_jsonl_reports_bad_lines_and_keeps_good(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    good = {
        "messages": [
            {"role": "system", "content": "be nice"},
            {"role": "user", "content": "Do you sell gift cards?"},
            {"role": "assistant", "content": "Yes! 20, 35 or 50 €."},
        ]
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"messages": [{"role": "user", "content": "only a question"}]}),
        json.dumps({"messages": [{"role": "robot", "content": "x"}]}),
        "",
        json.dumps(good),  # duplicate of line 1
    ]
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run(capsys, "import", str(path))
    assert result.code == 0, result.err
    assert "faq.jsonl:2: skipped: not valid JSON" in result.out
    assert "faq.jsonl:3: skipped" in result.out and "faq.jsonl:4: skipped" in result.out
    assert "1 already known; 3 lines skipped." in result.out
    assert "20, 35 or 50" in run(capsys, "ask", "do you sell gift cards").out


def test_import_csv_and_broken_file(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        'question,answer\n"Is it vegan?","100 % vegan."\nonly one column\n', encoding="utf-8"
    )
    result = run(capsys, "import", str(path))
    assert "Imported 1 examples" in result.out and "faq.csv:3: skipped" in result.out

    before = count(database_url, Example)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"\xff\xfe\x00garbage")
    bad = run(capsys, "import", str(broken))
    assert bad.code == 1 and "not UTF-8" in bad.err
    missing = run(capsys, "import", str(tmp_path / "nope.csv"))
    assert missing.code == 1 and "is not a file" in missing.err
    assert count(database_url, Example) == before


def test_switching_version_takes_effect_without_restart(core: Any) -> None:
    from bot import store

    def ask() -> Any:
        return core.responder.answer(
            Incoming(channel="console", chat_id="c", user_id="a", text="hi")
        )

    assert ask().model_id == "examples"
    with session_scope(core.engine) as session:
        store.add_version(
            session, ModelVersion(provider="examples", model_id="examples-v7"), activate=True
        )
    assert ask().model_id == "examples-v7"


def test_console_chat_teaches_with_slash_commands(core: Any) -> None:
    from bot.channels.console import ConsoleChat

    out: list[str] = []
    chat = ConsoleChat(core=core, user="ana", write=out.append)
    for line in [
        "/good",
        "What is the zorblat club?",
        "/fix Our loyalty club 🌱",
        "/new",
        "tell me about the zorblat club",
        "/bogus",
    ]:
        assert chat.handle(line)
    assert not chat.handle("/quit")
    text = "\n".join(out)
    assert "Nothing to rate yet" in text
    assert "learned" in text
    assert re.search(
        r"afina › (If you mean “What is the zorblat club\?”: )?Our loyalty club 🌱", text
    )
    assert "Unknown command /bogus" in text
