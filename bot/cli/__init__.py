"""`afina`: the command line. Each command is a thin layer over the core.

Start-up is part of the interface: `afina --help` and `afina CMD --help` import typer
and these modules only, never the core (see `bot.cli.common`), and read no settings.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import re
import sys
import threading
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from bot.cli import (
    channels,
    chat,
    console,
    data,
    doctor,
    golden,
    models,
    run,
    serve,
    status,
    teach,
    tuning,
    worker,
)
from bot.errors import AfinaError

HELP_ASKED = "afina.help_asked"


class _Afina(TyperGroup):
    """Notes whether the command's arguments ask for its help, before typer hands them on:
    `afina CMD --help` prints and exits, so `_setup` reads no settings for it."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click
        ctx.meta[HELP_ASKED] = "--help" in ctx.args
        return super().invoke(ctx)


app = typer.Typer(
    cls=_Afina,
    name="afina",
    help="Afina tu IA: a bot that answers with your tuned model and learns from your team.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for module in (
    chat,
    console,
    data,
    teach,
    doctor,
    golden,
    models,
    run,
    serve,
    channels,
    status,
    tuning,
    worker,
):
    module.register(app)


@app.callback()
def _setup(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens inside."),
) -> None:
    """Afina tu IA: answer with your tuned model, learn from 👍 and corrections."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    if ctx.meta.get(HELP_ASKED):  # help reads no settings and logs nothing of its own
        logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format=fmt)
        return
    from bot import logsafe
    from bot.config import get_settings

    settings = get_settings()
    logsafe.install(settings)  # before anything logs: no secret in any line, at any level
    level = logging.DEBUG if verbose else getattr(logging, settings.log_level.upper(), 30)
    logging.basicConfig(level=max(level, logging.DEBUG if verbose else logging.WARNING), format=fmt)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line and give a non-zero exit code, never a traceback.

    The same for a database that cannot be used and a bad setting: the line names the
    setting and never carries a secret, SQL, its parameters or a person's message."""
    try:
        app(args=argv)  # standalone: usage errors print click's message and exit 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except AfinaError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        return 1
    except _loaded("pydantic_core", "ValidationError") as exc:
        if exc.title != "Settings":
            raise
        typer.echo(f"error: {settings_problems(exc)}", err=True)
        return 2
    except _loaded("pydantic_settings", "SettingsError") as exc:  # a value it cannot even parse
        field = re.search(r'field "(\w+)"', str(exc))
        name = field.group(1).upper() if field else "a setting"
        typer.echo(f"error: bad setting {name}: it cannot be parsed", err=True)
        return 2
    except _loaded("sqlalchemy.exc", "SQLAlchemyError") as exc:
        from bot.config import get_settings
        from bot.db import explain

        # With -v the traceback is in the log: SQL, never its parameters (the engine hides them).
        logging.getLogger(__name__).debug("database error", exc_info=True)
        typer.echo(f"error: {explain(exc, get_settings())}", err=True)
        return 1
    except (FileNotFoundError, PermissionError, NotADirectoryError, IsADirectoryError) as exc:
        typer.echo(f"error: {file_problem(exc)}", err=True)
        return 1
    return 0


def _loaded(module: str, name: str) -> Any:
    """A library's exception class to catch, or nothing when the library was never imported
    (then it raised nothing). Importing it to catch its errors would load SQLAlchemy and
    pydantic into every command, `--help` too; `except ()` catches nothing."""
    found = sys.modules.get(module)
    return () if found is None else getattr(found, name)


def settings_problems(exc: Any) -> str:
    """Every bad setting by its variable name and what is wrong; never the value given."""
    found = []
    for error in exc.errors(include_input=False, include_url=False):
        name = str(error["loc"][0]).upper() if error["loc"] else "a setting"
        found.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
    return "bad setting " + "; ".join(dict.fromkeys(" ".join(f.split()) for f in found))


def file_problem(exc: OSError) -> str:
    """A file or folder afina cannot use, by name, and the setting behind it when it is ours."""
    from bot.config import get_settings

    where = str(exc.filename or "a file")
    try:
        home: str | None = str(get_settings().afina_home)
    except (OSError, ValueError):  # the settings themselves could not be read (a bad .env)
        home = None
    hint = " (under AFINA_HOME)" if home and where.startswith(home) else ""
    return f"{where}{hint}: {(exc.strerror or type(exc).__name__).lower()}"


def entry() -> None:
    # Start-up (imports, tables, settings, the core) makes a million objects that live as
    # long as the process, and the cyclic collector would scan them again every few
    # hundred allocations: 0.5 s of `afina ask`. It stays off until the core is built
    # (`common.core` turns it back on, with all of that frozen out of its sight).
    gc.disable()
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """End the process without the interpreter's teardown, when nothing else is running.

    Tearing down a process that loaded the index (the examples' objects, numpy,
    SQLAlchemy) took 0.6-0.75 s after `afina ask` had printed its answer: every object
    freed one by one, every module emptied, while the operating system frees all of it at
    once. What teardown does that matters runs first: the exit handlers (the log's flush,
    the post log's), the database's connections closed, the standard streams flushed. A
    thread still at work (not a daemon) gets the ordinary exit, which waits for it."""
    busy = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if busy:
        sys.exit(code)
    from bot.cli.common import core

    if core.cache_info().currsize:
        core().engine.dispose()
    atexit._run_exitfuncs()  # the handlers `sys.exit` would run (there is no public call)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)
