"""`afina status`: where the bot stands, read from the database (no worker needs to run)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.common import console, core

if TYPE_CHECKING:
    from bot.tables import TuningRun


def register(app: typer.Typer) -> None:
    app.command()(status)


def status(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead."),
) -> None:
    """Show the model, examples, training runs and when the worker retrains next."""
    report = gather()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    for name, value in lines(report):
        console.print(f"{name:<13} {value}")


def gather() -> dict[str, Any]:
    from bot import store
    from bot.db import session_scope
    from bot.kinds import ExampleStatus
    from bot.responder import choose_target
    from bot.scheduler import stored_jobs
    from tuning.schedule import LEASES, POLL_JOB, RETRAIN_JOB, new_examples

    the_core = core()
    settings = the_core.settings
    with session_scope(the_core.engine) as session:
        active = store.active_version(session)
        counts = {s.value: store.count_examples(session, status=s) for s in ExampleStatus}
        going = [_run(run) for run in store.open_runs(session)]
        last = next(iter(store.list_runs(session, limit=1)), None)
        leases = [
            {"name": lease.name, "owner": lease.owner, "until": _when(lease.expires_at)}
            for name in LEASES
            if (lease := store.get_lease(session, name=name)) is not None
        ]
    target = choose_target(settings, active)
    jobs = stored_jobs(the_core.engine)
    return {
        "database": masked(settings.resolved_database_url),
        "model": {
            "backend": target.backend,
            "model": target.model,
            "version": target.version_id,
            "active_version": None if active is None else active.id,
        },
        "examples": counts,
        "open_runs": going,
        "last_run": None if last is None else _run(last),
        "new_examples": new_examples(the_core, settings.tuning_provider),
        "retrain_min_new_examples": settings.retrain_min_new_examples,
        "retrain_cron": settings.retrain_cron,
        "tuning_provider": settings.tuning_provider,
        "jobs": {job_id: _when(at) for job_id, at in jobs.items()},
        "next_retrain": _when(jobs.get(RETRAIN_JOB)),
        "next_poll": _when(jobs.get(POLL_JOB)),
        "leases": leases,
    }


def masked(url: str) -> str:
    """The database URL fit to print: the password, if any, as *** (as `afina doctor` shows it)."""
    from bot.checks import mask_database_url

    return mask_database_url(url)


def lines(report: dict[str, Any]) -> list[tuple[str, str]]:
    model = report["model"]
    if model["version"] is not None:
        answering = f"version {model['version']} · {model['model']} ({model['backend']})"
    else:
        answering = f"{model['model']} ({model['backend']} backend default; no tuned version)"
        if model["active_version"] is not None:
            answering += (
                f" · active version {model['active_version']} is not served by this backend"
            )
    examples = " · ".join(f"{n} {name}" for name, n in report["examples"].items())
    going = ", ".join(_describe(run) for run in report["open_runs"]) or "none"
    last = report["last_run"]
    new = (
        f"{report['new_examples']} accepted since the last {report['tuning_provider']} run · "
        f"{report['retrain_min_new_examples']} needed for the periodic retrain"
    )
    found = [
        ("database", report["database"]),
        ("answering", answering),
        ("examples", examples),
        ("open runs", going),
        ("last run", _describe(last) if last else "none yet: `afina train` starts one"),
        ("new examples", new),
    ]
    if not report["jobs"]:
        found.append(("schedule", "no worker has scheduled jobs yet: `afina worker` starts one"))
    else:
        retrain = report["next_retrain"]
        found.append(
            (
                "next retrain",
                f"{_shown(retrain)} (RETRAIN_CRON '{report['retrain_cron']}', UTC)"
                if retrain
                else "not scheduled",
            )
        )
        poll = report["next_poll"]
        found.append(("next poll", _shown(poll) if poll else "not scheduled"))
    for lease in report["leases"]:
        found.append((f"{lease['name']} lease", f"{lease['owner']} until {_shown(lease['until'])}"))
    return found


def _run(run: TuningRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "state": str(run.state),
        "provider": run.provider,
        "job": run.provider_job_id,
        "model": run.result_model_id,
        "error": run.error,
        "created_at": _when(run.created_at),
        "finished_at": _when(run.finished_at),
    }


def _describe(run: dict[str, Any]) -> str:
    job = f", job {run['job']}" if run["job"] else ""
    ended = f", ended {_shown(run['finished_at'])}" if run["finished_at"] else ""
    started = _shown(run["created_at"])
    return f"#{run['id']} {run['state']} ({run['provider']}{job}), started {started}{ended}"


def _when(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="seconds")


def _shown(iso: str) -> str:
    return f"{datetime.fromisoformat(iso):%Y-%m-%d %H:%M:%S} UTC"
