"""What every command shares: the assembled core and clear output.

Every module of `bot.cli` is imported to build `afina --help`, so none of them may
import the core (SQLAlchemy, numpy, openai, the platforms' libraries) at the top: a
command imports what it uses inside its function. `tests/test_startup.py` holds to it.
"""

from __future__ import annotations

import gc
from functools import cache
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from bot.app import Core
    from bot.config import Settings

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


@cache
def core() -> Core:
    """The core, built once per process; then the command's own work, collector on.

    `entry` paused the cyclic collector for start-up: everything made until now lives
    as long as the process, so it is frozen (never scanned again) and collection resumes
    for what the command makes from here on."""
    from bot.app import build_core

    built = build_core()
    gc.freeze()
    gc.enable()
    return built


def port_option() -> int:
    """`--port` of the commands that serve HTTP."""
    return typer.Option(None, "--port", help="HTTP port (default: PORT).")


def host_option() -> str:
    """`--host` of the commands that serve HTTP."""
    return typer.Option(None, "--host", help="HTTP interface (default: HOST).")


def address(settings: Settings, host: str | None, port: int | None) -> tuple[str, int]:
    """Where to listen: `--host` / `--port` when given, else HOST / PORT."""
    return host or settings.host, settings.port if port is None else port
