"""`afina`: the command line. Each command is a thin layer over the core."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import typer

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

app = typer.Typer(
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
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens inside."),
) -> None:
    """Afina tu IA: answer with your tuned model, learn from 👍 and corrections."""
    from bot import logsafe
    from bot.config import get_settings

    settings = get_settings()
    logsafe.install(settings)  # before anything logs: no secret in any line, at any level
    level = logging.DEBUG if verbose else getattr(logging, settings.log_level.upper(), 30)
    logging.basicConfig(
        level=max(level, logging.DEBUG if verbose else logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line and give a non-zero exit code, never a traceback.

    The same for a database that cannot be used and a bad setting: the line names the
    setting and never carries a secret, SQL, its parameters or a person's message."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        app(args=argv)  # standalone: usage errors print click's message and exit 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except AfinaError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        return 1
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        typer.echo(f"error: {settings_problems(exc)}", err=True)
        return 2
    except SettingsError as exc:  # a value pydantic-settings could not even parse
        field = re.search(r'field "(\w+)"', str(exc))
        name = field.group(1).upper() if field else "a setting"
        typer.echo(f"error: bad setting {name}: it cannot be parsed", err=True)
        return 2
    except SQLAlchemyError as exc:
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
    sys.exit(main())
