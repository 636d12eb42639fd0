"""A fake Together AI API: files, fine-tunes and OpenAI-compatible chat, at the HTTP level.

Shapes follow Together's OpenAPI spec (github.com/togethercomputer/openapi,
`openapi.yaml`) and its official SDK (togethercomputer/together-py):

- files, the SDK's way: `POST /v1/files` (multipart `purpose`, `file_name`,
  `file_type`) answers 302 with a signed `Location` and `X-Together-File-Id`;
  the bytes go by `PUT` to that URL (no API key: it is presigned); then
  `POST /v1/files/{id}/preprocess` returns the `FileResponse`. `GET /v1/files`
  lists `{"data": [FileResponse…]}`.
- `POST /v1/fine-tunes` takes `training_file`, `model`, `suffix`,
  `training_type` (`{"type": "Lora", "lora_r", "lora_alpha"}`, LoRA when
  absent), `training_method` (`{"method": "sft"}` or `"dpo"`),
  `from_checkpoint` (a job id or an output model name), `random_seed`…; it
  answers a `FinetuneResponseTruncated` whose `model_output_name` is
  `<user>/<model>-<suffix>-<8 hex>`. `GET /v1/fine-tunes` lists them,
  `GET /v1/fine-tunes/{id}` returns one, `/events` its `fine-tune-event`s in
  order, `POST /v1/fine-tunes/{id}/cancel` moves it to `cancel_requested`.
  `GET /v1/fine-tunes/models/supported` and `/models/limits?model_name=` (404
  with `{"message": …}` for a model it does not tune).
- statuses walk `PLAN` (pending → queued → running → compressing → uploading →
  completed), one a retrieve while `auto` is on; `hold()` / `step()` /
  `finish()` as in the OpenAI fake. A file that breaks Together's data rules
  (the SDK's `check_file`: roles alternate after the optional system message,
  weights are 0 or 1, a preference input does not end with the assistant) ends
  the job in `user_error` with the reason as a `job_error` event. When done, a
  job reports `token_count` and `total_price` (nanodollars, as the API does).
- chat: a completed LoRA job's output name is served like any model when its
  base is in `serverless_lora`; otherwise the answer is Together's 400 "Unable
  to access non-serverless model …" that asks for a dedicated endpoint.

Every request needs `Authorization: Bearer <api_key>`, except the signed upload.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, ClassVar

from tests.support.http import Recorded, Response
from tests.support.openai_server import FakeOpenAI

BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
KEY = "tgp_v1_fake0123456789abcdefghijklmnop"
USER = "afina-test"
NANODOLLARS_PER_TOKEN = 480  # $0.48 per million tokens, Together's small-model LoRA price


def _error(message: str, status: int, code: str | None = None) -> Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
    body["error"]["code"] = code
    return Response.json(body, status)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeFineTune:
    id: str
    body: dict[str, Any]
    output_name: str
    plan: list[str]
    tokens: int
    problem: str | None = None
    step: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = field(default_factory=_now)

    @property
    def status(self) -> str:
        return self.plan[self.step]

    @property
    def base(self) -> str:
        return str(self.body.get("model") or "")

    @property
    def lora(self) -> bool:
        return (self.body.get("training_type") or {"type": "Lora"}).get("type") == "Lora"

    def payload(self) -> dict[str, Any]:
        done = self.status == "completed"
        return {
            "id": self.id,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": _now(),
            "user_id": USER,
            "owner_address": "team@example.com",
            "model": self.base,
            "model_output_name": self.output_name,
            "suffix": self.body.get("suffix"),
            "training_file": self.body["training_file"],
            "validation_file": self.body.get("validation_file", ""),
            "n_epochs": self.body.get("n_epochs", 1),
            "n_checkpoints": 1,
            "batch_size": 8,
            "learning_rate": self.body.get("learning_rate", 0.00001),
            "training_type": self.body.get("training_type")
            or {"type": "Lora", "lora_r": 8, "lora_alpha": 16},
            "training_method": self.body.get("training_method") or {"method": "sft"},
            "from_checkpoint": self.body.get("from_checkpoint", ""),
            "random_seed": self.body.get("random_seed"),
            "token_count": self.tokens if done else None,
            "total_price": self.tokens * NANODOLLARS_PER_TOKEN if done else None,
            "events": [],
        }


class FakeTogether(FakeOpenAI):
    PLAN: ClassVar[list[str]] = [
        "pending",
        "queued",
        "running",
        "running",
        "compressing",
        "uploading",
        "completed",
    ]
    EVENTS: ClassVar[dict[str, tuple[str, str]]] = {
        "pending": ("job_pending", "Fine-tune request created"),
        "queued": ("job_start", "Job started at {at}"),
        "running": ("epoch_complete", "Epoch completed, at step {step}"),
        "compressing": ("model_compressing", "Compressing output model"),
        "uploading": ("model_uploading", "Uploading output model"),
        "completed": ("job_complete", "Job finished at {at}"),
        "user_error": ("job_error", "{problem}"),
        "cancel_requested": ("cancel_requested", "Cancel requested"),
        "cancelled": ("job_stopped", "Job cancelled"),
    }

    def __init__(self) -> None:
        super().__init__()
        self.api_key: str | None = KEY
        self.uploads: dict[str, dict[str, Any]] = {}
        self.tunes: dict[str, FakeFineTune] = {}
        self.supported = [BASE, "Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"]
        self.serverless_lora = {BASE, "Qwen/Qwen2.5-7B-Instruct"}
        self.models = ["meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"]
        self.tuned_answer: Callable[[list[dict[str, Any]]], str] | None = None

    # --- knobs -------------------------------------------------------------------
    def answer_tuned(self, answer: Callable[[list[dict[str, Any]]], str]) -> None:
        """Every tuned model (whatever its output name) answers with `answer(messages)`."""
        self.tuned_answer = answer

    def step(self, job_id: str | None = None, steps: int = 1) -> None:
        with self.ft.lock:
            for tune in [self.tunes[job_id]] if job_id else list(self.tunes.values()):
                self._advance(tune, steps)

    def fine_tunes(self) -> list[FakeFineTune]:
        with self.ft.lock:
            return list(self.tunes.values())

    def creations(self) -> list[dict[str, Any]]:
        return [
            r.json() for r in self.requests if r.method == "POST" and r.path == "/v1/fine-tunes"
        ]

    def uploaded_text(self, file_id: str) -> str:
        return bytes(self.uploads[file_id]["content"]).decode("utf-8")

    # --- routing ---------------------------------------------------------------
    def handle(self, request: Recorded) -> Response:
        if request.method == "PUT" and request.path.startswith("/signed-upload/"):
            with self.ft.lock:  # presigned: no API key, as on the real storage
                return self._receive(request)
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key is not None and given != self.api_key:
            return _error(
                "Invalid API key provided. You can find your API key at "
                "https://api.together.xyz/settings/api-keys.",
                401,
                "invalid_api_key",
            )
        path = request.path
        if path == "/v1/models" and request.method == "GET":
            now = int(time.time())
            return Response.json(
                [{"id": m, "object": "model", "created": now, "type": "chat"} for m in self.models]
            )
        if path == "/v1/chat/completions" and request.method == "POST":
            return self._chat(request)
        with self.ft.lock:
            if path.startswith("/v1/files"):
                return self._files(request)
            if path.startswith("/v1/fine-tunes"):
                return self._fine_tunes(request)
        return self.other(request)

    # --- files -------------------------------------------------------------------
    def _files(self, request: Recorded) -> Response:
        parts = [p for p in request.path.removeprefix("/v1/files").split("/") if p]
        if not parts and request.method == "POST":
            return self._start_upload(request)
        if not parts:
            done = [self._file(f) for f in self.uploads.values() if f["processed"]]
            return Response.json({"data": done})
        found = self.uploads.get(parts[0])
        if found is None:
            return _error(f"File {parts[0]} not found", 404)
        if parts[1:] == ["preprocess"] and request.method == "POST":
            if found["content"] is None:
                return _error("The file was never uploaded to the signed URL", 400)
            found["processed"] = True
        return Response.json(self._file(found))

    def _start_upload(self, request: Recorded) -> Response:
        head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + request.body)
        if not message.is_multipart():
            return _error("expected multipart/form-data", 400)
        fields = {
            str(part.get_param("name", header="content-disposition")): part.get_content()
            for part in message.iter_parts()
        }
        if not fields.get("purpose") or not fields.get("file_name"):
            return _error("purpose and file_name are required", 400)
        file_id = f"file-{len(self.uploads) + 1:04d}-fake"
        self.uploads[file_id] = {
            "id": file_id,
            "filename": fields["file_name"],
            "purpose": fields["purpose"],
            "file_type": fields.get("file_type", "jsonl"),
            "content": None,
            "processed": False,
            "created_at": int(time.time()),
        }
        headers = {"location": f"{self.url}/signed-upload/{file_id}", "x-together-file-id": file_id}
        return Response(302, b"", headers)

    def _receive(self, request: Recorded) -> Response:
        found = self.uploads.get(request.path.rsplit("/", 1)[1])
        if found is None:
            return Response(404, b"<Error>NoSuchUpload</Error>", {"content-type": "text/xml"})
        found["content"] = request.body
        return Response(200, b"", {"etag": hashlib.md5(request.body).hexdigest()})

    @staticmethod
    def _file(found: dict[str, Any]) -> dict[str, Any]:
        content = bytes(found["content"] or b"")
        return {
            "id": found["id"],
            "object": "file",
            "created_at": found["created_at"],
            "filename": found["filename"],
            "bytes": len(content),
            "purpose": found["purpose"],
            "Processed": found["processed"],
            "FileType": found["file_type"],
            "LineCount": content.count(b"\n"),
        }

    # --- fine-tunes --------------------------------------------------------------
    def _fine_tunes(self, request: Recorded) -> Response:
        parts = [p for p in request.path.removeprefix("/v1/fine-tunes").split("/") if p]
        if parts == ["models", "supported"]:
            return Response.json({"models": self.supported})
        if parts == ["models", "limits"]:
            return self._limits(request.query.get("model_name", [""])[0])
        if not parts:
            if request.method == "POST":
                return self._create(request.json())
            return Response.json({"data": [t.payload() for t in self.tunes.values()]})
        tune = self.tunes.get(parts[0])
        if tune is None:
            return _error(f"Fine-tune job {parts[0]} not found", 404)
        if parts[1:] == ["events"]:
            return Response.json({"data": list(tune.events)})
        if parts[1:] == ["cancel"] and request.method == "POST":
            if tune.status not in {"completed", "error", "user_error", "cancelled"}:
                tune.plan = [*tune.plan[: tune.step + 1], "cancel_requested", "cancelled"]
                self._advance(tune)
            return Response.json(tune.payload())
        if self.ft.auto:
            self._advance(tune)
        response = Response.json(tune.payload())
        response.delay_s = self.ft.read_delay_s
        return response

    def _limits(self, model: str) -> Response:
        if model not in self.supported:
            return Response.json({"message": f"Model {model} not found or not supported"}, 404)
        lora = {
            "max_batch_size": 32,
            "max_batch_size_dpo": 16,
            "min_batch_size": 8,
            "max_rank": 64,
            "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"],
        }
        return Response.json(
            {
                "model_name": model,
                "max_num_epochs": 20,
                "max_num_evals": 100,
                "max_learning_rate": 1,
                "min_learning_rate": 0,
                "supports_vision": False,
                "supports_tools": True,
                "supports_reasoning": False,
                "merge_output_lora": False,
                "full_training": {
                    "max_batch_size": 16,
                    "max_batch_size_dpo": 8,
                    "min_batch_size": 8,
                },
                "lora_training": lora,
            }
        )

    def _create(self, body: dict[str, Any]) -> Response:
        training = self.uploads.get(body.get("training_file", ""))
        if training is None or not training["processed"]:
            return _error("training_file must be a processed file id", 400)
        parent = self._checkpoint(str(body.get("from_checkpoint") or ""))
        if body.get("from_checkpoint") and parent is None:
            return _error(f"Checkpoint {body['from_checkpoint']} not found", 404)
        model = str(body.get("model") or (parent.base if parent else ""))
        if model not in self.supported:
            return _error(f"Model {model} is not available for fine-tuning", 400)
        method = (body.get("training_method") or {"method": "sft"}).get("method", "sft")
        content = bytes(training["content"])
        problem = _check(content, method)
        digest = hashlib.sha1(f"{len(self.tunes)}:{body.get('suffix')}".encode()).hexdigest()
        name = model.split("/")[-1]
        suffix = f"-{body['suffix']}" if body.get("suffix") else ""
        tune = FakeFineTune(
            id=f"ft-{digest[:8]}-{len(self.tunes) + 1:04d}",
            body={**body, "model": model},
            output_name=f"{USER}/{name}{suffix}-{digest[8:16]}",
            plan=["pending", "queued", "user_error"] if problem else list(self.PLAN),
            tokens=int(body.get("n_epochs", 1)) * len(content) // 4,
            problem=problem,
        )
        self.tunes[tune.id] = tune
        self._enter(tune)
        return Response.json(tune.payload())

    def _checkpoint(self, name: str) -> FakeFineTune | None:
        ref = name.split(":")[0] if name.startswith("ft-") else name
        return next((t for t in self.tunes.values() if ref in {t.id, t.output_name}), None)

    def _advance(self, tune: FakeFineTune, steps: int = 1) -> None:
        for _ in range(steps):
            if tune.step + 1 >= len(tune.plan):
                return
            tune.step += 1
            self._enter(tune)

    def _enter(self, tune: FakeFineTune) -> None:
        kind, text = self.EVENTS[tune.status]
        step = tune.plan[: tune.step + 1].count("running") * 5
        message = text.format(at=_now(), step=step, problem=tune.problem)
        tune.events.append(
            {
                "object": "fine-tune-event",
                "created_at": _now(),
                "level": "error" if tune.status == "user_error" else "info",
                "message": message,
                "type": kind,
                "param_count": 8_030_261_248,
                "token_count": tune.tokens,
                "total_steps": 10,
                "wandb_url": "",
                "step": step,
                "checkpoint_path": "",
                "model_path": "",
                "training_offset": 0,
                "hash": hashlib.sha1(f"{tune.id}:{len(tune.events)}".encode()).hexdigest(),
            }
        )

    # --- chat ----------------------------------------------------------------------
    def _chat(self, request: Recorded) -> Response:
        model = str(request.json().get("model", ""))
        with self.ft.lock:
            tune = next((t for t in self.tunes.values() if t.output_name == model), None)
        if tune is not None and (
            tune.status != "completed" or not tune.lora or tune.base not in self.serverless_lora
        ):
            return _error(
                f"Unable to access non-serverless model {model}. Please visit "
                f"https://api.together.ai/models/{model} to create and start a new dedicated "
                "endpoint for the model.",
                400,
                "model_not_available",
            )
        if tune is None and model not in self.models and model not in self.answers:
            return _error(
                f"Unable to access model {model}. Please visit https://api.together.ai/models "
                "to view the list of supported models.",
                404,
                "model_not_available",
            )
        if tune is not None and self.tuned_answer is not None:
            self.answers.setdefault(model, self.tuned_answer)
        return self.chat(request)


def _check(content: bytes, method: str) -> str | None:
    """What Together's file check refuses (the SDK's `together.lib.utils.files`)."""
    for number, line in enumerate(content.decode().splitlines(), start=1):
        row = json.loads(line)
        if method == "dpo":
            if not {"input", "preferred_output", "non_preferred_output"} <= set(row):
                return f"Line {number}: a preference example needs input and both outputs."
            messages = row["input"]["messages"]
            if messages[-1]["role"] == "assistant":
                return (
                    f"The last message in the input conversation must not be from the "
                    f"assistant on line {number}."
                )
        elif "messages" in row:
            messages = row["messages"]
        else:
            return f"Line {number}: no `messages` column for a conversational dataset."
        previous = None
        for message in messages:
            if message.get("weight", 1) not in (0, 1):
                return f"Weight must be either 0 or 1 on line {number}."
            if message["role"] == previous:
                return (
                    f"Invalid role turns on line {number} of the input file. After the optional "
                    "system message, conversation roles must alternate between "
                    "user/assistant/user/assistant."
                )
            previous = message["role"]
    return None
