"""Serving local versions through an OpenAI-compatible server that loads LoRA adapters.

Promotion loads the version's adapter into the server (vLLM's
`/v1/load_lora_adapter`) and the unchanged `openai` backend then answers with
the version's model id; rollback loads the older adapter again. None of this
needs torch: the server here is a fake that records what it was asked.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import store
from bot.app import build_core
from bot.backends.base import ModelError
from bot.backends.transformers_chat import TransformersChat
from bot.config import Settings
from bot.db import session_scope
from bot.messages import Incoming
from bot.tables import ModelVersion
from tests.support.lora_server import FakeLoraServer
from tuning.local import lora_server
from tuning.local.provider import LocalProvider
from tuning.providers.base import JobSpec, ProviderError


@pytest.fixture
def vllm() -> Iterator[FakeLoraServer]:
    server = FakeLoraServer()
    server.start()
    yield server
    server.stop()


def adapter_folder(root: Path, model_id: str) -> Path:
    """What a local run leaves behind, as far as a server that loads it can tell."""
    folder = root / model_id / "adapter"
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({"r": 8, "peft_type": "LORA"}))
    (folder / "adapter_model.safetensors").write_bytes(b"weights")
    return folder


def add_local_version(core: Any, model_id: str, path: Path, *, activate: bool) -> ModelVersion:
    with session_scope(core.engine) as session:
        return store.add_version(
            session,
            ModelVersion(
                provider="local", model_id=model_id, base_model="base", artifact_path=str(path)
            ),
            activate=activate,
        )


def test_promotion_loads_the_adapter_and_the_openai_backend_serves_it(
    make_settings: Any, vllm: FakeLoraServer, tmp_path: Path
) -> None:
    settings = make_settings(
        model_backend="openai",
        openai_base_url=vllm.base_url,
        openai_api_key="sk-local",
        openai_model="base-model",
        lora_server_url=vllm.url,
        local_output_dir=tmp_path / "adapters",
        openai_max_retries=0,
    )
    core = build_core(settings)
    path = adapter_folder(settings.adapters_dir, "afina-r1-20260101-000000")
    add_local_version(core, "afina-r1-20260101-000000", path, activate=True)
    # Before promotion reaches the server, the version's model id is unknown there.
    before = core.responder.answer(Incoming("console", "c1", "ana", "¿El envío es gratis?"))
    assert not before.ok

    LocalProvider(settings).activate("afina-r1-20260101-000000", str(path))

    assert vllm.load_requests() == [
        {"lora_name": "afina-r1-20260101-000000", "lora_path": str(path)}
    ]
    load = vllm.calls("/v1/load_lora_adapter")[0]
    assert load.headers["authorization"] == "Bearer sk-local"
    vllm.reply("Gratis desde 35 € 🌿")
    after = core.responder.answer(Incoming("console", "c1", "ana", "¿El envío es gratis?"))
    assert after.ok and after.text == "Gratis desde 35 € 🌿"
    assert after.model_id == "afina-r1-20260101-000000"
    assert vllm.chat_requests()[-1]["model"] == "afina-r1-20260101-000000"
    core.engine.dispose()


def test_rollback_switches_back_to_the_older_adapter(
    make_settings: Any, vllm: FakeLoraServer, tmp_path: Path
) -> None:
    settings = make_settings(
        model_backend="openai",
        openai_base_url=vllm.base_url,
        lora_server_url=vllm.url + "/v1/",  # the OpenAI-style URL works as well
        local_output_dir=tmp_path / "adapters",
        openai_max_retries=0,
    )
    core = build_core(settings)
    provider = LocalProvider(settings)
    old = add_local_version(
        core, "afina-r1-a", adapter_folder(settings.adapters_dir, "afina-r1-a"), activate=True
    )
    provider.activate("afina-r1-a", old.artifact_path)
    new = add_local_version(
        core, "afina-r2-b", adapter_folder(settings.adapters_dir, "afina-r2-b"), activate=True
    )
    provider.activate("afina-r2-b", new.artifact_path)
    assert core.responder.answer(Incoming("console", "c", "ana", "hola")).model_id == "afina-r2-b"

    with session_scope(core.engine) as session:
        store.activate_version(session, version_id=old.id or 0)
    provider.activate("afina-r1-a", None)  # already loaded: fine; the path defaults to its folder

    reply = core.responder.answer(Incoming("console", "c", "ana", "hola"))
    assert reply.ok and reply.model_id == "afina-r1-a"
    assert [r["lora_name"] for r in vllm.load_requests()] == [
        "afina-r1-a",
        "afina-r2-b",
        "afina-r1-a",
    ]
    assert set(vllm.adapters) == {"afina-r1-a", "afina-r2-b"}
    core.engine.dispose()


def test_without_a_lora_server_activation_only_checks_the_adapter(tmp_path: Path) -> None:
    settings = Settings(local_output_dir=tmp_path / "adapters")
    provider = LocalProvider(settings)
    provider.activate("afina-r1-x", str(adapter_folder(settings.adapters_dir, "afina-r1-x")))
    with pytest.raises(ProviderError, match="adapter of afina-r1-gone is missing"):
        provider.activate("afina-r1-gone", str(tmp_path / "nowhere"))


def test_lora_server_errors_say_what_to_do(tmp_path: Path) -> None:
    adapter = str(adapter_folder(tmp_path, "m"))
    no_routes = FakeLoraServer(lora_routes=False)
    no_routes.start()
    try:
        with pytest.raises(ProviderError, match=r"--enable-lora.*VLLM_ALLOW_RUNTIME_LORA_UPDATING"):
            lora_server.load_adapter(no_routes.url, name="m", path=adapter)
    finally:
        no_routes.stop()

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(ProviderError, match=r"unreachable.*LORA_SERVER_URL"):
        lora_server.load_adapter(closed, name="m", path=adapter, timeout=2)


def test_unload_forgets_an_adapter_and_tolerates_an_unknown_one(vllm: FakeLoraServer) -> None:
    lora_server.load_adapter(vllm.url, name="m1", path="/adapters/m1")
    lora_server.unload_adapter(vllm.url, name="m1")
    lora_server.unload_adapter(vllm.url, name="never-loaded")
    assert vllm.adapters == {}
    assert [r.json() for r in vllm.calls("/v1/unload_lora_adapter")] == [
        {"lora_name": "m1"},
        {"lora_name": "never-loaded"},
    ]


def test_missing_extra_is_explained_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the `local` extra were not installed: importing trl or peft fails.
    monkeypatch.setitem(sys.modules, "trl", None)
    monkeypatch.setitem(sys.modules, "peft", None)
    settings = Settings(local_base_model=str(tmp_path))
    train = tmp_path / "train.jsonl"
    train.write_text("{}\n")
    spec = JobSpec(
        run_id=1,
        method="supervised",
        train_file=train,
        validation_file=None,
        base_model="",
        suffix="afina",
        seed=1,
    )
    with pytest.raises(ProviderError, match=r"scripts/bootstrap --local.*\.\[local\]"):
        LocalProvider(settings).start(spec)

    with pytest.raises(ModelError, match="scripts/bootstrap --local"):
        TransformersChat(settings).complete([{"role": "user", "content": "hola"}], model="m")
