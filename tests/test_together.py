"""Training runs on Together AI end to end, against a fake of its REST API, through our client.

Chat before any tuned version goes to the OpenAI fake (`OPENAI_MODEL`); a
Together version is asked for by its output model name at the Together fake,
through the same `openai` client, as production does.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import build_core
from bot.config import Settings
from bot.tables import ModelVersion, RunState, TuningRun
from tests.support.cli import run
from tests.support.data import add_example, key_on_side, rows
from tests.support.openai_server import FakeOpenAI
from tests.support.processes import AFINA
from tests.support.together_server import BASE, KEY, FakeTogether
from tuning.providers.base import JobSpec
from tuning.providers.together import TogetherProvider

SERVING = "gpt-4.1-mini"


def the_run(url: str, run_id: int = 1) -> TuningRun:
    return next(r for r in rows(url, TuningRun) if r.id == run_id)


def together_chats(fake: FakeTogether) -> list[dict[str, Any]]:
    return [r.json() for r in fake.calls("/v1/chat/completions")]


@pytest.mark.usefixtures("demo")
def test_train_runs_a_together_job_to_a_version_the_next_answer_uses(
    capsys: pytest.CaptureFixture[str], database_url: str, together_env: FakeTogether
) -> None:
    trained = run(capsys, "train", "--provider", "together")
    assert trained.code == 0, trained.err
    (tune,) = together_env.fine_tunes()
    assert f"Run #1 promoted: {tune.output_name} now answers." in trained.out
    assert "Epoch completed, at step 5" in trained.out  # Together's events, as they come

    (created,) = together_env.creations()
    assert created["model"] == BASE and "from_checkpoint" not in created
    assert created["training_type"] == {"type": "Lora", "lora_r": 16, "lora_alpha": 32}
    assert created["training_method"] == {"method": "sft", "train_on_inputs": "auto"}
    assert created["suffix"].startswith("afina-1-") and created["random_seed"] == 42
    assert created["n_epochs"] == 3

    # The SDK's upload: a multipart form, a presigned PUT that never carries the key, preprocess.
    (start,) = [r for r in together_env.requests if r.method == "POST" and r.path == "/v1/files"]
    assert b'name="purpose"\r\n\r\nfine-tune' in start.body
    assert b'name="file_name"\r\n\r\nafina-1-' in start.body
    (put,) = [r for r in together_env.requests if r.method == "PUT"]
    assert "authorization" not in put.headers and KEY.encode() not in put.body
    assert together_env.calls("/preprocess")

    stored = the_run(database_url)
    sent = together_env.uploaded_text(created["training_file"])
    folder = Path(stored.dataset_path or "")
    assert sent == (folder / "together_sft.jsonl").read_text(encoding="utf-8")
    assert len(sent.splitlines()) == stored.n_train
    assert stored.state == RunState.promoted and stored.provider_job_id == tune.id
    assert stored.trained_tokens == tune.tokens > 0
    assert stored.estimated_cost_usd == round(tune.tokens * 480 / 1e9, 4)  # Together's total_price
    assert stored.provider_file_ids == [created["training_file"]]

    (version,) = rows(database_url, ModelVersion)
    assert (version.provider, version.model_id, version.active) == (
        "together",
        tune.output_name,
        True,
    )
    asked = run(capsys, "ask", "--json", "Do you have vegan lipsticks?")
    assert asked.json()["model"] == tune.output_name
    assert together_chats(together_env)[-1]["model"] == tune.output_name
    assert together_chats(together_env)[-1]["max_completion_tokens"] == 600  # the real answer

    listed = run(capsys, "runs")
    assert "together sft full" in listed.out and "promoted" in listed.out


@pytest.mark.usefixtures("demo")
def test_an_incremental_run_continues_the_job_and_rollback_returns_to_the_first(
    capsys: pytest.CaptureFixture[str], database_url: str, together_env: FakeTogether
) -> None:
    assert run(capsys, "train", "--provider", "together").code == 0
    imported = Path("new.csv")
    imported.write_text(
        "question,answer\n" + "".join(f"new question {n},new answer {n} 🌿\n" for n in range(30))
    )
    assert run(capsys, "import", str(imported)).code == 0
    second = run(capsys, "train", "--provider", "together")
    assert second.code == 0, second.err
    first_tune, second_tune = together_env.fine_tunes()
    assert f"Run #2 promoted: {second_tune.output_name} now answers." in second.out

    _, continued = together_env.creations()
    assert continued["from_checkpoint"] == first_tune.id  # the active version's job
    assert continued["model"] == BASE
    assert continued["training_type"] == {"type": "Lora", "lora_r": 16, "lora_alpha": 32}
    sent = together_env.uploaded_text(continued["training_file"]).splitlines()
    questions = [json.loads(line)["messages"][1]["content"] for line in sent]
    new = [q for q in questions if q.startswith("new question")]
    stored = the_run(database_url, 2)
    assert stored.metrics["mode"] == "incremental" and len(new) == stored.n_new
    assert len(questions) - len(new) == round(0.3 * len(new))  # plus the replay sample

    back = run(capsys, "rollback")
    assert back.code == 0, back.err
    assert f"version 1 ({first_tune.output_name}) now answers." in back.out
    assert run(capsys, "ask", "--json", "hola").json()["model"] == first_tune.output_name
    assert [v.active for v in rows(database_url, ModelVersion)] == [True, False]


@pytest.mark.usefixtures("demo")
def test_a_killed_process_resumes_the_same_together_job(
    capsys: pytest.CaptureFixture[str], database_url: str, together_env: FakeTogether
) -> None:
    together_env.hold()
    build_core(Settings()).engine.dispose()  # the database exists before the race starts
    env = {**os.environ, "TUNING_POLL_INTERVAL_S": "0.05"}
    child = subprocess.Popen(
        [AFINA, "train", "--provider", "together"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            runs = rows(database_url, TuningRun)
            if runs and runs[0].provider_job_id and len(together_env.calls("/events")) >= 2:
                break  # the job is stored and being polled
            time.sleep(0.05)
        else:
            pytest.fail("the first process never started the job")
    finally:
        child.kill()
        child.wait()
    assert the_run(database_url).state == RunState.training

    together_env.finish()
    resumed = run(capsys, "train", "--provider", "together")
    assert resumed.code == 0, resumed.err
    assert "Run #1 (together) is still going: continuing it." in resumed.out
    assert "promoted" in resumed.out
    assert len(together_env.fine_tunes()) == 1 and len(together_env.creations()) == 1
    assert len(together_env.uploads) == 1


def test_starting_twice_for_one_run_finds_the_same_job(
    settings: Settings, fake_together: FakeTogether, tmp_path: Path
) -> None:
    """The kill between "job created" and "job id stored": `start` again finds the job."""
    train = tmp_path / "sft.jsonl"
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey"}]}
    train.write_text(json.dumps(row) + "\n")
    live = settings.model_copy(
        update={"together_api_key": SecretStr(KEY), "together_base_url": fake_together.base_url}
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
    first = TogetherProvider(live).start(spec)
    again = TogetherProvider(live).start(spec)  # a new process, same run
    assert first == again and len(fake_together.fine_tunes()) == 1
    assert len(fake_together.uploads) == 1


def test_dpo_run_sends_preference_pairs_in_togethers_shape(
    capsys: pytest.CaptureFixture[str], database_url: str, together_env: FakeTogether
) -> None:
    core = build_core(Settings())
    for n in range(14):
        add_example(core.engine, f"q{n}?", f"the right answer {n}", rejected=f"wrong {n}")
    core.engine.dispose()
    trained = run(capsys, "train", "--provider", "together", "--dpo")
    assert trained.code == 0, trained.err
    (created,) = together_env.creations()
    assert created["training_method"] == {"method": "dpo", "dpo_beta": 0.1}
    sent = [
        json.loads(line)
        for line in together_env.uploaded_text(created["training_file"]).splitlines()
    ]
    assert sent and all(
        set(r) == {"input", "preferred_output", "non_preferred_output"} for r in sent
    )
    assert {r["non_preferred_output"][0]["content"][:5] for r in sent} == {"wrong"}
    assert the_run(database_url).state == RunState.promoted


@pytest.mark.usefixtures("demo")
def test_two_messages_in_a_row_are_joined_so_togethers_file_check_passes(
    capsys: pytest.CaptureFixture[str], database_url: str, together_env: FakeTogether
) -> None:
    core = build_core(Settings())
    twice = [{"role": "user", "content": "Hola"}, {"role": "assistant", "content": "¡Hola! 🌿"}]
    twice.append({"role": "user", "content": "one more thing"})
    key = key_on_side("console:lyon", holdout=False)
    add_example(core.engine, "ship to Lyon?", "Yes, in 3–5 days 🌱", context=twice, key=key)
    core.engine.dispose()
    trained = run(capsys, "train", "--provider", "together")
    assert trained.code == 0, trained.err
    sent = together_env.uploaded_text(together_env.creations()[0]["training_file"])
    row = next(json.loads(line) for line in sent.splitlines() if "ship to Lyon?" in line)
    assert [m["role"] for m in row["messages"]] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert row["messages"][3]["content"] == "one more thing\n\nship to Lyon?"
    assert row["messages"][2]["weight"] == 0  # the bot's own earlier answer is not trained


@pytest.mark.usefixtures("demo")
def test_a_model_together_serves_only_on_a_dedicated_endpoint_ends_the_run_with_what_to_do(
    capsys: pytest.CaptureFixture[str], database_url: str, together_env: FakeTogether
) -> None:
    together_env.serverless_lora.clear()
    trained = run(capsys, "train", "--provider", "together")
    assert trained.code == 1
    (tune,) = together_env.fine_tunes()
    (line,) = [x for x in trained.err.splitlines() if x]
    assert "serves it only on a dedicated endpoint, billed by the hour" in line
    assert "afina never starts one" in line and "afina promote 1" in line
    assert "Traceback" not in trained.err
    assert not [r for r in together_env.requests if "endpoints" in r.path]  # none was created
    (version,) = rows(database_url, ModelVersion)
    assert version.model_id == tune.output_name and not version.active
    assert run(capsys, "ask", "--json", "hola").json()["model"] == SERVING

    promoted = run(capsys, "promote", "1")  # still not served: nothing switches
    assert promoted.code == 1 and "nothing changed" in promoted.err
    together_env.serverless_lora.add(BASE)  # the person started a dedicated endpoint
    assert run(capsys, "promote", "1").code == 0
    assert run(capsys, "ask", "--json", "hola").json()["model"] == tune.output_name


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        (
            "TOGETHER_API_KEY",
            "tgp_v1_wrong-key-0000000000000000",
            "Together rejected the API key while listing fine-tuning jobs: check TOGETHER_API_KEY.",
        ),
        (
            "TOGETHER_BASE_MODEL",
            "acme/not-a-model",
            "Together does not fine-tune acme/not-a-model (TOGETHER_BASE_MODEL). Models it tunes "
            f"include {BASE}",
        ),
    ],
)
@pytest.mark.usefixtures("demo")
def test_a_refusal_ends_the_run_with_one_clear_line(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    together_env: FakeTogether,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.setenv(setting, value)
    trained = run(capsys, "train", "--provider", "together")
    assert trained.code == 1
    (line,) = [x for x in trained.err.splitlines() if x]
    assert line.startswith("error: run #1 failed: ") and expected in line
    assert value not in line or setting != "TOGETHER_API_KEY"
    assert together_env.fine_tunes() == [] and together_env.uploads == {}
    assert the_run(database_url).state == RunState.failed


def test_without_a_key_nothing_starts(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    trained = run(capsys, "train", "--provider", "together")
    assert trained.code == 1
    assert trained.err.startswith("error: Set TOGETHER_API_KEY (https://api.together.ai/")
    assert rows(database_url, TuningRun) == []


@pytest.mark.usefixtures("demo")
def test_cancel_stops_the_together_job(
    capsys: pytest.CaptureFixture[str], database_url: str, together_env: FakeTogether
) -> None:
    together_env.hold()
    detached = run(capsys, "train", "--provider", "together", "--detach")
    assert detached.code == 0, detached.err
    (tune,) = together_env.fine_tunes()
    assert f"Run #1 is training, job {tune.id}." in detached.out
    cancelled = run(capsys, "runs", "1", "--cancel")
    assert cancelled.code == 0, cancelled.err
    assert tune.status == "cancel_requested"
    assert the_run(database_url).state == RunState.cancelled


def test_a_failed_job_says_why_from_togethers_events(
    capsys: pytest.CaptureFixture[str], database_url: str, together_env: FakeTogether
) -> None:
    """A file Together's check refuses ends in `user_error`; the reason is in its events."""
    from tuning.providers.together import TogetherProvider as Provider

    live = Settings(together_api_key=SecretStr(KEY), together_base_url=together_env.base_url)
    provider = Provider(live)
    bad = Path("bad.jsonl")
    bad.write_text(json.dumps({"messages": [{"role": "user", "content": "a", "weight": 2}]}) + "\n")
    spec = JobSpec(1, "supervised", bad, None, BASE, "afina", 42, run_key="9-1")
    job_id = provider.start(spec)
    together_env.finish()
    status = provider.poll(job_id)
    assert status.state == "failed"
    assert status.error == "Weight must be either 0 or 1 on line 1."
