"""Commands given something they cannot use: one clear line, a non-zero exit, no traceback.

Each case runs the real `afina` process, as a person types it: Slack's API out of
reach at start, an answer id no database can hold, an empty `--user`, a train
with a provider whose key is missing. And a search for `%` or `_` finds those
characters, not everything.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from bot import store
from bot.app import build_core
from bot.config import Settings
from bot.db import session_scope
from bot.messages import Incoming
from bot.tables import Feedback
from tests.support.cli import run
from tests.test_startup_errors import at_once, closed_port, one_clear_line

SIGNING_SECRET = "0123456789abcdef0123456789abcdef"  # Slack's shape: the doctor stays quiet


def error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one `error:` line a service prints after its log, with nothing of a traceback."""
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output and "URLError" not in output, output
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == errors[0], done.stderr
    return errors[0]


def test_slack_out_of_reach_at_start_is_one_line_for_every_command(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{closed_port()}/api/"
    build_core(Settings()).engine.dispose()  # migrated once, not by four processes at a time
    done = at_once(
        {
            "slack": ["slack", "--port", "0"],
            "serve": ["serve", "--port", "0"],
            "run": ["run", "--port", "0"],
            "socket": ["worker"],
        },
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api,
        each={"socket": {"SLACK_APP_TOKEN": "xapp-test-token"}},
    )
    for command in ("slack", "serve"):
        line = one_clear_line(done[command], names="SLACK_API_URL")
        assert "connection refused" in line, line
    for command in ("run", "socket"):  # services: their log, then the one line
        line = error_line(done[command])
        assert "SLACK_API_URL" in line and "connection refused" in line, line


def test_ids_users_and_keys_are_one_line_and_searches_match_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    core = build_core(Settings())
    answered = core.responder.answer(
        Incoming(channel="console", chat_id="cli", user_id="ana", text="Do you ship abroad?")
    )
    core.engine.dispose()
    rows = tmp_path / "faq.csv"
    rows.write_text(
        "question,answer\n"
        'Is it 100% vegan?,"Yes, every product."\n'
        "What is a snake_case handle?,Words joined by a dash.\n"
        'Do you ship to Canarias?,"Yes, in 3 days."\n',
        encoding="utf-8",
    )
    assert run(capsys, "import", str(rows)).code == 0

    reply = str(answered.reply_id)
    done = at_once(
        {
            "huge id": ["feedback", "9223372036854775808", "--good"],
            "past postgres": ["feedback", str(2**31), "--good"],
            "empty user": ["feedback", reply, "--good", "--user", ""],
            "blank user": ["ask", "hello", "--user", "  "],
            "openai": ["train", "--provider", "openai"],
            "together": ["train", "--provider", "together"],
            "percent": ["examples", "%"],
            "underscore": ["examples", "_"],
        },
        tmp_path,
        COLUMNS="300",  # the table's rows on one line each
    )
    for case in ("huge id", "past postgres"):
        assert "No answer with id" in one_clear_line(done[case], names="id"), case
    for case in ("empty user", "blank user"):
        assert "is not a user" in one_clear_line(done[case], names="CHANNEL:ID"), case
    assert "OPENAI_API_KEY" in one_clear_line(done["openai"], names="OPENAI_API_KEY")
    assert "TOGETHER_API_KEY" in one_clear_line(done["together"], names="TOGETHER_API_KEY")

    percent, underscore = done["percent"], done["underscore"]
    assert percent.returncode == 0 and underscore.returncode == 0, percent.stderr
    assert "100% vegan" in percent.stdout, percent.stdout
    assert "snake" not in percent.stdout and "Canarias" not in percent.stdout, percent.stdout
    assert "snake_case" in underscore.stdout, underscore.stdout
    assert "100%" not in underscore.stdout and "Canarias" not in underscore.stdout

    with session_scope(build_core(Settings()).engine) as session:
        assert not session.exec(select(Feedback)).all()  # nobody taught anything
        assert len(store.list_examples(session, search="Canarias")) == 1
