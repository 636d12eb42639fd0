"""A retrain as a persisted state machine that any process can pick up where another stopped.

    collecting → uploading → training → evaluating → promoted | rejected
         └──────────┴───────────┴────────────┴──────→ failed | cancelled

Each `tick` does one step under a database lease (one worker at a time, across
processes and hosts) and stores its outcome before returning, so killing the
process at any point loses at most the step in flight:

- collecting writes the dataset for a fixed snapshot (`max_example_id`), so a
  repeat writes the same files;
- uploading stores the provider's job id the moment `start` returns, and
  `start` itself finds an existing job for the run's key, so a run never owns
  two jobs;
- training polls the same job id, whoever polls;
- evaluating reuses the version row it created, and activation is a single
  transaction.

A lease whose owner died on this host (its pid is gone) is taken over at
once; one from another host after `LEASE_TTL`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot import store, store_console
from bot.app import Core
from bot.db import session_scope
from bot.errors import AfinaError, BadInput
from bot.responder import Target, choose_target
from bot.tables import FINAL_RUN_STATES, ModelVersion, RunState, TuningRun, utcnow
from tuning import registry
from tuning.dataset import FILES, Incremental, build_dataset, rules_for
from tuning.evaluate import Gate, GateError, read_holdout
from tuning.notify import LoggingNotifier, RunNotifier
from tuning.providers import get_provider
from tuning.providers.base import (
    JobSpec,
    JobState,
    JobStatus,
    Provider,
    ProviderError,
    Rules,
    gated,
)

logger = logging.getLogger(__name__)

LEASE = "tuning"
LEASE_TTL = timedelta(minutes=15)
LEASE_RENEW_S = 60.0
MAX_EVAL_ATTEMPTS = 3
SNAPSHOT_OVERLAP = timedelta(seconds=5)  # a row may commit a little after its timestamp


RowsProgress = Callable[[int], AbstractContextManager[Callable[[int], None] | None]]


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
    if provider == "local":
        if not settings.local_base_model:
            raise BadInput("Set LOCAL_BASE_MODEL to the model to train LoRA adapters on.")
        return settings.local_base_model
    return provider


class Runs:
    """Starts, advances, follows and cancels training runs for one process."""

    def __init__(
        self,
        core: Core,
        *,
        notifier: RunNotifier | None = None,
        providers: Callable[[str], Provider] | None = None,
        rows_progress: RowsProgress | None = None,
    ) -> None:
        self.core = core
        # Given the number of rows a dataset build reads, yields a callback advanced as it reads.
        self.rows_progress = rows_progress or (lambda total: nullcontext(None))
        self.settings = core.settings
        self.notifier = notifier or LoggingNotifier()
        self._make = providers or (lambda name: get_provider(name, core.settings, core))
        self._providers: dict[str, Provider] = {}
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renewed = time.monotonic()
        # Set when the process shuts down: the step in flight finishes, no other starts, and
        # the run waits in the database for the next process.
        self.stopping = threading.Event()
        self._turn = threading.Lock()

    def provider(self, name: str) -> Provider:
        if name not in self._providers:
            self._providers[name] = self._make(name)
        return self._providers[name]

    # --- lease ---------------------------------------------------------------
    def take_lease(self, name: str = LEASE, *, ttl: timedelta = LEASE_TTL) -> bool:
        """Hold the named lease, or take it over from an owner that died on this host."""
        until = utcnow() + ttl
        with session_scope(self.core.engine) as session:
            if store.take_lease(session, name=name, owner=self.owner, until=until):
                return True
            lease = store.get_lease(session, name=name)
            holder = lease.owner if lease else None
        if holder is None or not _dead_here(holder):
            return False
        logger.info("taking over the %s lease from %s, which is gone", name, holder)
        with session_scope(self.core.engine) as session:
            return store.take_lease(
                session, name=name, owner=self.owner, until=until, replace=holder
            )

    def drop_lease(self, name: str = LEASE) -> None:
        with session_scope(self.core.engine) as session:
            store.drop_lease(session, name=name, owner=self.owner)

    def _hold(self) -> bool:
        """The tuning lease, for this thread. Its owner is the process, so the threads of one
        process (a worker's retrain and poll jobs) first take turns on a lock."""
        if not self._turn.acquire(blocking=False):
            return False
        if self.take_lease():
            return True
        self._turn.release()
        return False

    def _let_go(self) -> None:
        try:
            self.drop_lease()
        finally:
            self._turn.release()

    def _renew(self, *_progress: int) -> None:
        """Keep the lease through a long step (a big dataset, a slow judge), once a minute."""
        now = time.monotonic()
        if now - self._renewed < LEASE_RENEW_S:
            return
        self._renewed = now
        with session_scope(self.core.engine) as session:
            store.take_lease(session, name=LEASE, owner=self.owner, until=utcnow() + LEASE_TTL)

    # --- starting ------------------------------------------------------------
    def start(
        self, *, provider: str | None = None, full: bool = False, method: str = "supervised"
    ) -> tuple[TuningRun, bool]:
        """A new run in `collecting`, or the run already going (and False): one at a time."""
        name = provider or self.settings.tuning_provider
        self.provider(name)  # an unknown or missing provider fails here, before any record
        if method not in {"supervised", "dpo"}:
            raise BadInput(f"Unknown method '{method}': supervised or dpo.")
        if not self._hold():
            raise BadInput("Another process is starting or advancing a run; try again shortly.")
        try:
            with session_scope(self.core.engine) as session:
                going = store.open_runs(session)
                if going:
                    return going[0], False
                parent = store.active_version(session)
                run = store.add_run(
                    session,
                    TuningRun(
                        provider=name,
                        method=method,
                        full=full,
                        state=RunState.collecting,
                        parent_version_id=parent.id if parent else None,
                    ),
                )
                kind = "full" if full else "incremental when possible"
                store.add_run_event(
                    session, run_id=run.id or 0, message=f"started: {name}, {method}, {kind}"
                )
            return run, True
        finally:
            self._let_go()

    # --- advancing -------------------------------------------------------------
    def tick(self, run_id: int) -> Tick:
        """Do the next step of a run if no other process is doing it."""
        if not self._hold():
            return Tick(self.get(run_id), waiting=True)
        try:
            return self._step(run_id)
        finally:
            self._let_go()

    def get(self, run_id: int) -> TuningRun:
        with session_scope(self.core.engine) as session:
            return store.get_run(session, run_id=run_id)

    def _step(self, run_id: int) -> Tick:
        run = self.get(run_id)
        if run.state in FINAL_RUN_STATES:
            return Tick(run, waiting=False)
        steps = {
            RunState.collecting: self._collect,
            RunState.uploading: self._upload,
            RunState.training: self._poll,
            RunState.evaluating: self._evaluate,
        }
        try:
            return steps[RunState(run.state)](run)
        except ProviderError as exc:
            if exc.retry:
                self._event(run, f"will retry: {exc.message}", level="warning")
                return Tick(self.get(run_id), waiting=True)
            return self._finish(run, RunState.failed, exc.message)
        except AfinaError as exc:
            return self._finish(run, RunState.failed, exc.message)
        except Exception as exc:  # a bug must end the run visibly, not loop forever
            logger.exception("run %s crashed in %s", run.id, run.state)
            return self._finish(run, RunState.failed, f"{type(exc).__name__}: {exc}")

    def follow(
        self,
        run_id: int,
        *,
        on_tick: Callable[[Tick], None] = lambda tick: None,
        until_waiting: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> TuningRun:
        """Advance a run to its end (or, with `until_waiting`, until it waits on the provider)."""
        while True:
            tick = self.tick(run_id)
            on_tick(tick)
            if tick.run.state in FINAL_RUN_STATES or (until_waiting and tick.waiting):
                return tick.run
            if self.stopping.is_set():
                return tick.run
            if tick.waiting:
                sleep(self.settings.tuning_poll_interval_s)

    def advance_open(self) -> list[TuningRun]:
        """Move every unfinished run as far as it goes without waiting (the scheduler's job)."""
        with session_scope(self.core.engine) as session:
            ids = [run.id or 0 for run in store.open_runs(session)]
        return [
            self.follow(run_id, until_waiting=True) for run_id in ids if not self.stopping.is_set()
        ]

    def cancel(self, run_id: int) -> TuningRun:
        if not self._hold():
            raise BadInput(f"Another process is working on run {run_id} right now; try again.")
        try:
            run = self.get(run_id)
            if run.state in FINAL_RUN_STATES:
                raise BadInput(f"Run {run_id} already ended ({run.state}).")
            if run.provider_job_id:
                self.provider(run.provider).cancel(run.provider_job_id)
            return self._finish(run, RunState.cancelled, None).run
        finally:
            self._let_go()

    # --- the steps -------------------------------------------------------------
    def _rules(self, name: str) -> Rules:
        rules = getattr(self.provider(name), "rules", None)
        return rules if isinstance(rules, Rules) else rules_for(name, self.settings)

    def _collect(self, run: TuningRun) -> Tick:
        provider = self.provider(run.provider)
        folder = self.settings.afina_home / "runs" / str(run.id)
        snapshot_at = (
            datetime.fromisoformat(run.metrics["snapshot_at"])
            if run.metrics.get("snapshot_at")
            else utcnow()
        )
        with session_scope(self.core.engine) as session:
            incremental, base = self._lineage(session, run, provider)
            upto = run.max_example_id or store.max_example_id(session)
            total = store.count_snapshot(session, upto_id=upto)
            with self.rows_progress(total) as show:

                def advance(rows: int) -> None:
                    self._renew()
                    if show is not None:
                        show(rows)

                built = build_dataset(
                    session,
                    self.settings,
                    folder,
                    rules=self._rules(run.provider),
                    method=run.method,
                    upto_id=upto,
                    incremental=incremental,
                    recent_since=snapshot_at - SNAPSHOT_OVERLAP,
                    progress=advance,
                )
        report = built.report
        with session_scope(self.core.engine) as session:
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
            return self._finish(fresh, RunState.failed, " ".join(report.problems))
        return Tick(fresh, waiting=False)

    def _lineage(
        self, session: Any, run: TuningRun, provider: Provider
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
            return None, default_base(run.provider, self.core)
        parent_run = session.get(TuningRun, parent.run_id)
        if parent_run is None:
            return None, default_base(run.provider, self.core)
        since = parent_run.created_at
        if parent_run.metrics.get("snapshot_at"):
            since = datetime.fromisoformat(parent_run.metrics["snapshot_at"])
        incremental = Incremental(
            after_id=parent_run.max_example_id,
            since=since - SNAPSHOT_OVERLAP,
            replay_share=self.settings.tuning_replay_share,
            seed=f"{self.settings.tuning_seed}:{run.id}",
            seen=frozenset(parent_run.metrics.get("recent_ids", [])),
        )
        return incremental, parent.model_id

    def _upload(self, run: TuningRun) -> Tick:
        folder = Path(run.dataset_path or "")
        files = {kind: folder / name for kind, name in FILES.items()}
        train = files["dpo" if run.method == "dpo" else "sft"]
        if not train.is_file():  # written by a process on another machine, or cleaned up
            with session_scope(self.core.engine) as session:
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
            suffix=self.settings.tuning_suffix,
            seed=self.settings.tuning_seed,
            metadata={"afina_parent_version": str(run.parent_version_id or "")},
            files=files,
            run_key=run_key(run),
        )
        job_id = self.provider(run.provider).start(spec)
        with session_scope(self.core.engine) as session:
            fresh = store.get_run(session, run_id=run.id or 0)
            fresh.provider_job_id = job_id
            fresh.state = RunState.training
            store.save_run(session, fresh)
            store.add_run_event(
                session, run_id=fresh.id or 0, message=f"{run.provider} job {job_id} started"
            )
        return Tick(fresh, waiting=False)

    def _poll(self, run: TuningRun) -> Tick:
        status = self.provider(run.provider).poll(run.provider_job_id or "")
        with session_scope(self.core.engine) as session:
            fresh = store.get_run(session, run_id=run.id or 0)
            known = {e.message for e in store.run_events(session, run_id=fresh.id or 0)}
            for line in status.events:
                if line not in known:  # after a restart the provider may repeat old events
                    store.add_run_event(session, run_id=fresh.id or 0, message=line)
            fresh.trained_tokens = status.trained_tokens or fresh.trained_tokens
            # Only a hosted provider bills per token; a local run costs your own hardware.
            rate = self.settings.tuning_cost_per_1k_tokens if run.provider == "openai" else 0.0
            fresh.estimated_cost_usd = round(fresh.trained_tokens / 1000 * rate, 4)
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
            return self._finish(fresh, RunState.failed, f"the job failed: {status.error}")
        if status.state == JobState.cancelled:
            return self._finish(fresh, RunState.cancelled, "the job was cancelled at the provider")
        return Tick(fresh, waiting=fresh.state == RunState.training)

    def _evaluate(self, run: TuningRun) -> Tick:
        provider = self.provider(run.provider)
        with session_scope(self.core.engine) as session:
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
        current = choose_target(self.settings, active)
        candidate = self._candidate_target(run, version)
        registry.make_servable(provider, version)  # e.g. load the adapter the gate will ask
        items = read_holdout(
            Path(run.dataset_path or "") / FILES["holdout"],
            seed=self.settings.tuning_seed,
            limit=self.settings.eval_max_items,
        )
        self._event(
            run,
            f"evaluating {candidate.model} against {current.model} "
            f"on {len(items)} held-out questions",
        )
        try:
            verdict = Gate(self.settings, self.core.responder.backends).evaluate(
                items, candidate=candidate, current=current, progress=self._renew
            )
        except GateError as exc:
            attempts = int(run.metrics.get("eval_attempts", 0)) + 1
            with session_scope(self.core.engine) as session:
                fresh = store.get_run(session, run_id=run.id or 0)
                fresh.metrics = {**fresh.metrics, "eval_attempts": attempts}
                store.save_run(session, fresh)
            if attempts >= MAX_EVAL_ATTEMPTS:
                return self._finish(fresh, RunState.failed, f"evaluation failed: {exc}")
            self._event(fresh, f"evaluation will retry: {exc}", level="warning")
            return Tick(fresh, waiting=True)
        _write_rows(Path(run.dataset_path or "") / "eval.jsonl", verdict.rows)
        with session_scope(self.core.engine) as session:
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
            registry.activate(self.core, version.id or 0, providers=self.provider)
            return self._finish(fresh, RunState.promoted, None)
        return self._finish(fresh, RunState.rejected, verdict.reason)

    def _candidate_target(self, run: TuningRun, version: ModelVersion) -> Target:
        target = choose_target(self.settings, version)
        if target.version_id == version.id:
            return target
        self._event(
            run,
            f"MODEL_BACKEND={self.settings.backend} does not serve {version.provider} models: "
            "set OPENAI_API_KEY (or MODEL_BACKEND=openai) so answers come from the tuned model",
            level="warning",
        )
        backend = "examples" if version.provider == "examples" else "openai"
        return Target(backend, version.model_id, version.id)

    # --- endings -----------------------------------------------------------------
    def _finish(self, run: TuningRun, state: RunState, error: str | None) -> Tick:
        with session_scope(self.core.engine) as session:
            fresh = store.get_run(session, run_id=run.id or 0)
            fresh.state = state
            fresh.error = error
            fresh.finished_at = utcnow()
            store.save_run(session, fresh)
            version = store.version_for_run(session, run_id=fresh.id or 0)
            line = f"{state}" + (f": {error}" if error else "")
            level = "error" if state == RunState.failed else "info"
            store.add_run_event(session, run_id=fresh.id or 0, message=line, level=level)
        self.notifier.notify_run_finished(fresh, version)
        return Tick(fresh, waiting=False)

    def _event(self, run: TuningRun, message: str, *, level: str = "info") -> None:
        with session_scope(self.core.engine) as session:
            store.add_run_event(session, run_id=run.id or 0, message=message, level=level)


def _dead_here(owner: str) -> bool:
    """Whether a lease owner ran on this host and its process no longer exists."""
    try:
        host, pid, _tag = owner.rsplit(":", 2)
        number = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(number, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    import json

    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
