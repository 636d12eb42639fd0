"""Retraining and model versions: `train`, `runs`, `models`, `promote`, `rollback`, `export`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.common import console, core
from bot.errors import AfinaError, BadInput
from bot.kinds import FINAL_RUN_STATES, RunState

if TYPE_CHECKING:
    from bot.tables import ModelVersion, TuningRun

PROVIDER_HELP = "examples, openai, together or local (default: TUNING_PROVIDER)."


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(runs)
    app.command()(models)
    app.command()(promote)
    app.command()(rollback)
    app.command()(export)


@contextmanager
def rows_progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar over a dataset build, on a terminal and when it is long enough to matter."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    if not console.is_terminal or total < 20_000:
        yield None
        return
    columns = (
        TextColumn("reading examples"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("rows", total=total)
        yield lambda n: progress.advance(task, n)


def _runs() -> Any:
    from tuning.runs import Runs

    return Runs(core(), rows_progress=rows_progress)


class Follower:
    """Prints a run's new events as they are stored; on a terminal, a spinner with its state."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.last_event = 0
        self.status = console.status("") if console.is_terminal else None

    def __enter__(self) -> Follower:
        if self.status is not None:
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()

    def __call__(self, tick: Any) -> None:
        from bot import store
        from bot.db import session_scope

        with session_scope(core().engine) as session:
            events = list(store.run_events(session, run_id=self.run_id, after_id=self.last_event))
        for event in events:
            if tick.run.state == RunState.failed and event.message.startswith("failed"):
                continue  # the closing `error:` line says it once
            mark = {"warning": "[yellow]![/yellow] ", "error": "[red]✗[/red] "}.get(event.level, "")
            console.print(f"[dim]{event.at:%H:%M:%S}[/dim] {mark}{event.message}")
            self.last_event = event.id or self.last_event
        if self.status is not None:
            run = tick.run
            detail = f" · job {run.provider_job_id}" if run.provider_job_id else ""
            tokens = f" · {run.trained_tokens:,} tokens" if run.trained_tokens else ""
            self.status.update(f"run #{run.id} · {run.state}{detail}{tokens}")


def train(
    provider: str = typer.Option(None, "--provider", help=PROVIDER_HELP),
    full: bool = typer.Option(
        False, "--full", help="Retrain on every accepted example from the base model."
    ),
    dpo: bool = typer.Option(
        False, "--dpo", help="Preference training (DPO) on reviewers' corrections."
    ),
    detach: bool = typer.Option(
        False, "--detach", help="Start the job and return; `afina runs` continues it later."
    ),
) -> None:
    """Retrain from the accepted examples; the new model goes live only if it is not worse."""
    manager = _runs()
    run, created = manager.start(
        provider=provider, full=full, method="dpo" if dpo else "supervised"
    )
    if not created:
        console.print(f"Run #{run.id} ({run.provider}) is still going: continuing it.")
    with Follower(run.id or 0) as follower:
        try:
            final = manager.follow(run.id or 0, on_tick=follower, until_waiting=detach)
        except KeyboardInterrupt:
            console.print(f"\nStopped following; run #{run.id} goes on. `afina runs {run.id}`.")
            raise typer.Exit(130) from None
    _ending(final)


def _ending(run: TuningRun) -> None:
    if run.state not in FINAL_RUN_STATES:
        job = f", job {run.provider_job_id}" if run.provider_job_id else ""
        console.print(
            f"Run #{run.id} is {run.state}{job}. `afina runs {run.id}` or `afina train` "
            "continues it; the scheduler's poll job does too."
        )
        return
    if run.state == RunState.promoted:
        console.print(f"Run #{run.id} promoted: {run.result_model_id} now answers.")
        return
    if run.state == RunState.rejected:
        console.print(
            f"Run #{run.id} not promoted: {run.error}. `afina models` shows the kept version."
        )
        return
    if run.state == RunState.cancelled:
        console.print(f"Run #{run.id} was cancelled.")
        return
    raise AfinaError(f"run #{run.id} failed: {run.error}")


def runs(
    run_id: int = typer.Argument(None, help="Show this run with its events."),
    cancel: bool = typer.Option(False, "--cancel", help="Cancel this run and its provider job."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many runs to list."),
) -> None:
    """List training runs, or show one with its events; unfinished runs move on first."""
    from rich.table import Table

    from bot import store
    from bot.db import session_scope

    manager = _runs()
    if cancel:
        if run_id is None:
            raise BadInput("Say which run to cancel: afina runs ID --cancel.")
        manager.cancel(run_id)
    else:
        manager.advance_open()
    if run_id is not None:
        _show_run(run_id)
        return
    with session_scope(core().engine) as session:
        rows = list(store.list_runs(session, limit=limit))
    if not rows:
        console.print("No training runs yet: `afina train` starts one.")
        return
    table = Table()
    for name in ("id", "state", "how"):
        table.add_column(name, no_wrap=True)
    for name in ("train+holdout", "tokens", "cost", "started"):
        table.add_column(name)
    table.add_column("model", overflow="fold")
    for run in rows:
        how = f"{run.provider} {'dpo' if run.method == 'dpo' else 'sft'}"
        table.add_row(
            str(run.id),
            run.state,
            f"{how} {run.metrics.get('mode', '')}".strip(),
            f"{run.n_train}+{run.n_holdout}",
            f"{run.trained_tokens:,}",
            f"${run.estimated_cost_usd:.2f}",
            f"{run.created_at:%m-%d %H:%M}",
            run.result_model_id or "",
        )
    console.print(table)


def _show_run(run_id: int) -> None:
    from bot import store
    from bot.db import session_scope

    with session_scope(core().engine) as session:
        run = store.get_run(session, run_id=run_id)
        events = list(store.run_events(session, run_id=run_id))
        version = store.version_for_run(session, run_id=run_id)
    console.print(f"Run #{run.id}: {run.state} · {run.provider} · {run.method}")
    facts = [
        ("mode", run.metrics.get("mode", "")),
        ("base model", run.base_model),
        ("job", run.provider_job_id or ""),
        ("files", ", ".join(run.provider_file_ids)),
        ("examples", f"{run.n_train} train ({run.n_new} new), {run.n_holdout} holdout"),
        ("trained tokens", f"{run.trained_tokens:,} (≈ ${run.estimated_cost_usd:.2f})"),
        ("model", run.result_model_id or ""),
        ("version", _state_of(version)),
        ("scores", _scores(run.scores)),
        ("dataset", run.dataset_path or ""),
        ("error", run.error or ""),
    ]
    for name, value in facts:
        if value:
            console.print(f"  {name}: {value}")
    for event in events:
        console.print(f"[dim]{event.at:%Y-%m-%d %H:%M:%S}[/dim] {event.level:7} {event.message}")


def _state_of(version: ModelVersion | None) -> str:
    if version is None:
        return ""
    return f"{version.id} ({'active' if version.active else 'inactive'})"


def _scores(scores: dict[str, Any]) -> str:
    if not scores or "candidate" not in scores:
        return ""
    right = scores.get("corrections_right", {})
    corrections = (
        f", corrections right {right.get('candidate')}/{scores['corrections']} "
        f"(current {right.get('current')})"
        if scores.get("corrections")
        else ""
    )
    return (
        f"{scores['metric']} candidate {scores['candidate']:.3f} vs current "
        f"{scores['current']:.3f} on {scores['n']}{corrections}"
    )


def models() -> None:
    """List model versions with their scores; the active one is marked with *."""
    from rich.table import Table

    from bot import store
    from bot.db import session_scope

    the_core = core()
    with session_scope(the_core.engine) as session:
        versions = list(store.list_versions(session))
    if not versions:
        console.print(
            f"No versions yet: answering with the {the_core.settings.backend} backend default. "
            "Run `afina train` to create one."
        )
        return
    table = Table()
    widest = max(len(v.model_id) for v in versions)
    table.add_column("")
    table.add_column("id")
    table.add_column("model", min_width=min(widest, 60), overflow="fold")
    for name in ("provider", "base", "parent", "run", "score", "created", "note"):
        table.add_column(name)
    for v in versions:
        score = v.scores.get("candidate")
        table.add_row(
            "*" if v.active else "",
            str(v.id),
            v.model_id,
            v.provider,
            v.base_model,
            str(v.parent_id or ""),
            str(v.run_id or ""),
            "" if score is None else f"{score:.3f} vs {v.scores.get('current', 0):.3f}",
            f"{v.created_at:%Y-%m-%d %H:%M}",
            v.note,
        )
    console.print(table)


@contextmanager
def _servable() -> Iterator[None]:
    """A provider that cannot serve the version (see `base.Activates`): one line, no switch."""
    from tuning.providers.base import ProviderError

    try:
        yield
    except ProviderError as exc:
        raise AfinaError(f"nothing changed: {exc.message}") from None


def _describe(version: ModelVersion) -> str:
    return f"version {version.id} ({version.model_id})"


def promote(
    version: int = typer.Argument(..., help="The version id from `afina models`."),
) -> None:
    """Make a version the one that answers, whatever its gate said."""
    from tuning import registry

    with _servable():
        done = registry.promote(core(), version)
    console.print(f"{_describe(done).capitalize()} now answers.")


def rollback() -> None:
    """Go back to the version the active one replaced."""
    from tuning import registry

    with _servable():
        was, now = registry.rollback(core())
    console.print(f"Rolled back from {_describe(was)}: {_describe(now)} now answers.")


def export(
    out: Path = typer.Option(
        None, "--out", help="Folder for the files (default: AFINA_HOME/exports/TIME)."
    ),
    provider: str = typer.Option(
        "openai",
        "--provider",
        help="Whose rules to check against: openai, together, local or examples.",
    ),
) -> None:
    """Write training files (SFT, DPO, TRL's messages and DPO, holdout) from accepted examples."""
    from bot import store
    from bot.db import session_scope
    from tuning.dataset import build_dataset, rules_for
    from tuning.providers import NAMES

    the_core = core()
    settings = the_core.settings
    if provider not in NAMES:
        raise BadInput(f"Unknown provider '{provider}'. Available: {', '.join(NAMES)}.")
    folder = out or settings.afina_home / "exports" / f"{datetime.now():%Y%m%d-%H%M%S}"
    with session_scope(the_core.engine) as session:
        upto = store.max_example_id(session)
        total = store.count_snapshot(session, upto_id=upto)
        with rows_progress(total) as advance:
            built = build_dataset(
                session,
                settings,
                folder,
                rules=rules_for(provider, settings),
                upto_id=upto,
                count_tokens=False,  # a run counts what it sends; here it only slows big exports
                progress=advance,
            )
    for line in built.report.lines():
        console.print(line)
    if provider == "together":  # the same rows, with Together's stricter turn order
        from tuning.exports import together_file

        for kind in ("sft", "dpo"):
            built.files[f"together_{kind}"] = together_file(built.files[kind], kind)
    names = ", ".join(p.name for p in built.files.values())
    console.print(f"Wrote {names} to {folder}")
