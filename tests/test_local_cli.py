"""`afina train --provider local` end to end, the way a team without OpenAI uses it.

The demo brand's examples, a tiny model built here (no model hub is reachable),
the in-process `transformers` backend answering: train → the gate scores the
adapter against what answers now → `afina promote` → `afina ask` answers with
the adapter → a second run continues from it → `afina rollback` switches back.
A tiny random model may well lose at the gate; the test holds either way and
checks that the scores it reports are the ones stored.
"""

from __future__ import annotations

import re
from importlib.util import find_spec
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from bot.backends import hf
from bot.tables import ModelVersion, Reply, RunState, TuningRun
from tests.support.cli import Result, run
from tests.support.demo import with_demo

pytestmark = pytest.mark.skipif(
    not all(find_spec(name) for name in hf.TRAIN_MODULES),
    reason="needs the `local` extra (torch, transformers, peft, trl): scripts/bootstrap --local",
)


@pytest.fixture
def local_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from tests.support.tiny import build_tiny_model, demo_texts

    tiny = build_tiny_model(tmp_path / "tiny", demo_texts())
    url = f"sqlite:///{tmp_path / 'afina.db'}"
    for name, value in {
        "DATABASE_URL": url,
        "LOCAL_BASE_MODEL": str(tiny),
        "MODEL_BACKEND": "transformers",
        "LOCAL_MAX_STEPS": "8",
        "LOCAL_LEARNING_RATE": "0.01",
        "LOCAL_MAX_SEQ_LENGTH": "512",
        "MAX_ANSWER_TOKENS": "16",  # the gate and `ask` generate; keep it short on a CPU
        "TUNING_POLL_INTERVAL_S": "0.2",
    }.items():
        monkeypatch.setenv(name, value)
    return url


def db(url: str) -> Session:
    return Session(create_engine(url))


def ask(capsys: pytest.CaptureFixture[str], url: str) -> Reply:
    asked = run(capsys, "ask", "¿Hacéis envíos a Canarias?")
    assert asked.code == 0, asked.err
    reply_id = int(re.search(r"reply #(\d+)", asked.out).group(1))  # type: ignore[union-attr]
    with db(url) as session:
        reply = session.get(Reply, reply_id)
        assert reply is not None and reply.ok
        return reply


def train(capsys: pytest.CaptureFixture[str], url: str) -> tuple[Result, TuningRun, ModelVersion]:
    trained = run(capsys, "train", "--provider", "local")
    assert trained.code == 0, trained.err
    with db(url) as session:
        last = session.exec(select(TuningRun).order_by(col(TuningRun.id).desc())).first()
        assert last is not None
        version = session.exec(select(ModelVersion).where(ModelVersion.run_id == last.id)).one()
    return trained, last, version


def make_active(capsys: pytest.CaptureFixture[str], url: str, version: ModelVersion) -> None:
    """Whatever the gate said, `afina promote` puts the version in front."""
    if not version.active:
        promoted = run(capsys, "promote", str(version.id))
        assert promoted.code == 0, promoted.err
        assert f"{version.model_id} now answers" in promoted.out.replace("\n", "")
    with db(url) as session:
        stored = session.get(ModelVersion, version.id)
        assert stored is not None and stored.active


def test_train_promote_ask_and_rollback_with_the_local_provider(
    capsys: pytest.CaptureFixture[str], local_env: str
) -> None:
    url = local_env
    with_demo(url)  # something to train on
    trained, first_run, first = train(capsys, url)
    assert first_run.state in (RunState.promoted, RunState.rejected)
    assert first.provider == "local" and first.model_id.startswith("afina-r1-")
    adapter = Path(first.artifact_path or "")
    assert (adapter / "adapter_config.json").is_file()
    assert (adapter / "adapter_model.safetensors").is_file()
    # The gate's verdict is printed and is the one stored, whichever way it went.
    gate = re.search(r"candidate scored ([\d.]+), current ([\d.]+)", trained.out + trained.err)
    assert gate is not None, trained.out
    job = first_run.metrics["job"]  # the trainer's figures, stored with the run
    assert len(job["loss_per_step"]) >= 2 and job["tokens_per_s"] > 0
    make_active(capsys, url, first)
    assert ask(capsys, url).model_id == first.model_id

    # A correction arrives; the next run continues from the active adapter.
    taught = run(capsys, "feedback", "1", "--fix", "¡Sí! Enviamos a Canarias en 3–5 días 🌱.")
    assert taught.code == 0, taught.err
    _, second_run, second = train(capsys, url)
    assert second.model_id.startswith("afina-r2-") and second.parent_id == first.id
    assert second_run.metrics["job"]["parent_adapter"] == first.artifact_path
    make_active(capsys, url, second)
    assert ask(capsys, url).model_id == second.model_id

    back = run(capsys, "rollback")
    assert back.code == 0, back.err
    with db(url) as session:
        active = session.exec(select(ModelVersion).where(col(ModelVersion.active))).one()
    assert active.id == first.id
    assert ask(capsys, url).model_id == first.model_id
