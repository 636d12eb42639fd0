"""Training runs end to end against a fake OpenAI server, through the real `openai` client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import store
from bot.app import build_core
from bot.config import Settings
from bot.db import session_scope
from bot.demo import demo_examples
from bot.tables import Example, ExampleStatus, ModelVersion, RunState, TuningRun, utcnow
from tests.support.cli import run
from tests.support.data import add_example, key_on_side, rows
from tests.support.openai_server import FakeOpenAI
from tests.support.processes import AFINA
from tuning.notify import summary
from tuning.providers.base import JobSpec
from tuning.providers.openai_ft import OpenAIProvider
from tuning.runs import Runs

BASE = "gpt-4.1-mini-2025-04-14"
SERVING = "gpt-4.1-mini"  # what answers before any tuned version exists
FIRST = f"ft:{BASE}:fake-org:afina:000001"
SECOND = f"ft:{BASE}:fake-org:afina:000002"
REFERENCE = {pair["question"]: pair["answer"] for pair in demo_examples()}


def reference_answer(messages: list[dict[str, Any]]) -> str:
    return REFERENCE.get(messages[-1]["content"], "I don't know")


def job_creations(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r.json() for r in fake.calls("/fine_tuning/jobs") if r.method == "POST"]


def uploads(fake: FakeOpenAI) -> list[Any]:
    return [r for r in fake.calls("/v1/files") if r.method == "POST"]


def the_run(url: str, run_id: int = 1) -> TuningRun:
    return next(r for r in rows(url, TuningRun) if r.id == run_id)


@pytest.mark.usefixtures("demo")
def test_train_runs_a_job_to_a_promoted_version_that_the_next_answer_uses(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    trained = run(capsys, "train", "--provider", "openai")
    assert trained.code == 0, trained.err
    assert f"Run #1 promoted: {FIRST} now answers." in trained.out
    assert "Step 2/2: training loss" in trained.out  # provider events are shown as they come

    (created,) = job_creations(openai_env)
    assert created["model"] == BASE
    assert created["method"] == {"type": "supervised"}
    assert created["suffix"] == "afina" and created["seed"] == 42
    assert created["metadata"]["afina_run"].startswith("1-")
    (upload,) = uploads(openai_env)
    assert b'name="purpose"\r\n\r\nfine-tune' in upload.body
    stored = the_run(database_url)
    sent = openai_env.file_text(created["training_file"])
    assert sent == (Path(stored.dataset_path or "") / "sft.jsonl").read_text(encoding="utf-8")
    assert len(sent.splitlines()) == stored.n_train and stored.n_holdout > 0
    assert stored.state == RunState.promoted and stored.provider_job_id == "ftjob-000001"
    assert stored.trained_tokens > 0 and stored.estimated_cost_usd > 0
    assert stored.provider_file_ids == [created["training_file"]]
    assert stored.scores["metric"] == "chrf" and stored.scores["passed"] is True

    (version,) = rows(database_url, ModelVersion)
    assert (version.model_id, version.active, version.run_id) == (FIRST, True, 1)
    assert version.scores == stored.scores

    asked = run(capsys, "ask", "--json", "Do you have vegan lipsticks?")
    assert asked.json()["model"] == FIRST
    assert openai_env.chat_requests()[-1]["model"] == FIRST

    listed = run(capsys, "runs")
    assert "promoted" in listed.out and "openai sft full" in listed.out
    shown = run(capsys, "runs", "1")
    assert "job: ftjob-000001" in shown.out and "Validating training file" in shown.out


@pytest.mark.usefixtures("demo")
def test_a_failed_job_fails_the_run_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    openai_env.fail_next_job("Line 3: unexpected role 'tool'")
    trained = run(capsys, "train", "--provider", "openai")
    assert trained.code == 1
    assert "run #1 failed: the job failed: Line 3: unexpected role 'tool'" in trained.err
    assert "Traceback" not in trained.err
    assert the_run(database_url).state == RunState.failed
    assert rows(database_url, ModelVersion) == []
    assert run(capsys, "ask", "--json", "hola").json()["model"] == SERVING


@pytest.mark.usefixtures("demo")
def test_openai_refusal_names_the_other_providers(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    openai_env.refuse()
    trained = run(capsys, "train", "--provider", "openai")
    assert trained.code == 1
    assert "OpenAI refused to start a fine-tuning job" in trained.err
    assert "2027-01-06" in trained.err
    assert "--provider together" in trained.err and "--provider local" in trained.err
    assert "--provider examples" in trained.err
    assert "Traceback" not in trained.err and "sk-test" not in trained.err
    assert openai_env.jobs() == []
    assert the_run(database_url).state == RunState.failed


@pytest.mark.usefixtures("demo")
def test_a_candidate_that_loses_stays_unpromoted(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    openai_env.answer_as(SERVING, reference_answer)  # today's model gives the approved answers
    trained = run(capsys, "train", "--provider", "openai")  # the candidate says "(fake answer)"
    assert trained.code == 0, trained.err
    assert "Run #1 not promoted: candidate scored" in trained.out
    stored = the_run(database_url)
    assert stored.state == RunState.rejected
    assert stored.scores["candidate"] < stored.scores["current"] - stored.scores["margin"]
    (version,) = rows(database_url, ModelVersion)
    assert version.model_id == FIRST and not version.active
    assert run(capsys, "ask", "--json", "hola").json()["model"] == SERVING

    promoted = run(capsys, "promote", str(version.id))  # a person may still ship it
    assert promoted.code == 0 and FIRST in promoted.out
    assert run(capsys, "ask", "--json", "hola").json()["model"] == FIRST


@pytest.mark.usefixtures("demo")
def test_the_gate_blocks_a_candidate_that_loses_a_reviewer_correction(
    make_settings: Any, openai_env: FakeOpenAI
) -> None:
    settings = make_settings(eval_margin=1.0)  # scores alone would let anything through
    core = build_core(settings)
    original = "We have no loyalty programme."
    fixed = "The Zorblat Club is our free loyalty club: 1 point per euro 🌿"
    key = key_on_side("console:zorblat", holdout=True)
    add_example(core.engine, "What is the zorblat club?", fixed, rejected=original, key=key)
    answers = {**REFERENCE, "What is the zorblat club?": fixed}
    openai_env.answer_as(SERVING, lambda m: answers.get(m[-1]["content"], "?"))
    openai_env.answer_as(FIRST, lambda m: original if "zorblat" in m[-1]["content"] else "?")

    final = Runs(core).follow(Runs(core).start(provider="openai")[0].id or 0)
    assert final.state == RunState.rejected
    assert "loses reviewer corrections the current model gets right" in (final.error or "")
    assert final.scores["corrections_right"] == {"candidate": 0, "current": 1}
    eval_rows = Path(final.dataset_path or "", "eval.jsonl").read_text().splitlines()
    assert any(json.loads(r).get("correction") for r in eval_rows)
    core.engine.dispose()


@pytest.mark.usefixtures("demo")
def test_the_judge_sees_both_orders_so_position_bias_cancels(
    make_settings: Any, openai_env: FakeOpenAI
) -> None:
    core = build_core(make_settings(eval_judge_model="judge-1"))
    openai_env.answer_as("judge-1", lambda m: "A")  # a judge that always prefers the first
    final = Runs(core).follow(Runs(core).start(provider="openai")[0].id or 0)
    assert final.state == RunState.promoted
    assert final.scores["metric"] == "judge:judge-1"
    assert final.scores["candidate"] == final.scores["current"] == 0.5
    judged = [r for r in openai_env.chat_requests() if r["model"] == "judge-1"]
    assert len(judged) == 2 * final.scores["n"]
    core.engine.dispose()


@pytest.mark.usefixtures("demo")
def test_a_killed_process_resumes_the_same_job(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    openai_env.hold()  # the job stays running until the test says otherwise
    build_core(Settings()).engine.dispose()  # the database exists before the race starts
    env = {**os.environ, "TUNING_POLL_INTERVAL_S": "0.05"}
    child = subprocess.Popen(
        [AFINA, "train", "--provider", "openai"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            runs = rows(database_url, TuningRun)
            if runs and runs[0].provider_job_id and len(openai_env.calls("/events")) >= 2:
                break  # the job is stored and being polled
            time.sleep(0.05)
        else:
            pytest.fail("the first process never started the job")
    finally:
        child.kill()
        child.wait()
    assert the_run(database_url).state == RunState.training

    openai_env.finish()
    resumed = run(capsys, "train", "--provider", "openai")
    assert resumed.code == 0, resumed.err
    assert "Run #1 (openai) is still going: continuing it." in resumed.out
    assert "promoted" in resumed.out
    assert len(openai_env.jobs()) == 1 and len(job_creations(openai_env)) == 1
    assert len(uploads(openai_env)) == 1
    assert the_run(database_url).provider_job_id == "ftjob-000001"


def test_starting_twice_for_one_run_finds_the_same_job(
    settings: Settings, openai_env: FakeOpenAI, tmp_path: Path
) -> None:
    """The kill between "job created" and "job id stored": `start` again finds the job."""
    train = tmp_path / "sft.jsonl"
    train.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n' * 10)
    live = settings.model_copy(
        update={"openai_base_url": openai_env.base_url, "openai_max_retries": 0}
    )
    spec = JobSpec(
        run_id=1,
        method="supervised",
        train_file=train,
        validation_file=None,
        base_model=BASE,
        suffix="afina",
        seed=42,
        run_key="1-1700000000",
    )
    first = OpenAIProvider(live).start(spec)
    again = OpenAIProvider(live).start(spec)  # a new process, same run
    assert first == again and len(openai_env.jobs()) == 1
    assert len(uploads(openai_env)) == 1


@pytest.mark.usefixtures("demo")
def test_detached_run_is_advanced_by_a_later_runs_command(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    openai_env.hold()
    detached = run(capsys, "train", "--provider", "openai", "--detach")
    assert detached.code == 0, detached.err
    assert "Run #1 is training, job ftjob-000001." in detached.out
    openai_env.finish()
    listed = run(capsys, "runs")
    assert listed.code == 0
    assert the_run(database_url).state == RunState.promoted
    assert "promoted" in listed.out


@pytest.mark.usefixtures("demo")
def test_cancel_stops_the_provider_job(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    openai_env.hold()
    run(capsys, "train", "--provider", "openai", "--detach")
    cancelled = run(capsys, "runs", "1", "--cancel")
    assert cancelled.code == 0, cancelled.err
    assert "cancelled" in cancelled.out
    assert openai_env.jobs()[0].status == "cancelled"
    assert the_run(database_url).state == RunState.cancelled


@pytest.mark.usefixtures("demo")
def test_incremental_retrain_continues_from_the_active_model(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    assert run(capsys, "train", "--provider", "openai").code == 0
    imported = Path("new.csv")
    imported.write_text(
        "question,answer\n" + "".join(f"new question {n},new answer {n} 🌿\n" for n in range(30))
    )
    assert run(capsys, "import", str(imported)).code == 0
    second = run(capsys, "train", "--provider", "openai")
    assert second.code == 0, second.err
    assert f"Run #2 promoted: {SECOND} now answers." in second.out

    first_job, second_job = job_creations(openai_env)
    assert second_job["model"] == FIRST  # continues from the active tuned model
    sent = openai_env.file_text(second_job["training_file"]).splitlines()
    questions = [json.loads(line)["messages"][1]["content"] for line in sent]
    new = [q for q in questions if q.startswith("new question")]
    stored = the_run(database_url, 2)
    assert stored.metrics["mode"] == "incremental"
    assert len(new) == stored.n_new and 20 <= len(new) <= 30  # the held-out ones stay out
    assert len(questions) - len(new) == round(0.3 * len(new))  # the replay sample
    assert len(sent) < len(openai_env.file_text(first_job["training_file"]).splitlines())

    full = run(capsys, "train", "--provider", "openai", "--full")
    assert full.code == 0, full.err
    assert job_creations(openai_env)[2]["model"] == BASE
    assert the_run(database_url, 3).metrics["mode"] == "full"


@pytest.mark.usefixtures("demo")
def test_rollback_returns_to_the_version_it_replaced(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    assert run(capsys, "train").code == 0  # the offline examples version
    assert run(capsys, "train", "--provider", "openai").code == 0
    examples_version, tuned = rows(database_url, ModelVersion)
    assert tuned.parent_id == examples_version.id and tuned.active
    assert run(capsys, "ask", "--json", "hola").json()["model"] == FIRST

    back = run(capsys, "rollback")
    assert back.code == 0, back.err
    assert f"Rolled back from version 2 ({FIRST}): version 1 (examples-v1) now answers." in back.out
    assert [v.active for v in rows(database_url, ModelVersion)] == [True, False]
    assert run(capsys, "ask", "--json", "hola").json()["model"] == SERVING  # nothing tuned now

    nothing = run(capsys, "rollback")
    assert nothing.code == 1 and "no earlier version" in nothing.err


def test_dpo_run_sends_preference_pairs(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    core = build_core(Settings())
    for n in range(14):
        add_example(core.engine, f"q{n}?", f"the right answer {n}", rejected=f"wrong {n}")
    core.engine.dispose()
    trained = run(capsys, "train", "--provider", "openai", "--dpo")
    assert trained.code == 0, trained.err
    (created,) = job_creations(openai_env)
    assert created["method"] == {"type": "dpo"}
    text = openai_env.file_text(created["training_file"])
    sent = [json.loads(line) for line in text.splitlines()]
    keys = {"input", "preferred_output", "non_preferred_output"}
    assert sent and all(set(line) == keys for line in sent)
    assert {line["non_preferred_output"][0]["content"][:5] for line in sent} == {"wrong"}


@pytest.mark.usefixtures("demo")
def test_runs_notify_once_when_they_end(make_settings: Any, openai_env: FakeOpenAI) -> None:
    heard: list[tuple[str, str | None]] = []

    class Recorder:
        def notify_run_finished(self, run: TuningRun, version: ModelVersion | None) -> None:
            heard.append((run.state, version.model_id if version else None))

    core = build_core(make_settings())
    runs = Runs(core, notifier=Recorder())
    final = runs.follow(runs.start(provider="openai")[0].id or 0)
    runs.tick(final.id or 0)  # a finished run does not announce itself again
    assert heard == [("promoted", FIRST)]
    with session_scope(core.engine) as session:
        version = store.version_for_run(session, run_id=final.id or 0)
    live = f"Training run #1 (openai) is live: {FIRST} now answers (version 1)."
    assert summary(final, version) == live
    core.engine.dispose()


@pytest.mark.usefixtures("demo")
def test_one_worker_at_a_time_and_a_dead_owner_is_replaced(settings: Settings) -> None:
    core = build_core(settings)
    first, second = Runs(core), Runs(core)
    run_, _ = first.start(provider="examples")
    assert first.take_lease()  # first is in the middle of a step
    tick = second.tick(run_.id or 0)
    assert tick.waiting and tick.run.state == RunState.collecting  # second did nothing
    first.drop_lease()

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = first.owner.rsplit(":", 2)[0]
    with session_scope(core.engine) as session:
        until = utcnow() + timedelta(hours=1)
        store.take_lease(session, name="tuning", owner=f"{host}:{gone.pid}:dead", until=until)
    assert second.follow(run_.id or 0).state == RunState.promoted
    core.engine.dispose()


def test_examples_ignored_unless_accepted(database_url: str, settings: Settings) -> None:
    """Pending suggestions never reach a training file."""
    core = build_core(settings)
    add_example(core.engine, "secret pending?", "not approved", status=ExampleStatus.pending)
    final = Runs(core).follow(Runs(core).start()[0].id or 0)
    text = Path(final.dataset_path or "", "sft.jsonl").read_text()
    assert "not approved" not in text
    assert any(e.status == "pending" for e in rows(database_url, Example))
    core.engine.dispose()


class SelfHosted:
    """A provider the way the self-hosted one plugs in: jobs, plus the `activate` hook."""

    name = "local"

    def __init__(self) -> None:
        self.activated: list[str] = []
        self.specs: list[JobSpec] = []

    def start(self, spec: JobSpec) -> str:
        self.specs.append(spec)
        return f"lora-{spec.run_id}"

    def poll(self, job_id: str) -> Any:
        from tuning.providers.base import JobState, JobStatus

        return JobStatus(
            state=JobState.succeeded,
            model_id=f"afina-{job_id}",
            trained_tokens=1234,
            events=["adapter saved"],
            artifact_path=f"/adapters/{job_id}",
        )

    def cancel(self, job_id: str) -> None:
        raise AssertionError("not cancelled in this test")

    def activate(self, version: ModelVersion) -> None:
        self.activated.append(version.model_id)


@pytest.mark.usefixtures("demo")
def test_any_provider_runs_through_the_same_machinery_and_is_activated(
    make_settings: Any, openai_env: FakeOpenAI
) -> None:
    from tuning import registry

    core = build_core(make_settings(local_base_model="tiny-llama"))
    local = SelfHosted()
    runs = Runs(core, providers=lambda name: local)
    first = runs.follow(runs.start(provider="local")[0].id or 0)
    assert first.state == RunState.promoted
    assert local.activated == ["afina-lora-1", "afina-lora-1"]  # for the gate, then to go live
    spec = local.specs[0]
    assert spec.base_model == "tiny-llama" and spec.train_file.name == "sft.jsonl"
    assert spec.files["messages"].is_file() and spec.files["dpo"].is_file()
    add_example(core.engine, "New question?", "New answer 🌿")
    second = runs.follow(runs.start(provider="local")[0].id or 0)
    assert local.specs[1].base_model == "afina-lora-1"  # continues from the active adapter
    assert second.metrics["artifact_path"] == "/adapters/lora-2"
    registry.rollback(core, providers=lambda name: local)
    assert local.activated[2:] == ["afina-lora-2", "afina-lora-2", "afina-lora-1"]
    core.engine.dispose()


class SelfHostedByFields(SelfHosted):
    def activate(self, model_id: str, artifact_path: str | None) -> None:  # type: ignore[override]
        self.activated.append(f"{model_id} from {artifact_path}")


@pytest.mark.usefixtures("demo")
def test_the_activate_hook_may_take_model_id_and_artifact_path(
    make_settings: Any, openai_env: FakeOpenAI
) -> None:
    core = build_core(make_settings(local_base_model="tiny-llama"))
    local = SelfHostedByFields()
    runs = Runs(core, providers=lambda name: local)
    assert runs.follow(runs.start(provider="local")[0].id or 0).state == RunState.promoted
    assert local.activated == ["afina-lora-1 from /adapters/lora-1"] * 2
    core.engine.dispose()


def test_unknown_or_missing_providers_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    unknown = run(capsys, "train", "--provider", "azure")
    assert unknown.code == 1
    assert "Unknown provider 'azure'. Available: examples, openai, together, local." in unknown.err
    local = run(capsys, "train", "--provider", "local")
    assert local.code == 1 and "Traceback" not in local.err
    assert "local provider" in local.err or "LOCAL_BASE_MODEL" in local.err
