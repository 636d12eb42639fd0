"""`afina`: the command line. Each command is a thin layer over the core."""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli import (
    chat,
    data,
    doctor,
    models,
    run,
    serve,
    slack,
    status,
    teach,
    telegram,
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
    data,
    teach,
    doctor,
    models,
    run,
    serve,
    slack,
    status,
    telegram,
    tuning,
    worker,
):
    module.register(app)


@app.callback()
def _setup(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens inside."),
) -> None:
    """Afina tu IA: answer with your tuned model, learn from 👍 and corrections."""
    from bot.config import get_settings

    level = logging.DEBUG if verbose else getattr(logging, get_settings().log_level.upper(), 30)
    logging.basicConfig(
        level=max(level, logging.DEBUG if verbose else logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line and give a non-zero exit code, never a traceback."""
    from pydantic import ValidationError

    try:
        app(args=argv)  # standalone: usage errors print click's message and exit 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except AfinaError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        return 1
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).upper()
        typer.echo(f"error: setting {where}: {first['msg']}", err=True)
        return 2
    return 0


def entry() -> None:
    sys.exit(main())
