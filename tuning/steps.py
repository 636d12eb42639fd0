"""What each state of a run does: one step each, its outcome stored before it returns.

- collecting writes the dataset for a fixed snapshot (`max_example_id`), so a
  repeat writes the same files;
- uploading stores the provider's job id the moment `start` returns, and
  `start` itself finds an existing job for the run's key, so a run never owns
  two jobs;
- training polls the same job id, whoever polls;
- evaluating reuses the version row it created, and activation is a single
  transaction.

`tuning.runs.Runs` calls these under its lease, one at a time (see there).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import store
from bot.app import Core
from bot.db import session_scope
from bot.errors import BadInput
from bot.responder import Target, choose_target
from bot.store import console as store_console
from bot.tables import ModelVersion, RunState, TuningRun, utcnow
from tuning import registry
from tuning.dataset import FILES, Incremental, build_dataset, rules_for
from tuning.evaluate import Gate, GateError, read_holdout
from tuning.golden import for_gate
from tuning.providers.base import JobSpec, JobState, JobStatus, Provider, Rules, gated

if TYPE_CHECKING:
    from tuning.runs import Runs

MAX_EVAL_ATTEMPTS = 3
SNAPSHOT_OVERLAP = timedelta(seconds=5)  # a row may commit a little after its timestamp


@dataclass(frozen=True)
class Tick:
    run: TuningRun
    waiting: bool  # nothing to do until the provider moves on, or another process holds the lease


def run_key(run: TuningRun) -> str:
    """Unique across databases: the id alone repeats in every fresh database."""
    return f"{run.id}-{int(run.created_at.timestamp())}"


def default_base(provider: str, core: Core) -> str:
    settings = core.settings
    if provider == "openai":
        return settings.tuning_base_model
    if provider == "together":
        return settings.together_base_model
    if provider == "local":
        if not settings.local_base_model:
            raise BadInput("Set LOCAL_BASE_MODEL to the model to train LoRA adapters on.")
        return settings.local_base_model
    return provider


def _rules(runs: Runs, name: str) -> Rules:
    rules = getattr(runs.provider(name), "rules", None)
    return rules if isinstance(rules, Rules) else rules_for(name, runs.settings)


def collect(runs: Runs, run: TuningRun) -> Tick:
    provider = runs.provider(run.provider)
    folder = runs.settings.afina_home / "runs" / str(run.id)
    snapshot_at = (
        datetime.fromisoformat(run.metrics["snapshot_at"])
        if run.metrics.get("snapshot_at")
        else utcnow()
    )
    with session_scope(runs.core.engine) as session:
        incremental, base = _lineage(runs, session, run, provider)
        upto = run.max_example_id or store.max_example_id(session)
        total = store.count_snapshot(session, upto_id=upto)
        with runs.rows_progress(total) as show:

            def advance(rows: int) -> None:
                runs.renew()
                if show is not None:
                    show(rows)

            built = build_dataset(
                session,
                runs.settings,
                folder,
                rules=_rules(runs, run.provider),
                method=run.method,
                upto_id=upto,
                incremental=incremental,
                recent_since=snapshot_at - SNAPSHOT_OVERLAP,
                progress=advance,
            )
    report = built.report
    with session_scope(runs.core.engine) as session:
        fresh = store.get_run(session, run_id=run.id or 0)
        fresh.base_model = base
        fresh.dataset_path = str(folder)
        fresh.max_example_id = upto
        fresh.n_train = report.trained_rows
        fresh.n_holdout = report.holdout
        fresh.n_new = report.new if incremental else report.trained_rows
        fresh.metrics = {
            **fresh.metrics,
            "mode": "incremental" if incremental else "full",
            "snapshot_at": snapshot_at.isoformat(),
            "recent_ids": built.recent_ids,
            "dataset": report.to_json(),
            "estimated_tokens": report.train_tokens,
        }
        for line in report.lines():
            store.add_run_event(session, run_id=fresh.id or 0, message=line)
        if report.ok:
            fresh.state = RunState.uploading
            store.add_run_event(
                session,
                run_id=fresh.id or 0,
                message=f"dataset ready in {folder}; training from {base}",
            )
        store.save_run(session, fresh)
    if not report.ok:
        return runs.finish(fresh, RunState.failed, " ".join(report.problems))
    return Tick(fresh, waiting=False)


def _lineage(
    runs: Runs, session: Any, run: TuningRun, provider: Provider
) -> tuple[Incremental | None, str]:
    """Continue from the active tuned model of this provider unless a full retrain is asked."""
    parent = store.active_version(session)
    if (
        run.full
        or not getattr(provider, "continues", True)
        or parent is None
        or parent.provider != run.provider
        or parent.run_id is None
    ):
        return None, default_base(run.provider, runs.core)
    parent_run = session.get(TuningRun, parent.run_id)
    if parent_run is None:
        return None, default_base(run.provider, runs.core)
    since = parent_run.created_at
    if parent_run.metrics.get("snapshot_at"):
        since = datetime.fromisoformat(parent_run.metrics["snapshot_at"])
    incremental = Incremental(
        after_id=parent_run.max_example_id,
        since=since - SNAPSHOT_OVERLAP,
        replay_share=runs.settings.tuning_replay_share,
        seed=f"{runs.settings.tuning_seed}:{run.id}",
        seen=frozenset(parent_run.metrics.get("recent_ids", [])),
    )
    return incremental, parent.model_id


def upload(runs: Runs, run: TuningRun) -> Tick:
    folder = Path(run.dataset_path or "")
    files = {kind: folder / name for kind, name in FILES.items()}
    train = files["dpo" if run.method == "dpo" else "sft"]
    if not train.is_file():  # written by a process on another machine, or cleaned up
        with session_scope(runs.core.engine) as session:
            fresh = store.get_run(session, run_id=run.id or 0)
            fresh.state = RunState.collecting
            store.save_run(session, fresh)
            store.add_run_event(
                session, run_id=fresh.id or 0, message="dataset files missing; rebuilding"
            )
        return Tick(fresh, waiting=False)
    spec = JobSpec(
        run_id=run.id or 0,
        method=run.method,
        train_file=train,
        validation_file=None,  # the holdout stays ours: it judges, it never trains
        base_model=run.base_model,
        suffix=runs.settings.tuning_suffix,
        seed=runs.settings.tuning_seed,
        metadata={"afina_parent_version": str(run.parent_version_id or "")},
        files=files,
        run_key=run_key(run),
    )
    job_id = runs.provider(run.provider).start(spec)
    with session_scope(runs.core.engine) as session:
        fresh = store.get_run(session, run_id=run.id or 0)
        fresh.provider_job_id = job_id
        fresh.state = RunState.training
        store.save_run(session, fresh)
        store.add_run_event(
            session, run_id=fresh.id or 0, message=f"{run.provider} job {job_id} started"
        )
    return Tick(fresh, waiting=False)


def poll(runs: Runs, run: TuningRun) -> Tick:
    status = runs.provider(run.provider).poll(run.provider_job_id or "")
    with session_scope(runs.core.engine) as session:
        fresh = store.get_run(session, run_id=run.id or 0)
        known = {e.message for e in store.run_events(session, run_id=fresh.id or 0)}
        for line in status.events:
            if line not in known:  # after a restart the provider may repeat old events
                store.add_run_event(session, run_id=fresh.id or 0, message=line)
        fresh.trained_tokens = status.trained_tokens or fresh.trained_tokens
        # What the provider billed, when it says; else OpenAI's per-token estimate (a local
        # run costs your own hardware).
        rate = runs.settings.tuning_cost_per_1k_tokens if run.provider == "openai" else 0.0
        fresh.estimated_cost_usd = round(
            status.cost_usd if status.cost_usd is not None else fresh.trained_tokens / 1000 * rate,
            4,
        )
        if status.file_ids:
            fresh.provider_file_ids = list(status.file_ids)
        fresh.metrics = {**fresh.metrics, "job": status.metrics}
        if status.artifact_path:
            fresh.metrics = {**fresh.metrics, "artifact_path": status.artifact_path}
        if status.state == JobState.succeeded and not status.model_id:
            status = JobStatus(JobState.failed, error="it succeeded without naming a model")
        if status.state == JobState.succeeded:
            fresh.result_model_id = status.model_id
            fresh.state = RunState.evaluating
            cost = (
                f" ({fresh.trained_tokens:,} tokens, ≈ ${fresh.estimated_cost_usd:.2f})"
                if fresh.estimated_cost_usd
                else f" ({fresh.trained_tokens:,} tokens)"
                if fresh.trained_tokens
                else ""
            )
            store.add_run_event(
                session, run_id=fresh.id or 0, message=f"trained {status.model_id}{cost}"
            )
        store.save_run(session, fresh)
    if status.state == JobState.failed:
        return runs.finish(fresh, RunState.failed, f"the job failed: {status.error}")
    if status.state == JobState.cancelled:
        return runs.finish(fresh, RunState.cancelled, "the job was cancelled at the provider")
    return Tick(fresh, waiting=fresh.state == RunState.training)


def evaluate(runs: Runs, run: TuningRun) -> Tick:
    provider = runs.provider(run.provider)
    with session_scope(runs.core.engine) as session:
        active = store.active_version(session)
        version = store.version_for_run(session, run_id=run.id or 0) or store.add_version(
            session,
            ModelVersion(
                provider=run.provider,
                model_id=run.result_model_id or "",
                base_model=run.base_model,
                run_id=run.id,
                artifact_path=run.metrics.get("artifact_path"),
                note=f"{run.method}, {run.metrics.get('mode', 'full')}, {run.n_train} examples",
            ),
            activate=False,
        )
        version.parent_id = active.id if active else None  # what it would replace
        session.add(version)
    current = choose_target(runs.settings, active)
    candidate = _candidate_target(runs, run, version)
    registry.make_servable(provider, version)  # e.g. load the adapter the gate will ask
    items = read_holdout(
        Path(run.dataset_path or "") / FILES["holdout"],
        seed=runs.settings.tuning_seed,
        limit=runs.settings.eval_max_items,
    )
    golden = for_gate(runs.core.engine, runs.settings)
    also = f" and {len(golden)} golden answers" if golden else ""
    runs.event(
        run,
        f"evaluating {candidate.model} against {current.model} "
        f"on {len(items)} held-out questions{also}",
    )
    try:
        verdict = Gate(runs.settings, runs.core.responder.backends).evaluate(
            items, candidate=candidate, current=current, progress=runs.renew, golden=golden
        )
    except GateError as exc:
        attempts = int(run.metrics.get("eval_attempts", 0)) + 1
        with session_scope(runs.core.engine) as session:
            fresh = store.get_run(session, run_id=run.id or 0)
            fresh.metrics = {**fresh.metrics, "eval_attempts": attempts}
            store.save_run(session, fresh)
        if attempts >= MAX_EVAL_ATTEMPTS:
            return runs.finish(fresh, RunState.failed, f"evaluation failed: {exc}")
        runs.event(fresh, f"evaluation will retry: {exc}", level="warning")
        return Tick(fresh, waiting=True)
    _write_rows(Path(run.dataset_path or "") / "eval.jsonl", verdict.rows)
    with session_scope(runs.core.engine) as session:
        fresh = store.get_run(session, run_id=run.id or 0)
        fresh.scores = verdict.scores
        # Per question, both answers: what the console's run page shows side by side.
        store_console.add_gate_answers(session, run_id=fresh.id or 0, rows=verdict.rows)
        stored = store.get_version(session, version_id=version.id or 0)
        stored.scores = verdict.scores
        session.add(stored)
        store.save_run(session, fresh)
        store.add_run_event(session, run_id=fresh.id or 0, message=f"gate: {verdict.reason}")
    if verdict.passed or not gated(provider):
        registry.activate(runs.core, version.id or 0, providers=runs.provider)
        return runs.finish(fresh, RunState.promoted, None)
    return runs.finish(fresh, RunState.rejected, verdict.reason)


def _candidate_target(runs: Runs, run: TuningRun, version: ModelVersion) -> Target:
    target = choose_target(runs.settings, version)
    if target.version_id == version.id:
        return target
    runs.event(
        run,
        f"MODEL_BACKEND={runs.settings.backend} does not serve {version.provider} models: "
        "set OPENAI_API_KEY (or MODEL_BACKEND=openai) so answers come from the tuned model",
        level="warning",
    )
    backend = {"examples": "examples", "together": "together"}.get(version.provider, "openai")
    return Target(backend, version.model_id, version.id)


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
