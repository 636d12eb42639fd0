"""Self-hosted LoRA training end to end on a tiny model built here, on the CPU.

No machine here reaches a model hub, so the test makes what a user downloads:
a folder with a tokenizer trained on the demo texts, a chat template and a
small random Llama, and points LOCAL_BASE_MODEL at it. The trainer runs in
its own process exactly as in production; a second provider object polls it,
as a restarted bot would.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from bot import store
from bot.app import build_core
from bot.backends import hf
from bot.config import Settings
from bot.db import session_scope, write_transaction
from bot.demo import demo_examples
from bot.messages import Incoming
from bot.tables import ModelVersion, RunState, TuningRun
from tuning.local import train as local_train
from tuning.local.folder import RunFolder, TrainSpec
from tuning.local.provider import LocalProvider
from tuning.providers.base import JobSpec, JobState, JobStatus, ProviderError

pytestmark = pytest.mark.skipif(
    not all(find_spec(name) for name in hf.TRAIN_MODULES),
    reason="needs the `local` extra (torch, transformers, peft, trl): scripts/bootstrap --local",
)

SYSTEM = "Eres Verdalia, una tienda de cosmética vegana."
LESSONS = [(str(row["question"]), str(row["answer"])) for row in demo_examples()[:4]]
CORRECTION = "¡Sí! Desde 35 € el envío es gratis 🌱 y llega en 24–48 h."


@dataclass
class Run:
    settings: Settings
    job_id: str
    status: JobStatus
    events: list[str]


def local_settings(root: Path, tiny: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "afina_home": root / "home",
        "local_base_model": str(tiny),
        "local_learning_rate": 1e-2,
        "local_max_steps": 60,
        "local_batch_size": 4,
        "local_max_seq_length": 256,
    }
    return Settings(_env_file=None, **{**values, **overrides})


def spec(train: Path, *, method: str = "supervised", run_id: int = 1, **hp: Any) -> JobSpec:
    return JobSpec(
        run_id=run_id,
        method=method,
        train_file=train,
        validation_file=None,
        base_model="",
        suffix="afina",
        seed=7,
        hyperparameters=hp,
    )


def start(provider: LocalProvider, job: JobSpec) -> str:
    # One thread per trainer: on a shared CI box, torch's default of one per core fights the
    # neighbours and a tiny model runs fifty times slower. No hub either, ever.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OMP_NUM_THREADS", "1")
        env.setenv("HF_HUB_OFFLINE", "1")
        return provider.start(job)


def wait(provider: LocalProvider, job_id: str, timeout: float = 150) -> tuple[JobStatus, list[str]]:
    events: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        status = provider.poll(job_id)
        events += status.events
        if status.state in (JobState.succeeded, JobState.failed, JobState.cancelled):
            return status, events
        assert time.monotonic() < deadline, f"still {status.state} after {timeout}s: {events}"
        time.sleep(0.2)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return path


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("local")


@pytest.fixture(scope="module")
def tiny(root: Path) -> Path:
    import torch

    from tests.support.tiny import build_tiny_model, demo_texts

    torch.set_num_threads(1)  # the in-process backend, for the same reason as in `start`
    return build_tiny_model(root / "tiny-llama", demo_texts())


@pytest.fixture(scope="module")
def sft_run(root: Path, tiny: Path) -> Run:
    """Four taught answers, 60 LoRA steps: enough for the tiny model to learn them by heart."""
    settings = local_settings(root, tiny)
    train = write_jsonl(
        root / "sft.jsonl",
        [
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": answer},
                ]
            }
            for question, answer in LESSONS
        ],
    )
    job_id = start(LocalProvider(settings), spec(train))
    status, events = wait(LocalProvider(settings), job_id)  # a fresh object: as after a restart
    assert status.state is JobState.succeeded, (status.error, events)
    return Run(settings, job_id, status, events)


@pytest.fixture(scope="module")
def dpo_run(root: Path, tiny: Path, sft_run: Run) -> Run:
    """A reviewer's correction of the first answer, as a preference pair, on top of the SFT run."""
    settings = local_settings(root, tiny, local_max_steps=12)
    question, answer = LESSONS[0]
    prompt = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    pair = {
        "input": {"messages": prompt},
        "preferred_output": [{"role": "assistant", "content": CORRECTION}],
        "non_preferred_output": [{"role": "assistant", "content": answer}],
    }
    train = write_jsonl(root / "dpo.jsonl", [pair] * 4)
    provider = LocalProvider(settings)
    job = spec(train, method="dpo", run_id=2, parent_adapter=sft_run.status.artifact_path, beta=0.5)
    # The trainer's own entry point, in this process: the SFT run already covers the
    # separate process, and a second one would cost the suite another import of trl.
    folder = provider.prepare(job)
    assert local_train.run(TrainSpec.load(folder.spec), folder) == 0
    status = provider.poll(str(folder.path))
    assert status.state is JobState.succeeded, (status.error, status.events)
    return Run(settings, str(folder.path), status, status.events)


def test_supervised_run_learns_writes_an_adapter_and_is_recorded(sft_run: Run, core: Any) -> None:
    status = sft_run.status
    folder = Path(sft_run.job_id)
    assert status.model_id == folder.name and status.model_id.startswith("afina-r1-")
    assert status.artifact_path == str(folder / "adapter")
    assert (folder / "adapter" / "adapter_config.json").is_file()
    assert (folder / "adapter" / "adapter_model.safetensors").is_file()

    losses = [loss for _, loss in status.metrics["loss_per_step"]]
    assert len(losses) == status.metrics["steps"] == 60
    assert statistics.mean(losses[-5:]) < statistics.mean(losses[:5]) / 3
    assert status.metrics["tokens_per_s"] > 0 and status.trained_tokens > 0
    assert status.metrics["peak_memory_mb"] > 0 and status.metrics["device"] == "cpu"
    assert status.metrics["method"] == "supervised" and status.metrics["parent_adapter"] is None
    assert any(event.startswith("done: 60 steps") for event in sft_run.events)
    assert all("tokens" in row for row in RunFolder(folder).metrics())

    # What the run machinery stores: metrics on the run, the adapter on the version.
    with session_scope(core.engine) as session:
        run = TuningRun(
            provider="local",
            state=RunState.promoted,
            provider_job_id=sft_run.job_id,
            trained_tokens=status.trained_tokens,
            metrics=status.metrics,
            result_model_id=status.model_id,
        )
        session.add(run)
        session.flush()
        store.add_version(
            session,
            ModelVersion(
                provider="local",
                model_id=status.model_id or "",
                base_model=sft_run.settings.local_base_model or "",
                run_id=run.id,
                artifact_path=status.artifact_path,
            ),
            activate=True,
        )
        run_id = run.id
    with session_scope(core.engine) as session:
        stored = session.get(TuningRun, run_id)
        assert stored is not None and stored.metrics == status.metrics
        active = store.active_version(session)
        assert active is not None and active.artifact_path == status.artifact_path


def test_dpo_on_correction_pairs_continues_from_the_active_adapter(
    dpo_run: Run, sft_run: Run
) -> None:
    status = dpo_run.status
    assert status.metrics["method"] == "dpo"
    assert status.metrics["parent_adapter"] == sft_run.status.artifact_path
    losses = [loss for _, loss in status.metrics["loss_per_step"]]
    assert losses[0] == pytest.approx(0.693, abs=0.01)  # starts level with its reference
    assert losses[-1] < losses[0] / 2
    adapter = Path(status.artifact_path or "")
    assert (adapter / "adapter_config.json").is_file()
    assert not (adapter / "ref").exists()  # the frozen reference copy is not shipped
    assert any("continuing from the adapter" in event for event in dpo_run.events)


def test_continuing_finds_the_adapter_of_the_model_it_continues(sft_run: Run) -> None:
    provider = LocalProvider(sft_run.settings)
    train = Path(sft_run.job_id) / "train.jsonl"
    job = JobSpec(
        run_id=3,
        method="supervised",
        train_file=train,
        validation_file=None,
        base_model=sft_run.status.model_id or "",  # the active version's model id
        suffix="afina",
        seed=1,
    )
    written = TrainSpec.load(provider.prepare(job).spec)
    assert written.parent_adapter == sft_run.status.artifact_path
    assert written.base_model == sft_run.settings.local_base_model
    with pytest.raises(ProviderError, match="not a LoRA adapter folder"):
        provider.prepare(spec(train, parent_adapter=str(train.parent)))


def test_in_process_backend_answers_with_the_active_adapter_and_rollback_switches(
    sft_run: Run, dpo_run: Run, tiny: Path, make_settings: Any
) -> None:
    settings = make_settings(
        model_backend="transformers",
        local_base_model=str(tiny),
        system_prompt=SYSTEM,
        retrieval_k=0,  # the prompt is exactly what the adapter was trained on
        max_answer_tokens=40,
    )
    core = build_core(settings)
    question, taught = LESSONS[0]

    def ask() -> tuple[Any, str]:
        pieces: list[str] = []
        reply = core.responder.answer(
            Incoming("console", "c", "ana", question), on_delta=pieces.append
        )
        with write_transaction(core.engine) as connection:
            store.close_conversation_on(connection, channel="console", chat_id="c")
        assert reply.ok and "".join(pieces).strip() == reply.text
        return reply, reply.text

    base, base_text = ask()  # no version yet: the bare base model
    assert base.model_id == str(tiny) and not base_text.startswith(taught[:20])

    with session_scope(core.engine) as session:
        sft = store.add_version(session, _version(sft_run), activate=True)
        store.add_version(session, _version(dpo_run), activate=False)
    reply, sft_text = ask()
    assert reply.model_id == sft_run.status.model_id
    assert sft_text.startswith(taught[:30])

    with session_scope(core.engine) as session:
        dpo = store.version_by_model_id(session, model_id=dpo_run.status.model_id or "")
        store.activate_version(session, version_id=dpo.id if dpo and dpo.id else 0)
    reply, dpo_text = ask()
    assert reply.model_id == dpo_run.status.model_id and dpo_text != sft_text

    with session_scope(core.engine) as session:  # rollback
        store.activate_version(session, version_id=sft.id or 0)
    reply, again = ask()
    assert reply.model_id == sft_run.status.model_id and again == sft_text
    core.engine.dispose()


def test_in_process_backend_never_generates_past_the_model_window(tiny: Path) -> None:
    from bot.backends.base import ModelError
    from bot.backends.transformers_chat import TransformersChat

    chat = TransformersChat(
        Settings(_env_file=None, local_base_model=str(tiny), max_answer_tokens=600)
    )
    long_prompt = [{"role": "user", "content": "¿Envíos a Canarias? " * 300}]
    with pytest.raises(ModelError, match="leaving no room for an answer: lower PROMPT_TOKEN"):
        chat.complete(long_prompt, model=str(tiny))
    # 600 new tokens would overrun the tiny model's 1024 positions: the answer stops inside them.
    near_full = [{"role": "user", "content": "¿Envíos a Canarias? " * 50}]
    done = chat.complete(near_full, model=str(tiny))
    assert done.prompt_tokens + done.completion_tokens <= 1024
    assert done.completion_tokens < 600


def _version(run: Run) -> ModelVersion:
    return ModelVersion(
        provider="local",
        model_id=run.status.model_id or "",
        base_model="tiny",
        artifact_path=run.status.artifact_path,
    )


def test_cancel_stops_the_trainer(tiny: Path, tmp_path: Path) -> None:
    settings = local_settings(tmp_path, tiny)
    provider = LocalProvider(settings)
    train = write_jsonl(tmp_path / "t.jsonl", [{"messages": _turns(*LESSONS[0])}])
    job_id = start(provider, spec(train))
    pid = int(RunFolder(Path(job_id)).status()["pid"])

    provider.cancel(job_id)

    status = LocalProvider(settings).poll(job_id)
    assert status.state is JobState.cancelled and status.model_id is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (Path(job_id) / "adapter").exists()


def test_a_trainer_that_dies_is_reported_failed(tiny: Path, tmp_path: Path) -> None:
    settings = local_settings(tmp_path, tiny)
    provider = LocalProvider(settings)
    train = write_jsonl(tmp_path / "t.jsonl", [{"messages": _turns(*LESSONS[0])}])
    job_id = start(provider, spec(train))
    os.killpg(int(RunFolder(Path(job_id)).status()["pid"]), signal.SIGKILL)  # as the OOM killer

    status, _ = wait(provider, job_id, timeout=20)

    assert status.state is JobState.failed
    assert status.error and "killed by signal 9" in status.error and "memory" in status.error
    assert "train.log" in status.error


def test_prompts_longer_than_the_sequence_limit_fail_with_the_setting_to_raise(
    tiny: Path, tmp_path: Path
) -> None:
    settings = local_settings(tmp_path, tiny, local_max_seq_length=64)
    long_system = {"role": "system", "content": SYSTEM * 20}
    rows = [{"messages": [long_system, *_turns(q, a)]} for q, a in LESSONS]
    status, _ = wait(
        LocalProvider(settings),
        start(LocalProvider(settings), spec(write_jsonl(tmp_path / "t.jsonl", rows))),
    )
    assert status.state is JobState.failed
    assert status.error and "LOCAL_MAX_SEQ_LENGTH=64" in status.error
    assert "num_samples" not in status.error  # not torch's words: ours


def _turns(question: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


@pytest.mark.parametrize(
    ("base_model", "expected"),
    [
        (None, "Set LOCAL_BASE_MODEL to the folder"),
        ("/nowhere/qwen", "LOCAL_BASE_MODEL=/nowhere/qwen: no such folder"),
        ("someorg/some-model", r"hf download someorg/some-model --local-dir /models/some-model"),
    ],
)
def test_a_base_model_that_is_not_here_is_refused_at_start(
    tmp_path: Path, base_model: str | None, expected: str
) -> None:
    settings = local_settings(tmp_path, tmp_path, local_base_model=base_model)
    train = write_jsonl(tmp_path / "t.jsonl", [{"messages": _turns(*LESSONS[0])}])
    with pytest.raises(ProviderError, match=expected):
        LocalProvider(settings).start(spec(train))
    assert not settings.adapters_dir.exists()  # nothing started, nothing left behind


def test_a_folder_without_config_is_refused(tmp_path: Path) -> None:
    (tmp_path / "weights").mkdir()
    with pytest.raises(hf.LocalModelError, match=r"has no config\.json"):
        hf.base_model_source(str(tmp_path / "weights"))


def test_a_large_model_without_gpu_is_refused_unless_allowed(tmp_path: Path) -> None:
    from transformers import LlamaConfig

    big = tmp_path / "llama-7b"
    LlamaConfig(
        vocab_size=32000,
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=32,
        num_attention_heads=32,
    ).save_pretrained(big)
    params = hf.count_params(str(big))  # from the config alone: no weights are read or made
    assert 6.5e9 < params < 7e9
    with pytest.raises(hf.LocalModelError, match=r"6\.7B parameters.*no GPU.*LOCAL_ALLOW_CPU=true"):
        hf.check_trainable_here(str(big), params, "cpu", allow_cpu=False)
    hf.check_trainable_here(str(big), params, "cpu", allow_cpu=True)
    hf.check_trainable_here(str(big), params, "cuda", allow_cpu=False)


def test_out_of_memory_says_which_settings_to_lower(tmp_path: Path) -> None:
    import torch

    from tuning.local.train import explain

    job = TrainSpec(model_id="m", method="supervised", base_model="/models/qwen", train_file="t")
    message = explain(
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        job,
        RunFolder(tmp_path),
    )
    assert message.startswith("Out of GPU memory training /models/qwen with batch size 4")
    assert "LOCAL_BATCH_SIZE (e.g. to 2)" in message
    assert "LOCAL_LORA_RANK" in message and "LOCAL_MAX_SEQ_LENGTH" in message
