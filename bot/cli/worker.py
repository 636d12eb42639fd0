"""`afina worker`: the scheduler, plus Slack Socket Mode and Telegram polling when set up."""

from __future__ import annotations

import logging
import os
import sys

import typer

from bot.cli.common import console, core, errors


def register(app: typer.Typer) -> None:
    app.command()(worker)


def worker() -> None:
    """Run the periodic retrain and run polling, plus Socket Mode and Telegram polling if set."""
    from bot.channels import run_in_background
    from bot.config import get_settings
    from bot.doctor import log_startup_report
    from bot.worker import Worker, run_until_signalled

    the_core = core()  # before the log level drops: migrations need not narrate each start
    log_as_a_service(get_settings().log_level)
    log_startup_report(the_core.settings)
    the_worker = Worker(the_core)
    for line in the_worker.describe():
        console.print(f"afina · worker · {line}")

    def ready() -> None:
        if run_in_background(the_core.settings):  # it answers: load what that needs
            the_core.warm_up()
        console.print("afina · worker · running. Ctrl-C stops.")

    finished = run_until_signalled(the_worker, on_ready=ready)
    if finished:
        console.print("afina · worker · stopped; nothing left in hand.")
        return
    errors.print(
        "afina · worker · stopped with work still in hand after WORKER_STOP_TIMEOUT_S; "
        "an unfinished training run resumes in the next worker."
    )
    # The threads still busy would hold the interpreter open at exit; the bound is the point.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def log_as_a_service(level_name: str) -> None:
    """A service's log is its output: honour LOG_LEVEL (commands stay quiet below WARNING).

    Per-request and per-job lines from the libraries stay out of it: a poll every few
    seconds would drown what matters."""
    root = logging.getLogger()
    root.setLevel(min(root.level, getattr(logging, level_name.upper(), logging.INFO)))
    if root.level > logging.DEBUG:  # --verbose shows everything
        for chatty in ("apscheduler", "httpx", "slack_sdk.socket_mode", "telegram.ext"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
