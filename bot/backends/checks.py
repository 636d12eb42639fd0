"""`afina doctor`'s look at the model that answers: the backend, its key, its endpoint, and the
`local` extra and base model that the transformers backend and local tuning need.

The rules are the backends' own: where the `openai` client sends requests
(`openai_chat.base_url`), which version answers (`bot.responder.choose_target`),
which modules the local extra brings and how `LOCAL_BASE_MODEL` is found (`hf`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.backends import hf
from bot.checks import Diagnosis, mask, plural, show_url, token_problem, url_problem, value
from bot.probe import request

OPENAI_API_HOST = "api.openai.com"


def backend(diagnosis: Diagnosis) -> None:
    """Which backend answers, as which model, and whether it can serve the active version."""
    from bot.responder import choose_target

    s = diagnosis.settings
    active = diagnosis.active
    how = (
        "MODEL_BACKEND"
        if s.model_backend
        else ("OPENAI_API_KEY is set" if s.backend == "openai" else "no OPENAI_API_KEY")
    )
    target = choose_target(s, active)
    version = f" (version #{target.version_id})" if target.version_id else ""
    answers = (
        "offline, from the closest accepted example"
        if s.backend == "examples"
        else f"answers as {target.model or '(no model set)'}{version}"
    )
    diagnosis.add("backend", "ok", f"{s.backend} ({how}) · {answers}")
    if active is not None and target.version_id is None:
        diagnosis.add(
            "backend",
            "warn",
            f"the active version #{active.id} ({active.provider}, {active.model_id}) cannot be "
            f"served by the {s.backend} backend, so answers come from {target.model}: "
            "set MODEL_BACKEND to serve it",
        )
    if s.backend == "openai":
        openai_key(diagnosis, "the openai backend")
        # A Together version is served at Together's endpoint (see the together check).
        openai_endpoint(diagnosis, target.model if target.backend == "openai" else "")


def _base(diagnosis: Diagnosis) -> str:
    from bot.backends.endpoint import base_url

    return base_url(diagnosis.settings)


def openai_key(diagnosis: Diagnosis, needed_by: str) -> None:
    """The key's shape, once, however many parts use it."""
    if diagnosis.has("openai key"):
        return
    key = value(diagnosis.settings.openai_api_key)
    to_openai = urlsplit(_base(diagnosis)).hostname == OPENAI_API_HOST
    if not key:
        if to_openai:
            diagnosis.add("openai key", "fail", f"{needed_by} needs OPENAI_API_KEY (sk-…)")
        else:
            diagnosis.add(
                "openai key", "ok", "no OPENAI_API_KEY: fine for a server that does not ask for one"
            )
        return
    problem = token_problem(key)
    if problem:
        diagnosis.add("openai key", "fail", f"OPENAI_API_KEY ({mask(key)}) {problem}")
    elif to_openai and not key.startswith("sk-"):
        diagnosis.add(
            "openai key",
            "fail",
            f"OPENAI_API_KEY ({mask(key)}) is not an OpenAI key: those start with sk-",
        )
    else:
        diagnosis.add("openai key", "ok", f"OPENAI_API_KEY {mask(key)}")


def openai_endpoint(diagnosis: Diagnosis, model: str) -> None:
    """`GET /models` with the key: reachable, accepted, and serving `model` (if named)."""
    base = _base(diagnosis)
    problem = url_problem(base)
    if problem:
        diagnosis.add("model endpoint", "fail", f"OPENAI_BASE_URL {problem}")
        return
    where = show_url(base)
    if not diagnosis.reach or diagnosis.has("openai key", "fail"):
        return  # a key already known to be wrong would only be refused again
    key = value(diagnosis.settings.openai_api_key)
    headers = {"authorization": f"Bearer {key}"} if key else {}
    answer = request(f"{base}/models", timeout_s=diagnosis.timeout_s, headers=headers)
    if isinstance(answer, str):
        diagnosis.add("model endpoint", "fail", f"{where} is unreachable: {answer}")
    elif answer.status in (401, 403):
        refused = "OPENAI_API_KEY was refused" if key else "it wants an OPENAI_API_KEY"
        diagnosis.add(
            "model endpoint", "fail", f"{where} answers, but {refused} (HTTP {answer.status})"
        )
    elif answer.status == 404:
        diagnosis.add("model endpoint", "warn", f"{where} answers, but has no /models (HTTP 404)")
    elif answer.status != 200:
        diagnosis.add("model endpoint", "fail", f"{where} answered HTTP {answer.status}")
    else:
        payload = answer.json()
        data = payload.get("data") if isinstance(payload, dict) else None
        ids = [str(m.get("id")) for m in data if isinstance(m, dict)] if data else []
        if ids and model and model not in ids:
            listed = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
            diagnosis.add(
                "model endpoint",
                "warn",
                f"{where} is reachable but does not list {model} (it serves {listed})",
            )
        else:
            diagnosis.add(
                "model endpoint", "ok", f"{where} · reachable · {plural(len(ids), 'model')}"
            )


def local_model(diagnosis: Diagnosis) -> None:
    """The `local` extra and the base model, for the transformers backend or local tuning."""
    s = diagnosis.settings
    users = [
        who
        for who, uses in (
            ("MODEL_BACKEND=transformers", s.backend == "transformers"),
            ("TUNING_PROVIDER=local", s.tuning_provider == "local"),
        )
        if uses
    ]
    if not users:
        return
    modules = hf.TRAIN_MODULES if s.tuning_provider == "local" else hf.SERVE_MODULES
    missing = [name for name in modules if not hf.importable(name)]
    if missing:
        diagnosis.add(
            "local extra",
            "fail",
            f"{' and '.join(users)} need {', '.join(missing)}: {hf.INSTALL_HINT}",
        )
    else:
        diagnosis.add("local extra", "ok", f"{', '.join(modules)} installed")
    base_model(diagnosis, " and ".join(users))


def base_model(diagnosis: Diagnosis, needed_by: str) -> None:
    name = diagnosis.settings.local_base_model
    if not name:
        diagnosis.add("base model", "fail", f"{needed_by} needs LOCAL_BASE_MODEL (a model folder)")
        return
    try:
        # The loader's own rules, so the doctor and a real start never disagree.
        source = hf.base_model_source(name)
    except hf.LocalModelError as exc:
        diagnosis.add("base model", "fail", exc.message)
    except ImportError:  # a hub id, and no huggingface_hub to look in its cache
        diagnosis.add(
            "base model",
            "fail",
            f"LOCAL_BASE_MODEL={name} looks like a hub id, and the Hugging Face cache "
            "cannot be read without the `local` extra",
        )
    else:
        diagnosis.add("base model", "ok", f"LOCAL_BASE_MODEL {source}")
